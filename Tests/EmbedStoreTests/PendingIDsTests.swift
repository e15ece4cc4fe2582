import Foundation
@testable import EmbedStore
import RecsysTestSupport
import XCTest

/// An import collects id-to-row keys and writes them in runs; duplicates are
/// still caught at the row that repeats an id, wherever the first one is.
final class PendingIDsTests: XCTestCase {
    func testFindsEveryIDAddedAcrossGrowthAndForgetsThemAll() {
        var p = PendingIDs(capacity: 4)
        let ids = (0..<5_000).map { "id-\($0 * 7919 % 100_003)" } + [""]
        for (row, id) in ids.enumerated() {
            var s = id
            s.withUTF8 { XCTAssertNil(p.row(of: UnsafeRawBufferPointer($0))); p.insert(UnsafeRawBufferPointer($0), row: UInt32(row)) }
        }
        XCTAssertEqual(p.count, ids.count)
        for (row, id) in ids.enumerated() {
            var s = id
            s.withUTF8 { XCTAssertEqual(p.row(of: UnsafeRawBufferPointer($0)), UInt32(row), id) }
        }
        var seen: [(String, UInt32)] = []
        p.forEach { seen.append((String(decoding: $0, as: UTF8.self), $1)) }
        XCTAssertEqual(seen.map(\.0), ids)
        XCTAssertEqual(seen.map(\.1), (0..<UInt32(ids.count)).map { $0 })
        p.removeAll()
        XCTAssertEqual(p.count, 0)
        var s = "id-0"
        s.withUTF8 { XCTAssertNil(p.row(of: UnsafeRawBufferPointer($0))) }
    }

    /// One-component vectors make blocks of 2^18 rows, so the first run of
    /// ids is written before the repeats at the end are appended.
    func testDuplicatesAreFoundInWrittenAndPendingRuns() throws {
        let t = try TempStore()
        let n = TableBuilder.idRunLength + 1_000
        XCTAssertEqual(TableVersion.rowsPerBlock(dimension: 1), TableBuilder.idRunLength)
        try t.store.write { txn in
            let b = try TableBuilder(txn: txn, name: "one", kind: .pretrained, source: "test", onDuplicate: .last)
            for i in 0..<n { try b.append(id: "i\(i)", vector: [Float(i)]) }
            try b.append(id: "i5", vector: [-5])           // first seen in the written run
            try b.append(id: "i\(n - 1)", vector: [-1])    // first seen in the pending run
            XCTAssertEqual(b.replaced, 2)
            try b.finish()
        }
        try t.store.read { txn in
            let table = try txn.table("one")
            XCTAssertEqual(table.count, n)
            XCTAssertEqual(Array(try table.vector(of: "i5")), [-5])
            XCTAssertEqual(Array(try table.vector(of: "i\(n - 1)")), [-1])
            for i in [0, 262_143, 262_144, n - 2] { XCTAssertEqual(try table.row(of: "i\(i)"), i) }
        }
        XCTAssertThrowsError(try t.store.write { txn in
            let b = try TableBuilder(txn: txn, name: "two", kind: .pretrained, source: "test")
            for i in 0..<n { try b.append(id: "i\(i)", vector: [Float(i)]) }
            try b.append(id: "i7", vector: [0])
        }) { XCTAssertTrue("\($0)".contains("duplicate id 'i7'"), "\($0)") }
        XCTAssertNil(try t.store.read { try $0.tableInfo("two") }, "a refused import leaves nothing")
    }
}
