import EmbedStore
import Foundation
import RecsysTestSupport
import XCTest

/// A Spark output directory imports as its part files in order, and only
/// when the job finished (`_SUCCESS`).
final class PartFilesTests: XCTestCase {
    private func sparkOutput(_ dir: TempDir, _ name: String, parts: [String], success: Bool = true) -> String {
        let out = dir.file(name)
        try! FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        for (i, text) in parts.enumerated() {
            dir.write("\(name)/part-\(String(format: "%05d", i))-1f2e3d4c-c000.txt", text)
            dir.write("\(name)/.part-\(String(format: "%05d", i))-1f2e3d4c-c000.txt.crc", "crc bytes, not vectors")
        }
        if success { dir.write("\(name)/_SUCCESS", "") }
        return out
    }

    func testAFinishedOutputImportsEveryPartInNameOrder() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        // part 1 is an empty partition; part 2 sorts after part 0 whatever the listing order
        let out = sparkOutput(dir, "item2vec", parts: ["1:1 0\n2:0 1\n", "", "3:1 1\n1:0.5 0.5\n"])
        XCTAssertEqual(try PartFiles.inputs(out).map { ($0 as NSString).lastPathComponent.prefix(10) }, ["part-00000", "part-00002"])
        let summary = try store.importVectors(from: out, table: "t", options: ImportOptions(onDuplicate: .last))
        XCTAssertEqual(summary.records, 4)
        XCTAssertEqual(summary.replaced, 1)
        // the later part's vector for id 1 won: parts are read in order
        XCTAssertEqual(try snapshot(store, "t"), try {
            let other = try Store(path: dir.file("o.lmdb"))
            try writeTable(other, "t", [[0.5, 0.5], [0, 1], [1, 1]], id: { ["1", "2", "3"][$0] })
            return try snapshot(other, "t")
        }())
        XCTAssertEqual(try store.read { try $0.tableInfo("t")?.current.source }, "item2vec")
    }

    func testAnUnfinishedOrEmptyOutputIsRefusedAndTheStoreKept() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        try writeTable(store, "t", [[1, 2]])
        let before = try fingerprint(store)
        let cases: [(String, String)] = [
            (sparkOutput(dir, "running", parts: ["1:1 0\n"], success: false), "without _SUCCESS"),
            (sparkOutput(dir, "nothing", parts: []), "no part-* files"),
            (sparkOutput(dir, "empty", parts: ["", ""]), "every part-* file in the directory is empty"),
        ]
        for (path, expected) in cases {
            XCTAssertThrowsError(try store.importVectors(from: path, table: "t")) { e in
                XCTAssertTrue("\(e)".contains(expected), "\(e)")
                XCTAssertTrue("\(e)".hasPrefix(path), "\(e)")
            }
        }
        // a bad row in a later part names that part and its line
        let bad = sparkOutput(dir, "bad", parts: ["1:1 0\n", "2:0 1\n3:0 x\n"])
        XCTAssertThrowsError(try store.importVectors(from: bad, table: "t")) { e in
            XCTAssertTrue("\(e)".contains("part-00001-1f2e3d4c-c000.txt:2"), "\(e)")
        }
        XCTAssertEqual(try fingerprint(store), before)
    }
}
