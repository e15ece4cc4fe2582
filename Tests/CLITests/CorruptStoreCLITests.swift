import Foundation
import RecsysTestSupport
import XCTest

/// Bytes changed inside LMDB's own pages: LMDB 0.9 trusts every page, so a
/// damaged node size could make its page split fault the process. Bulk
/// writes and `store verify` walk the B-trees first and refuse with a
/// message instead.
final class CorruptStoreCLITests: XCTestCase {
    private func makeStore(_ dir: TempDir) throws -> (store: String, vectors: String) {
        let store = dir.file("s.lmdb")
        let lines = (0..<20000).map { i in "\(i):" + (0..<16).map { k in String(Float((i * 7 + k) % 97) / 97) }.joined(separator: " ") }
        let vectors = dir.write("v.txt", lines.joined(separator: "\n") + "\n")
        for table in ["t", "u"] {
            let r = try recsys(["embedding", "import", vectors, "--format", "sparrow", "--table", table, "--store", store])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        return (store, vectors)
    }

    /// A leaf node whose value size points past its page: `mdb_put` copied
    /// past the page and faulted before the walk existed.
    func testADamagedNodeSizeIsAnErrorNotAFault() throws {
        let dir = TempDir()
        let (store, vectors) = try makeStore(dir)
        let url = URL(fileURLWithPath: store + "/data.mdb")
        var bytes = try Data(contentsOf: url)
        // The id-to-row key of id 10018 in table 2 version 1: prefix, "i", id.
        let key = Data([0, 0, 0, 2, 0, 0, 0, 1] + Array("i10018".utf8))
        // Every copy of the node (freed pages keep old ones), so the live one is hit.
        var from = bytes.startIndex, copies = 0
        while let r = bytes.range(of: key, in: from..<bytes.endIndex) {
            bytes[r.lowerBound - 8] = 0x04   // the node's value size, low half: 4 -> 33028
            bytes[r.lowerBound - 7] = 0x81
            from = r.upperBound
            copies += 1
        }
        XCTAssertGreaterThan(copies, 0)
        try bytes.write(to: url)

        let r = try recsys(["embedding", "import", vectors, "--format", "sparrow", "--table", "t", "--store", store])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("LMDB's structure is damaged: page "), r.stderr)
        XCTAssertTrue(r.stderr.contains("of database 'ids': node "), r.stderr)
        let v = try recsys(["store", "verify", "--store", store])
        XCTAssertEqual(v.status, 1)
        XCTAssertTrue(v.stderr.contains("damaged: LMDB's structure is damaged"), v.stderr)
    }

    /// Random byte damage: every command ends with an exit status, never a signal.
    func testRandomDamageNeverKillsACommand() throws {
        let dir = TempDir()
        let (clean, vectors) = try makeStore(dir)
        let original = try Data(contentsOf: URL(fileURLWithPath: clean + "/data.mdb"))
        for seed in UInt64(1)...6 {
            var rng = SeededRandom(seed: seed)
            var bytes = original
            for _ in 0..<2000 { bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            let store = dir.file("damaged-\(seed).lmdb")
            try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
            try bytes.write(to: URL(fileURLWithPath: store + "/data.mdb"))
            for command in [["embedding", "import", vectors, "--format", "sparrow", "--table", "t"], ["embedding", "list"],
                            ["embedding", "export", "--table", "u", "-o", dir.file("out-\(seed).txt")], ["store", "verify"]] {
                let r = try recsys(command + ["--store", store])
                XCTAssertTrue(r.status == 0 || r.status == 1, "seed \(seed) \(command): status \(r.status): \(r.stderr.prefix(300))")
            }
        }
    }
}
