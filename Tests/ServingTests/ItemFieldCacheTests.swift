import EmbedStore
import Foundation
import Recall
import Serving
import RecsysTestSupport
import XCTest

final class ItemFieldCacheTests: XCTestCase {
    /// A snapshot of an item2vec table whose items a, b, c, ... are titled A, B, C, ...
    /// with the given genres (the store lives as long as `dir`).
    private func snapshot(_ dir: TempDir, genres: [String]) throws -> RecallSnapshot {
        let store = try Store(path: dir.file("s.lmdb"))
        let ids = genres.indices.map { String(UnicodeScalar(UInt8(ascii: "a") + UInt8($0))) }
        try store.importVectors(from: dir.write("items.txt", ids.enumerated().map { "\($1):\($0) 1\n" }.joined()), table: "item2vec")
        _ = try store.importItems(from: dir.write("movies.csv", "movieId,title,genres\n" + zip(ids, genres).map { "\($0),\($0.uppercased()),\($1)\n" }.joined()))
        return try RecallSnapshot(store: store, table: "item2vec")
    }

    /// Results carry each row's own id and title, in the order asked, whether
    /// the rows were cached, new, or past the cache's limit.
    func testFieldsInOrderAcrossCachedNewAndUncachedRows() throws {
        let dir = TempDir()
        let snapshot = try snapshot(dir, genres: ["X", "Y", "X|Y", "Z", "Z"])
        let cache = ItemFieldCache(limit: 3)
        let rowOf = { (id: String) in snapshot.row(of: id)! }
        let firstList = cache.fields(snapshot, rows: [rowOf("c"), rowOf("a")])
        let first = (0..<firstList.count).map { firstList[$0] }
        XCTAssertEqual(first.map(\.id), ["c", "a"])
        let rows = ["b", "c", "e", "a", "d"].map(rowOf)
        let secondList = cache.fields(snapshot, rows: rows)
        let second = (0..<secondList.count).map { secondList[$0] }
        XCTAssertEqual(second.map(\.id), ["b", "c", "e", "a", "d"])
        XCTAssertEqual(second.map { $0.title ?? "" }, ["B", "C", "E", "A", "D"])
        XCTAssertEqual(second[2].genres, ["Z"])
        // rows under the limit are kept: the same objects come back
        let thirdList = cache.fields(snapshot, rows: rows)
        let third = (0..<thirdList.count).map { thirdList[$0] }
        for i in rows.indices where rows[i] < cache.limit { XCTAssertTrue(third[i] === second[i], "row \(rows[i]) cached") }
        XCTAssertEqual(third.map(\.id), ["b", "c", "e", "a", "d"])
    }

    /// A list refers to its items without retaining each: its owner keeps the
    /// cache (and the fields looked up past its limit) alive after every other
    /// reference is gone, as a response outliving a replaced view needs.
    func testAListKeepsItsItemsAliveWithoutTheCache() throws {
        let dir = TempDir()
        let snapshot = try snapshot(dir, genres: ["X", "Y", "Z"])
        var cache: ItemFieldCache? = ItemFieldCache(limit: 2)
        weak let weakCache = cache
        let list = cache!.fields(snapshot, rows: [2, 0, 1])
        cache = nil
        XCTAssertNotNil(weakCache, "the list's owner keeps the cache")
        weak let pastLimit = list[0]
        XCTAssertNotNil(pastLimit, "the list's owner keeps the row past the cache's limit")
        XCTAssertEqual((0..<list.count).map { list[$0].title }, ["C", "A", "B"])
    }
}
