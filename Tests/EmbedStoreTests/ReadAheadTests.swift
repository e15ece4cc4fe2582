import EmbedStore
import Foundation
import RecsysTestSupport
import XCTest

/// `Store(readAhead: false)` maps the data file for random access.
final class ReadAheadTests: XCTestCase {
    /// The VmFlags of this process's mappings of `file` (from /proc/self/smaps).
    func mappingFlags(of file: String) throws -> [String] {
        // read to the end: procfs files report size 0, and smaps is long
        let handle = try XCTUnwrap(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var flags: [String] = []
        var inFile = false
        for line in smaps.split(separator: "\n") {
            if let first = line.split(separator: " ").first, first.contains("-"), first.allSatisfy({ $0.isHexDigit || $0 == "-" }) {
                inFile = line.hasSuffix(file)
            } else if inFile, line.hasPrefix("VmFlags:") {
                flags.append(String(line.dropFirst("VmFlags:".count)))
            }
        }
        return flags
    }

    func testNoReadAheadAdvisesRandomAccessOnTheMap() throws {
        let dir = TempDir()
        let path = dir.file("s.lmdb")
        try writeTable(try Store(path: path), "t", (0..<10).map { [Float($0), 1] }) { "id\($0)" }
        let data = (path as NSString).appendingPathComponent("data.mdb")
        for readAhead in [true, false] {
            let store = try Store(path: path, readOnly: true, readAhead: readAhead)
            let flags = try mappingFlags(of: data)
            XCTAssertFalse(flags.isEmpty, "the data file is mapped")
            // "rr": madvise(MADV_RANDOM), LMDB's MDB_NORDAHEAD
            XCTAssertEqual(flags.allSatisfy { $0.split(separator: " ").contains("rr") }, !readAhead, "readAhead \(readAhead): \(flags)")
            XCTAssertEqual(try store.read { txn in try txn.table("t").count }, 10)
        }
    }
}
