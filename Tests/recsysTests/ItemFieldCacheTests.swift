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
        let first = cache.fields(snapshot, rows: [rowOf("c"), rowOf("a")])
        XCTAssertEqual(first.map(\.id), ["c", "a"])
        let rows = ["b", "c", "e", "a", "d"].map(rowOf)
        let second = cache.fields(snapshot, rows: rows)
        XCTAssertEqual(second.map(\.id), ["b", "c", "e", "a", "d"])
        XCTAssertEqual(second.map { $0.title ?? "" }, ["B", "C", "E", "A", "D"])
        XCTAssertEqual(second[2].genres, ["Z"])
        // rows under the limit are kept: the same objects come back
        let third = cache.fields(snapshot, rows: rows)
        for i in rows.indices where rows[i] < cache.limit { XCTAssertTrue(third[i] === second[i], "row \(rows[i]) cached") }
        XCTAssertEqual(third.map(\.id), ["b", "c", "e", "a", "d"])
    }
}
