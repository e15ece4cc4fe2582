import EmbedStore
import Foundation
import Recall
@testable import recsys
import XCTest

final class ItemFieldCacheTests: XCTestCase {
    /// Results carry each row's own id and title, in the order asked, whether
    /// the rows were cached, new, or past the cache's limit.
    func testFieldsInOrderAcrossCachedNewAndUncachedRows() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        try store.importVectors(from: dir.write("items.txt", "a:1 0\nb:0 1\nc:1 1\nd:1 -1\ne:-1 1\n"), table: "item2vec")
        _ = try store.importItems(from: dir.write("movies.csv", "movieId,title,genres\na,A,X\nb,B,Y\nc,C,X|Y\nd,D,Z\ne,E,Z\n"))
        let snapshot = try RecallSnapshot(store: store, table: "item2vec")
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
        let store = try Store(path: dir.file("s.lmdb"))
        try store.importVectors(from: dir.write("items.txt", "a:1 0\nb:0 1\nc:1 1\n"), table: "item2vec")
        _ = try store.importItems(from: dir.write("movies.csv", "movieId,title,genres\na,A,X\nb,B,Y\nc,C,Z\n"))
        let snapshot = try RecallSnapshot(store: store, table: "item2vec")
        var cache: ItemFieldCache? = ItemFieldCache(limit: 2)
        weak var weakCache = cache
        let list = cache!.fields(snapshot, rows: [2, 0, 1])
        cache = nil
        XCTAssertNotNil(weakCache, "the list's owner keeps the cache")
        weak var pastLimit = list[0]
        XCTAssertNotNil(pastLimit, "the list's owner keeps the row past the cache's limit")
        XCTAssertEqual((0..<list.count).map { list[$0].title }, ["C", "A", "B"])
    }
}
