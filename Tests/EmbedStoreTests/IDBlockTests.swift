@testable import EmbedStore
import Foundation
import RecsysTestSupport
import XCTest

/// The row-to-id map stored a block of rows per value, and tables written
/// before it (a key per row), which stores still hold.
final class IDBlockTests: XCTestCase {
    func testWriterRoundTripsIDsAndMissingRows() {
        var w = IDBlockWriter()
        for id in ["a", "", "ccc", "dd"] {
            if id.isEmpty { w.appendMissing() } else { id.utf8CString.withUnsafeBytes { w.append(UnsafeRawBufferPointer(rebasing: $0.dropLast())) } }
        }
        w.set(3, to: nil)
        "longer-id".utf8CString.withUnsafeBytes { w.set(0, to: UnsafeRawBufferPointer(rebasing: $0.dropLast())) }
        "x".utf8CString.withUnsafeBytes { w.set(6, to: UnsafeRawBufferPointer(rebasing: $0.dropLast())) }
        var bytes = [UInt8](repeating: 0, count: w.encodedCount)
        bytes.withUnsafeMutableBytes { w.encode(into: $0) }
        bytes.withUnsafeBytes { raw in
            guard let block = IDBlock(raw) else { return XCTFail("the block does not decode") }
            XCTAssertEqual(block.count, 7)
            let ids = (0..<8).map { block.id(at: $0).map { String(decoding: $0, as: UTF8.self) } }
            XCTAssertEqual(ids, ["longer-id", nil, "ccc", nil, nil, nil, "x", nil])
            // a copy reproduces it byte for byte
            let copy = IDBlockWriter(copying: block)
            var again = [UInt8](repeating: 0, count: copy.encodedCount)
            again.withUnsafeMutableBytes { copy.encode(into: $0) }
            XCTAssertEqual(again, bytes)
            // truncated values are refused, not read past their end
            for cut in [0, 4, 8, bytes.count - 1] { XCTAssertNil(IDBlock(UnsafeRawBufferPointer(rebasing: raw.prefix(cut)))) }
        }
    }

    /// 65,536 components make four rows per block, so upserts and deletes
    /// land in the middle of blocks, at a block's end and in new blocks.
    func testUpsertAndDeleteAcrossBlocksKeepEveryRowsID() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        let d = 65_536
        XCTAssertEqual(TableVersion.rowsPerBlock(dimension: d), 4)
        func vector(_ i: Int) -> [Float] { (0..<d).map { Float(($0 &* 31 &+ i) % 97) } }
        try store.write { txn in
            let b = try TableBuilder(txn: txn, name: "wide", kind: .pretrained, source: "test")
            for i in 0..<10 { try b.append(id: "item-\(i)", vector: vector(i)) }
            try b.finish()
        }
        XCTAssertEqual(try store.read { try $0.table("wide").info.current.hasIDBlocks }, true)
        try store.write { txn in
            XCTAssertEqual(try txn.upsert(table: "wide", id: "new-10", vector: vector(10)).row, 10)
            XCTAssertEqual(try txn.upsert(table: "wide", id: "new-11", vector: vector(11)).row, 11)
            XCTAssertEqual(try txn.upsert(table: "wide", id: "new-12", vector: vector(12)).row, 12)
            XCTAssertEqual(try txn.deleteVector(table: "wide", id: "item-5"), 5)
            XCTAssertEqual(try txn.deleteVector(table: "wide", id: "new-11"), 11)
            XCTAssertFalse(try txn.upsert(table: "wide", id: "item-3", vector: vector(30)).inserted)
        }
        let expected: [Int: String] = Dictionary(uniqueKeysWithValues: [0, 1, 2, 3, 4, 6, 7, 8, 9].map { ($0, "item-\($0)") } + [(10, "new-10"), (12, "new-12")])
        try store.read { txn in
            let t = try txn.table("wide")
            XCTAssertEqual(t.count, 11)
            XCTAssertEqual(t.slots, 13)
            for row in -1...13 { XCTAssertEqual(try t.id(ofRow: row), expected[row], "row \(row)") }
            // the resolved accessor that serving reads ids through says the same
            let ids = try XCTUnwrap(try t.idAccessor())
            for row in -1...14 { XCTAssertEqual(ids.id(ofRow: row), expected[row], "accessor, row \(row)") }
            var seen: [Int: String] = [:]
            try t.forEachID { row, id in seen[row] = String(decoding: id, as: UTF8.self) }
            XCTAssertEqual(seen, expected)
            for (row, id) in expected {
                XCTAssertEqual(try t.row(of: id), row)
                XCTAssertEqual(Array(try t.vector(of: id)), vector(row == 3 ? 30 : row))
            }
            XCTAssertNil(try t.row(of: "item-5"))
            XCTAssertEqual(try t.deletedRows(), [5, 11])
        }
    }

    /// A version written with a key per row reads, upserts and deletes as before.
    func testTablesWrittenWithAKeyPerRowStillWork() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        let ids = ["u1", "u2", "u3"]
        try store.write { txn in
            let id = try txn.nextTableID()
            let keys = VersionKeys(tableID: id, version: 1)
            let version = TableVersion(version: 1, dimension: 2, count: 3, slots: 3, rowsPerBlock: TableVersion.rowsPerBlock(dimension: 2),
                                       source: "before id blocks", createdAt: Date(), generation: 0)
            XCTAssertFalse(version.hasIDBlocks)
            for (row, s) in ids.enumerated() {
                _ = try txn.put(.ids, keys.idKey(s), withUnsafeBytes(of: UInt32(row)) { Array($0) })
                _ = try txn.put(.ids, keys.rowKey(row), Array(s.utf8))
            }
            _ = try txn.put(.vectors, keys.block(0), [Float](arrayLiteral: 1, 1, 2, 2, 3, 3).withUnsafeBytes { Array($0) } + [UInt8](repeating: 0, count: 4096 - 24))
            try txn.putInfo(TableInfo(name: "old", kind: .user, tableID: id, current: version, previous: nil, createdAt: Date()))
        }
        XCTAssertEqual(try snapshot(store, "old"), ["u1": [1, 1], "u2": [2, 2], "u3": [3, 3]].mapValues { $0.map { Float($0).bitPattern } })
        try store.write { txn in
            XCTAssertEqual(try txn.upsert(table: "old", id: "u4", vector: [4, 4]).row, 3)
            XCTAssertEqual(try txn.deleteVector(table: "old", id: "u2"), 1)
        }
        try store.read { txn in
            let t = try txn.table("old")
            XCTAssertFalse(t.info.current.hasIDBlocks)
            XCTAssertNil(try t.idAccessor(), "a version without id blocks is read key by key")
            XCTAssertEqual(try (0..<4).map { try t.id(ofRow: $0) }, ["u1", nil, "u3", "u4"])
            XCTAssertEqual(Array(try t.vector(of: "u4")), [4, 4])
        }
        XCTAssertEqual(Set(try snapshot(store, "old").keys), ["u1", "u3", "u4"])
    }
}
