import EmbedStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Recall
import RecsysHTTP
import RecsysTestSupport
import XCTest

/// The API document cannot drift from the service: every registered route is
/// documented and every documented route registered, and real responses of
/// every route, errors included, validate against the document's schemas.
final class OpenAPIDocumentTests: XCTestCase {
    static let token = "0123456789abcdef0123456789abcdef"

    func testEveryRegisteredRouteIsDocumentedAndEveryDocumentedRouteRegistered() async throws {
        let dir = TempDir(), routes = RouteTable()
        let (app, _) = try makeApp(dir, routes: routes)
        let doc = try await fetchDocument(app)
        XCTAssertEqual(doc["openapi"] as? String, "3.1.0")
        let paths = try XCTUnwrap(doc["paths"] as? [String: [String: Any]])
        let registered = Set(routes.routes.map { "\($0.method.rawValue.lowercased()) \($0.path)" })
        let documented = Set(paths.flatMap { path, ops in ops.keys.filter { $0 != "parameters" }.map { "\($0) \(path)" } })
        XCTAssertEqual(registered.subtracting(documented).sorted(), [], "routes missing from docs/openapi.json")
        XCTAssertEqual(documented.subtracting(registered).sorted(), [], "documented routes the service does not register")
        XCTAssertGreaterThan(registered.count, 25)
    }

    func testResponsesOfEveryRouteValidateAgainstTheDocument() async throws {
        let dir = TempDir(), routes = RouteTable()
        let (app, store) = try makeApp(dir, access: AccessControl(writeToken: Array(Self.token.utf8)), routes: routes)
        try storeSmallModel(dir, store)
        try store.write { txn in try txn.setHistory(["1", "3"], of: "u1") }
        _ = try LSHIndex.build(store: store, table: "item2vec")
        let evaluation = try RecallEvaluation.run(RecallSnapshot(store: store, table: "item2vec"), queries: [[1, 0, 0]], options: SearchOptions(k: 2))
        try store.write { try RecordedEvaluations(table: "item2vec", tableVersion: 1, indexCreatedAt: Date(), rows: [evaluation]).save($0) }
        let doc = try await fetchDocument(app)
        let validator = JSONSchemaValidator(document: doc)
        let paths = doc["paths"] as! [String: [String: Any]]
        let auth: HTTPFields = [.authorization: "Bearer \(Self.token)"]
        // (method, documented path, request path, body, headers, expected status)
        let calls: [(HTTPRequest.Method, String, String, String?, HTTPFields, Int)] = [
            (.get, "/healthz", "/healthz", nil, [:], 200),
            (.get, "/v1/status", "/v1/status", nil, [:], 200),
            (.get, "/v1/tables", "/v1/tables", nil, [:], 200),
            (.get, "/v1/tables/{table}", "/v1/tables/item2vec", nil, [:], 200),
            (.get, "/v1/tables/{table}", "/v1/tables/nope", nil, [:], 404),
            (.get, "/v1/tables/{table}/index", "/v1/tables/item2vec/index", nil, [:], 200),
            (.get, "/v1/tables/{table}/index", "/v1/tables/user/index", nil, [:], 200),
            (.get, "/v1/tables/{table}/index", "/v1/tables/nope/index", nil, [:], 404),
            (.get, "/v1/embeddings/{table}/{id}", "/v1/embeddings/item2vec/1", nil, [:], 200),
            (.get, "/v1/embeddings/{table}/{id}", "/v1/embeddings/item2vec/99", nil, [:], 404),
            (.post, "/v1/embeddings/{table}/batch-get", "/v1/embeddings/item2vec/batch-get", #"{"ids": ["1", 2, "zz"]}"#, [:], 200),
            (.post, "/v1/embeddings/{table}/batch-get", "/v1/embeddings/item2vec/batch-get", #"{"ids": "1"}"#, [:], 400),
            (.get, "/v1/recall/user/{id}", "/v1/recall/user/u1?k=2", nil, [:], 200),
            (.get, "/v1/recall/user/{id}", "/v1/recall/user/nobody", nil, [:], 404),
            (.get, "/v1/recall/user/{id}", "/v1/recall/user/u1?k=0", nil, [:], 400),
            (.get, "/v1/recall/item/{id}", "/v1/recall/item/1?k=2", nil, [:], 200),
            (.post, "/v1/recall", "/v1/recall", #"{"vector": [1, 0, 0], "k": 2, "where": {"genre": "Drama"}, "exclude": [1]}"#, [:], 200),
            (.post, "/v1/recall", "/v1/recall", #"{"vector": [1, 0]}"#, [:], 400),
            (.post, "/v1/rank", "/v1/rank", #"{"model": "m", "user": "u1", "items": [1, 2, "zz"]}"#, [:], 200),
            (.post, "/v1/rank", "/v1/rank", #"{"model": "m", "user": "nobody", "items": [1]}"#, [:], 404),
            (.get, "/v1/recommend/user/{id}", "/v1/recommend/user/u1?k=2&model=m", nil, [:], 200),
            (.get, "/v1/recommend/user/{id}", "/v1/recommend/user/u1?model=nope", nil, [:], 404),
            (.get, "/v1/items", "/v1/items?q=o&limit=2", nil, [:], 200),
            (.get, "/v1/items", "/v1/items?genre=Drama", nil, [:], 200),
            (.get, "/v1/items", "/v1/items?limit=0", nil, [:], 400),
            (.get, "/v1/items/{id}", "/v1/items/2", nil, [:], 200),
            (.get, "/v1/items/{id}", "/v1/items/99", nil, [:], 404),
            (.get, "/v1/genres", "/v1/genres", nil, [:], 200),
            (.get, "/v1/users/{id}", "/v1/users/u1", nil, [:], 200),
            (.get, "/v1/users/{id}", "/v1/users/nobody", nil, [:], 404),
            (.get, "/v1/models", "/v1/models", nil, [:], 200),
            (.put, "/v1/embeddings/{table}/{id}", "/v1/embeddings/item2vec/9", #"{"vector": [0, 1, 1]}"#, auth, 200),
            (.put, "/v1/embeddings/{table}/{id}", "/v1/embeddings/item2vec/9", #"{"vector": [0, 1, 1]}"#, [:], 401),
            (.put, "/v1/embeddings/{table}/{id}", "/v1/embeddings/nope/9", #"{"vector": [0, 1, 1]}"#, auth, 404),
            (.put, "/v1/embeddings/{table}/{id}", "/v1/embeddings/item2vec/9", #"{"vector": [0, 1]}"#, auth, 400),
            (.post, "/v1/embeddings/{table}", "/v1/embeddings/item2vec", #"{"items": [{"id": 10, "vector": [1, 1, 0]}]}"#, auth, 200),
            (.delete, "/v1/embeddings/{table}/{id}", "/v1/embeddings/item2vec/10", nil, auth, 200),
            (.delete, "/v1/embeddings/{table}/{id}", "/v1/embeddings/item2vec/10", nil, auth, 404),
        ]
        let covered = Set(calls.map { "\($0.0.rawValue.lowercased()) \($0.1)" })
        try await app.test(.router) { client in
            for (method, template, uri, body, headers, expected) in calls {
                try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { r in
                    let what = "\(method) \(uri) -> \(r.status.code)"
                    XCTAssertEqual(r.status.code, expected, "\(what): \(String(buffer: r.body))")
                    let operation = try XCTUnwrap(paths[template]?[method.rawValue.lowercased()] as? [String: Any], what)
                    let responses = try XCTUnwrap(operation["responses"] as? [String: Any], what)
                    let response = try XCTUnwrap(responses[String(r.status.code)] as? [String: Any], "\(what) is not documented")
                    let schema = try XCTUnwrap(((response["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any], what)
                    let value = try JSONSerialization.jsonObject(with: Data(buffer: r.body), options: .fragmentsAllowed)
                    XCTAssertEqual(validator.violations(of: value, against: schema), [], "\(what): \(String(buffer: r.body).prefix(300))")
                    XCTAssertEqual(r.headers[.contentType], "application/json", what)
                }
            }
        }
        // every JSON route is exercised (pages, static files, metrics and the document itself are not JSON bodies to validate)
        let json = routes.routes.filter { $0.path.hasPrefix("/v1/") || $0.path == "/healthz" }.map { "\($0.method.rawValue.lowercased()) \($0.path)" }
        XCTAssertEqual(Set(json).subtracting(covered).sorted(), [], "JSON routes without a validated response")
    }

    func testTheServedDocumentIsTheOneInTheRepository() async throws {
        let (app, _) = try makeApp(TempDir())
        let served = try await fetchDocument(app)
        let file = try JSONSerialization.jsonObject(with: Data(contentsOf: repositoryRoot.appendingPathComponent("docs/openapi.json"))) as! [String: Any]
        XCTAssertEqual(NSDictionary(dictionary: served), NSDictionary(dictionary: file))
    }

    private func fetchDocument(_ app: some ApplicationProtocol) async throws -> [String: Any] {
        let body = try await app.test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { r in
                XCTAssertEqual(r.status, .ok)
                return Data(buffer: r.body)
            }
        }
        return try XCTUnwrap(JSONSerialization.jsonObject(with: body) as? [String: Any])
    }
}

/// The repository's root, from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
