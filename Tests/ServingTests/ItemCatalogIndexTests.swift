import EmbedStore
import Serving
import RecsysTestSupport
import XCTest

final class ItemCatalogIndexTests: XCTestCase {
    func item(_ id: String, _ title: String, _ genres: String = "") -> Item {
        Item(id: id, fields: ["title": title, "genres": genres])
    }

    func testMatchesRankTitleStartThenWordStartThenInside() {
        let index = ItemCatalogIndex(items: [item("10", "History of Story"), item("2", "Story Time"), item("3", "A Toy Story", "Comedy"),
                                             item("1", "Ÿoung Ümlaut", "Drama")])
        // catalogue order is numeric: 1, 2, 3, 10
        XCTAssertEqual(index.items.map(\.id), ["1", "2", "3", "10"])
        let hits = index.search("STORY", limit: 10)
        XCTAssertEqual(hits.items.map(\.id), ["2", "3", "10"])
        XCTAssertEqual(hits.total, 3)
        XCTAssertEqual(index.search("ümlaut", limit: 10).items.map(\.id), ["1"], "Unicode lower-casing")
        XCTAssertEqual(index.search("story", genre: "Comedy", limit: 10).items.map(\.id), ["3"])
        XCTAssertEqual(index.search("", genre: "Drama", limit: 10).items.map(\.id), ["1"])
        XCTAssertEqual(index.search("story time a", limit: 10).total, 0, "a match never spans two titles")
        XCTAssertEqual(index.search("y \nsto", limit: 10).items.map(\.id), ["3"], "newlines in a query are ignored")
    }

    func testItemsWithoutTitlesMatchByIDAndGenresAreCounted() {
        let index = ItemCatalogIndex(items: [Item(id: "abc", fields: ["genres": "X|Y"]), Item(id: "bcd", fields: ["genres": "Y"])])
        XCTAssertEqual(index.search("bc", limit: 10).items.map(\.id), ["bcd", "abc"])
        XCTAssertEqual(index.genres.map(\.genre), ["Y", "X"])
        XCTAssertEqual(index.genres.map(\.items), [2, 1])
    }
}

final class CatalogCacheTests: XCTestCase {
    /// Embedding writes do not make the next search rebuild the catalogue; an items import does.
    func testTheIndexIsKeptAcrossWritesUntilTheItemsChange() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        try store.importItems(from: dir.write("a.csv", "id,title\n1,One\n"))
        try store.importVectors(from: dir.write("v.txt", "1:1 0\n"), table: "t")
        let state = ServingState(store: store)
        let first = try state.view().catalog()
        try store.importVectors(from: dir.write("w.txt", "2:0 1\n"), table: "u")
        XCTAssertTrue(try state.view().catalog() === first, "a commit that left the items alone")
        try store.importItems(from: dir.write("b.csv", "id,title\n1,Uno\n"))
        let next = try state.view().catalog()
        XCTAssertFalse(next === first)
        XCTAssertEqual(next.items.map(\.title), ["Uno"])
    }
}
