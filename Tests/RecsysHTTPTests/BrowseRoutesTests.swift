import EmbedStore
import Foundation
import Hummingbird
import HummingbirdTesting
@testable import RecsysHTTP
import RecsysTestSupport
import XCTest

/// The routes behind the web pages, the pages themselves, and the HTTP
/// conventions every body follows (snake_case keys, numbers as numbers,
/// errors that speak of routes and parameters, not of command-line options).
final class BrowseRoutesTests: XCTestCase {

    func testItemSearchGenresAndItems() async throws {
        let (app, _) = try makeApp(TempDir())
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/items?q=O", method: .get) { r in
                let body = try jsonBody(r)
                // "One" matches at the title's start, then "Two" and "Four" in catalogue order
                XCTAssertEqual((body["results"] as! [[String: Any]]).map { $0["title"] as! String }, ["One", "Two", "Four"])
                XCTAssertEqual(body["total"] as? Int, 3)
            }
            try await client.execute(uri: "/v1/items?q=o&limit=1", method: .get) { r in
                let body = try jsonBody(r)
                XCTAssertEqual((body["results"] as! [[String: Any]]).count, 1)
                XCTAssertEqual(body["total"] as? Int, 3, "total counts every match")
            }
            try await client.execute(uri: "/v1/items?genre=Drama", method: .get) { r in
                XCTAssertEqual((try jsonBody(r)["results"] as! [[String: Any]]).map { $0["id"] as! String }, ["1", "2"])
            }
            try await client.execute(uri: "/v1/items?q=t&genre=Comedy", method: .get) { r in
                XCTAssertEqual((try jsonBody(r)["results"] as! [[String: Any]]).map { $0["id"] as! String }, ["2", "3"], "both at the title start: catalogue order")
            }
            try await client.execute(uri: "/v1/items?limit=1001", method: .get) { r in
                XCTAssertEqual(r.status, .badRequest)
                XCTAssertEqual(try jsonBody(r)["error"] as? String, "limit must be an integer in 1...1000, got '1001'")
            }
            try await client.execute(uri: "/v1/items/2", method: .get) { r in
                let body = try jsonBody(r)
                XCTAssertEqual(body["genres"] as? [String], ["Comedy", "Drama"])
                XCTAssertEqual(body["fields"] as? [String: String], [:])
            }
            try await client.execute(uri: "/v1/items/99", method: .get) { r in
                XCTAssertEqual(r.status, .notFound)
                XCTAssertEqual(try jsonBody(r)["error"] as? String, "no item with id '99'")
            }
            try await client.execute(uri: "/v1/genres", method: .get) { r in
                let genres = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as! [[String: Any]]
                XCTAssertEqual(genres.map { $0["genre"] as! String }, ["Comedy", "Drama", "Horror"])
                XCTAssertEqual(genres.map { $0["items"] as! Int }, [2, 2, 1])
            }
        }
    }

    func testUsersAndModels() async throws {
        let dir = TempDir()
        let (app, store) = try makeApp(dir)
        try store.write { try $0.setHistory(["3", "zz"], of: "u1") }
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/users/u1", method: .get) { r in
                let body = try jsonBody(r)
                XCTAssertEqual(body["embedding_tables"] as? [String], ["user"])
                XCTAssertEqual(body["has_features"] as? Bool, false)
                let history = body["history"] as! [[String: Any]]
                XCTAssertEqual(history.map { $0["id"] as! String }, ["3", "zz"])
                XCTAssertEqual(history[0]["title"] as? String, "Three")
                XCTAssertNil(history[1]["title"], "an item the catalogue lacks keeps its id only")
            }
            try await client.execute(uri: "/v1/users/nobody", method: .get) { r in
                XCTAssertEqual(r.status, .notFound)
                XCTAssertEqual(try jsonBody(r)["error"] as? String, "unknown user 'nobody': no history, features or user vector")
            }
            try await client.execute(uri: "/v1/models", method: .get) { r in
                XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [Any])?.count, 0)
            }
        }
        try storeSmallModel(dir, store)
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/models", method: .get) { r in
                let models = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as! [[String: Any]]
                XCTAssertEqual(models.map { $0["name"] as! String }, ["m"])
                XCTAssertEqual(models[0]["training_rows"] as? Int, 200)
            }
        }
    }

    func testBodiesUseOneKeyStyleNumbersAndHTTPWording() async throws {
        let (app, _) = try makeApp(TempDir())
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/tables/item2vec", method: .get) { r in
                let body = try jsonBody(r)
                XCTAssertEqual(body["changes_since_import"] as? Int, 0)
                XCTAssertNil(body["changesSinceImport"])
            }
            try await client.execute(uri: "/v1/recall/item/1?k=2", method: .get) { r in
                let query = try jsonBody(r)["query"] as! [String: Any]
                XCTAssertEqual(query["k"] as? Int, 2, "k is a number")
                XCTAssertFalse(query["k"] is String)
            }
            // errors name routes and parameters, never command-line options or commands
            let wording: [(String, String)] = [
                ("/v1/recall/item/1?table=nope", "no embedding table named 'nope' (GET /v1/tables lists them)"),
                ("/v1/recall/user/nobody", "unknown user 'nobody': not in table 'user' and no stored history (POST /v1/recall takes a vector)"),
                ("/v1/recall/user/nobody?from=embedding&user_table=users", "no user table 'users' (use from=history, or user_table to name another table)"),
                ("/v1/recall/user/u1?where=year=1999", "where: the items table has no column 'year' (columns: movieId, title, genres)"),
                ("/v1/recommend/user/u1?model=nope", "no model named 'nope' (GET /v1/models lists the models)"),
            ]
            for (uri, message) in wording {
                try await client.execute(uri: uri, method: .get) { r in
                    let error = try jsonBody(r)["error"] as? String ?? ""
                    XCTAssertEqual(error, message, uri)
                    XCTAssertFalse(error.contains("--") || error.contains("`recsys"), "\(uri): \(error)")
                }
            }
        }
    }

    func testPagesAndStaticFilesAreServedFromTheBinary() async throws {
        let (app, _) = try makeApp(TempDir())
        try await app.test(.router) { client in
            for (path, title) in [("/", "browse"), ("/item", "item"), ("/user", "user"), ("/tables", "tables")] {
                try await client.execute(uri: path, method: .get) { r in
                    XCTAssertEqual(r.status, .ok, path)
                    XCTAssertEqual(r.headers[.contentType], "text/html; charset=utf-8")
                    XCTAssertTrue(String(buffer: r.body).contains("<title>recsys: \(title)</title>"), path)
                    XCTAssertEqual(r.headers[.contentSecurityPolicy], "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
                }
            }
            try await client.execute(uri: "/static/app.js", method: .get) { r in
                XCTAssertEqual(r.headers[.contentType], "text/javascript; charset=utf-8")
                XCTAssertTrue(String(buffer: r.body).contains("const recsys"))
            }
            try await client.execute(uri: "/", method: .head) { XCTAssertEqual($0.status, .ok) }
            for missing in ["/static/index.html", "/static/nope.js"] {
                try await client.execute(uri: missing, method: .get) { r in
                    XCTAssertEqual(r.status, .notFound, missing)
                    XCTAssertNotNil(try jsonBody(r)["error"])
                }
            }
        }
    }

    /// The binary serves what web/ and docs/openapi.json hold: the generated
    /// Swift file is re-made by `scripts/embed_assets.py` after an edit.
    func testEmbeddedAssetsMatchTheirSources() throws {
        var sources = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("web").path).map { "web/\($0)" }
        sources.append("docs/openapi.json")
        XCTAssertEqual(Set(EmbeddedAssets.files.keys), Set(sources.map { ($0 as NSString).lastPathComponent }),
                       "run scripts/embed_assets.py")
        for path in sources {
            var text = try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
            if text.hasSuffix("\n") { text.removeLast() }
            XCTAssertEqual(EmbeddedAssets.files[(path as NSString).lastPathComponent]?.body, text, "\(path) changed: run scripts/embed_assets.py")
        }
    }
}
