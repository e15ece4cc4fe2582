import Foundation
import RecsysTestSupport
import XCTest

/// `recsys store verify`: exit 0 on an intact store, exit 1 naming each
/// damaged block on one whose bytes changed under LMDB's feet.
final class StoreVerifyCLITests: XCTestCase {
    func testVerifyPassesAnIntactStoreAndNamesADamagedBlock() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        let lines = (0..<3000).map { i in "\(i):" + (0..<16).map { k in String(Float(i * 16 + k) + 0.25) }.joined(separator: " ") }
        let file = dir.write("v.txt", lines.joined(separator: "\n") + "\n")
        XCTAssertEqual(try recsys(["embedding", "import", file, "--format", "sparrow", "--table", "t", "--store", store]).status, 0)
        XCTAssertEqual(try recsys(["index", "build", "--table", "t", "--tables", "4", "--bits", "8", "--probes", "2", "--store", store]).status, 0)

        var r = try recsys(["store", "verify", "--json", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try XCTUnwrap(jsonObject(r.stdout) as? [String: Any])
        let tables = try XCTUnwrap(report["tables"] as? [[String: Any]])
        XCTAssertEqual(tables.first?["table"] as? String, "t")
        XCTAssertEqual(tables.first?["checksummed"] as? Bool, true)
        let index = try XCTUnwrap((report["areas"] as? [[String: Any]])?.first { $0["area"] as? String == "index" })
        XCTAssertGreaterThan(index["checked"] as? Int ?? 0, 0, "the index parts carry checksums")

        // Row 1500's first component, 24000.25, as stored.
        let url = URL(fileURLWithPath: store + "/data.mdb")
        var bytes = try Data(contentsOf: url)
        let at = try XCTUnwrap(bytes.range(of: withUnsafeBytes(of: Float(24000.25)) { Data($0) })).lowerBound
        bytes[at] ^= 0x01
        try bytes.write(to: url)

        r = try recsys(["store", "verify", "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("damaged: table 't' version 1: vector block 0 (rows 0-2999) fails its checksum"), r.stderr)
        XCTAssertTrue(r.stderr.contains("restore it from a snapshot"), r.stderr)
    }
}
