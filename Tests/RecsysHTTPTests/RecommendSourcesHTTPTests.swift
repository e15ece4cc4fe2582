import EmbedStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Offline
import Recall
import RecsysTestSupport
import XCTest

/// Over HTTP, `recommend` on a store with neighbours answers from the
/// user's history, and the body says which sources proposed each result.
final class RecommendSourcesHTTPTests: XCTestCase {
    func testRecommendFromHistoryTagsEachResultWithItsSources() async throws {
        let dir = TempDir()
        let (app, store) = try makeApp(dir)
        // items 1-4 of makeApp's store: 1 and 2 go together, 3 with 2
        let nb = try NeighbourBuilder.build(sequences: [[0, 1], [0, 1, 2], [1, 2], [0, 1]], itemIDs: ["1", "2", "3", "4"], method: .cosine)
        try store.write { txn in
            try nb.save(txn, name: ItemNeighbours.defaultName)
            try txn.setHistory(["1"], of: "u9")
        }
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/recommend/user/u9?k=3", method: .get) { r in
                XCTAssertEqual(r.status, .ok, String(buffer: r.body))
                let body = try jsonBody(r)
                XCTAssertEqual(body["recall_method"] as? String, "sources")
                XCTAssertEqual(body["sources"] as? [String], ["neighbours 'neighbours' (cosine)", "embedding 'item2vec'", "popular"])
                XCTAssertNotNil(body["ranking"] as? String)
                let results = try XCTUnwrap(body["results"] as? [[String: Any]])
                XCTAssertEqual(results.first?["id"] as? String, "2", "item 1's neighbour first")
                XCTAssertFalse(results.contains { $0["id"] as? String == "1" }, "history items are never recommended")
                for result in results {
                    let sources = try XCTUnwrap(result["sources"] as? [String], "\(result)")
                    XCTAssertFalse(sources.isEmpty)
                    XCTAssertTrue(Set(sources).isSubset(of: ["neighbours", "embedding", "popular"]), "\(sources)")
                }
            }
            // the embedding path on request: no sources
            try await client.execute(uri: "/v1/recommend/user/u1?k=2&from=embedding", method: .get) { r in
                XCTAssertEqual(r.status, .ok, String(buffer: r.body))
                let body = try jsonBody(r)
                XCTAssertNotEqual(body["recall_method"] as? String, "sources")
                XCTAssertNil(body["sources"])
            }
        }
    }
}
