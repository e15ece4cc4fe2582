import EmbedStore
import Foundation
import RecsysTestSupport
import XCTest

final class StoreTests: XCTestCase {
    func testPointGetBatchAndScanAgreeWithWhatWasWritten() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        let vectors = randomVectors(5000, 7, seed: 1)
        try writeTable(store, "t", vectors) { "sku-\($0)" }
        try store.read { txn in
            let t = try txn.table("t")
            XCTAssertEqual(t.count, 5000)
            XCTAssertEqual(t.dimension, 7)
            XCTAssertEqual(Array(try t.vector(of: "sku-4321")), vectors[4321])
            let batch = try t.vectors(of: ["sku-1", "nope", "sku-4999"])
            XCTAssertEqual(batch[0].map(Array.init), vectors[1])
            XCTAssertNil(batch[1])
            XCTAssertEqual(batch[2].map(Array.init), vectors[4999])
            var seen = 0
            try t.forEachBlock { first, rows in
                for r in 0..<(rows.count / 7) {
                    XCTAssertEqual(Array(rows[(r * 7)..<(r * 7 + 7)]), vectors[first + r])
                    seen += 1
                }
            }
            XCTAssertEqual(seen, 5000)
            XCTAssertEqual(try t.id(ofRow: 17), "sku-17")
            XCTAssertThrowsError(try t.vector(of: "missing")) { error in
                XCTAssertEqual(error as? StoreError, .unknownID(table: "t", id: "missing"))
            }
        }
    }

    func testUpsertDeleteAndRollback() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        let a = dir.write("a.txt", "1:1 2 3\n2:4 5 6\n")
        let b = dir.write("b.txt", "1:7 8 9\n")
        try store.importVectors(from: a, table: "t")
        try store.importVectors(from: b, table: "t")
        XCTAssertEqual(try store.read { try $0.table("t").count }, 1)
        let info = try store.write { try $0.rollbackTable("t") }
        XCTAssertEqual(info.version, 1)
        XCTAssertEqual(try snapshot(store, "t")["2"], [4, 5, 6].map { Float($0).bitPattern })
        XCTAssertThrowsError(try store.write { try $0.rollbackTable("t") })

        let r = try store.write { try $0.upsert(table: "t", id: "3", vector: [0, 0, 1]) }
        XCTAssertTrue(r.inserted)
        XCTAssertEqual(r.row, 2)
        let r2 = try store.write { try $0.upsert(table: "t", id: "1", vector: [9, 9, 9]) }
        XCTAssertFalse(r2.inserted)
        XCTAssertThrowsError(try store.write { try $0.upsert(table: "t", id: "4", vector: [1, 2]) }) { e in
            XCTAssertEqual(e as? StoreError, .dimensionMismatch(table: "t", expected: 3, got: 2))
        }
        try store.write { try $0.deleteVector(table: "t", id: "2") }
        let snap = try snapshot(store, "t")
        XCTAssertEqual(Set(snap.keys), ["1", "3"])
        XCTAssertEqual(snap["1"], [9, 9, 9].map { Float($0).bitPattern })
        try store.read { txn in
            let t = try txn.table("t")
            XCTAssertEqual(t.count, 2)
            XCTAssertEqual(try t.deletedRows(), [1])
            XCTAssertEqual(t.info.current.generation, 3)
        }
        try store.write { try $0.deleteTable("t") }
        XCTAssertTrue(try store.read { try $0.tables() }.isEmpty)
    }

    func testReaderHoldingATransactionSeesOnlyTheOldVersion() throws {
        let dir = TempDir()
        let path = dir.file("s.lmdb")
        let store = try Store(path: path)
        try store.importVectors(from: dir.write("a.txt", "a:1 1\nb:2 2\n"), table: "t")
        let before = try snapshot(store, "t")
        let reader = try store.beginRead()
        let newFile = dir.write("b.txt", (0..<20000).map { "n\($0):\($0) 0.5" }.joined(separator: "\n"))
        // A second handle, as another process would have.
        let writer = try Store(path: path)
        let done = expectation(description: "import")
        DispatchQueue.global().async {
            do { _ = try writer.importVectors(from: newFile, table: "t") } catch { XCTFail("\(error)") }
            done.fulfill()
        }
        // While the import runs and after it commits, the open snapshot never changes.
        for _ in 0..<50 {
            let t = try reader.table("t")
            XCTAssertEqual(t.count, 2)
            XCTAssertEqual(Array(try t.vector(of: "b")), [2, 2])
        }
        wait(for: [done], timeout: 60)
        let t = try reader.table("t")
        XCTAssertEqual(t.count, 2)
        XCTAssertEqual(try t.row(of: "n5"), nil)
        reader.end()
        XCTAssertNotEqual(try snapshot(store, "t"), before)
        XCTAssertEqual(try store.read { try $0.table("t").count }, 20000)
    }

    /// Dropping the page mappings frees the process's resident pages of the
    /// store file and loses nothing, even under an open read transaction.
    func testMappedResidentBytesCountsTheStorePagesRead() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        let vectors = randomVectors(20000, 16, seed: 3) // 1.3 MB of floats
        try writeTable(store, "t", vectors)
        let reader = try store.beginRead()
        defer { reader.end() }
        let held = try reader.table("t").vector(of: "19999") // a pointer into the map
        let before = try snapshot(store, "t")                   // reads every page of the table
        let resident = store.mappedResidentBytes
        XCTAssertGreaterThan(resident, 1_000_000, "reading the table maps its pages in")
        XCTAssertLessThan(resident, 64 << 20, "only the store's own pages are counted")
        XCTAssertEqual(Array(held), vectors[19999])
        XCTAssertEqual(try snapshot(store, "t"), before)
    }

    func testMapGrowsPastItsInitialSize() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"), mapSize: 1 << 20)
        XCTAssertEqual(store.mapSize, 1 << 20)
        let vectors = randomVectors(20000, 64, seed: 2) // 5 MB of floats
        try writeTable(store, "big", vectors)
        XCTAssertGreaterThan(store.mapSize, 1 << 22)
        XCTAssertEqual(Array(try store.read { try $0.table("big").vector(of: "19999") }), vectors[19999])
    }

    func testItemsImportKeepsEveryColumnAndSplitsGenres() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        let csv = dir.write("m.csv", "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation|Children\n2,\"Heat, The (1995)\",Action\n")
        XCTAssertEqual(try store.importItems(from: csv), 2)
        let item = try store.read { try $0.item("2") }
        XCTAssertEqual(item?.title, "Heat, The (1995)")
        let toy = try store.read { try $0.item("1") }!
        XCTAssertEqual(toy.genres, ["Adventure", "Animation", "Children"])
        XCTAssertTrue(toy.matches(column: "genre", value: "Animation"))
        XCTAssertFalse(toy.matches(column: "genre", value: "Action"))

        let before = try store.read { try $0.items() }
        let bad = dir.write("bad.csv", "movieId,title,genres\n3,X,Drama\n3,Y,Drama\n")
        XCTAssertThrowsError(try store.importItems(from: bad)) { e in
            XCTAssertEqual("\(e)", "\(bad):3: duplicate id '3'")
        }
        XCTAssertEqual(try store.read { try $0.items() }, before)
    }
}
