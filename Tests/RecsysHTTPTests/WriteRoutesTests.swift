import EmbedStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RecsysHTTP
import RecsysTestSupport
import Serving
import XCTest

/// Writes over HTTP: off unless the operator gives a token, guarded by it,
/// all-or-nothing, and visible to the next request.
final class WriteRoutesTests: XCTestCase {
    private let token = "0123456789abcdef0123"

    private func app(_ dir: TempDir, access: AccessControl) throws -> (Application<RouterResponder<BasicRequestContext>>, Store) {
        let store = try Store(path: dir.file("s.lmdb"))
        try store.importVectors(from: dir.write("items.txt", "1:1 0 0\n2:0.9 0.1 0\n3:0 1 0\n4:0 0 1\n"), table: "item2vec")
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let router = Service.router(state: ServingState(store: store), metrics: ServiceMetrics(), logger: logger, access: access)
        return (Application(router: router, logger: logger), store)
    }

    private func bearer(_ t: String) -> HTTPFields { [.authorization: "Bearer \(t)"] }

    func testWritesAreForbiddenUntilATokenIsGiven() async throws {
        let dir = TempDir()
        let (app, store) = try app(dir, access: AccessControl())
        let before = try fingerprint(store)
        try await app.test(.router) { client in
            for (method, uri, body) in [(HTTPRequest.Method.put, "/v1/embeddings/item2vec/9", #"{"vector": [1, 1, 1]}"#),
                                        (.post, "/v1/embeddings/item2vec", #"{"items": [{"id": "9", "vector": [1, 1, 1]}]}"#),
                                        (.delete, "/v1/embeddings/item2vec/1", "")] {
                try await client.execute(uri: uri, method: method, headers: bearer(token), body: ByteBuffer(string: body)) { r in
                    XCTAssertEqual(r.status, .forbidden, "\(method) \(uri)")
                    XCTAssertTrue((try jsonBody(r)["error"] as? String ?? "").contains("--write-token-file"))
                }
            }
        }
        XCTAssertEqual(try fingerprint(store), before)
    }

    func testTokenGuardsWritesThatAreSeenByTheNextRequest() async throws {
        let dir = TempDir()
        let (app, store) = try app(dir, access: AccessControl(writeToken: Array(token.utf8)))
        try await app.test(.router) { client in
            let put = ByteBuffer(string: #"{"vector": [0, 0.5, 0.5]}"#)
            try await client.execute(uri: "/v1/embeddings/item2vec/9", method: .put, body: put) { r in
                XCTAssertEqual(r.status, .unauthorized)
                XCTAssertEqual(r.headers[.wwwAuthenticate], "Bearer")
            }
            try await client.execute(uri: "/v1/embeddings/item2vec/9", method: .put, headers: bearer(token + "x"), body: put) {
                XCTAssertEqual($0.status, .unauthorized)
                XCTAssertFalse(String(buffer: $0.body).contains(self.token), "the token is never echoed")
            }
            try await client.execute(uri: "/v1/embeddings/item2vec/9", method: .put, headers: bearer(token), body: put) { r in
                XCTAssertEqual(r.status, .ok, String(buffer: r.body))
                XCTAssertEqual(try jsonBody(r)["inserted"] as? Int, 1)
            }
            try await client.execute(uri: "/v1/embeddings/item2vec/9", method: .get) { r in
                XCTAssertEqual(try jsonBody(r)["vector"] as? [Double], [0, 0.5, 0.5])
            }
            try await client.execute(uri: "/v1/recall/item/3?k=1", method: .get) { r in
                XCTAssertEqual((try jsonBody(r)["results"] as? [[String: Any]])?.first?["id"] as? String, "9", "recall sees the upsert")
            }
            // a batch is all or nothing: item 1's dimension is wrong, item 0 is not written
            let bad = ByteBuffer(string: #"{"items": [{"id": "10", "vector": [1, 0, 0]}, {"id": 11, "vector": [1, 0]}]}"#)
            try await client.execute(uri: "/v1/embeddings/item2vec", method: .post, headers: bearer(token), body: bad) { r in
                XCTAssertEqual(r.status, .badRequest)
                XCTAssertTrue((try jsonBody(r)["error"] as? String ?? "").contains("items[1] (id '11')"), String(buffer: r.body))
            }
            try await client.execute(uri: "/v1/embeddings/item2vec/10", method: .get) { XCTAssertEqual($0.status, .notFound) }
            let good = ByteBuffer(string: #"{"items": [{"id": "10", "vector": [1, 0, 0]}, {"id": 1, "vector": [0, 0, 2]}]}"#)
            try await client.execute(uri: "/v1/embeddings/item2vec", method: .post, headers: bearer(token), body: good) { r in
                XCTAssertEqual(r.status, .ok, String(buffer: r.body))
                XCTAssertEqual(try jsonBody(r)["upserted"] as? Int, 2)
                XCTAssertEqual(try jsonBody(r)["inserted"] as? Int, 1)
            }
            try await client.execute(uri: "/v1/embeddings/item2vec/1", method: .delete, headers: bearer(token)) { XCTAssertEqual($0.status, .ok) }
            try await client.execute(uri: "/v1/embeddings/item2vec/1", method: .get) { XCTAssertEqual($0.status, .notFound) }
            try await client.execute(uri: "/v1/embeddings/item2vec/1", method: .delete, headers: bearer(token)) { XCTAssertEqual($0.status, .notFound) }
            try await client.execute(uri: "/v1/embeddings/nope/1", method: .put, headers: bearer(token), body: put) { XCTAssertEqual($0.status, .notFound) }
        }
        XCTAssertEqual(try store.read { try $0.table("item2vec").count }, 5)
    }

    /// Many clients upserting distinct ids at once lose nothing.
    func testConcurrentWritersLoseNothing() async throws {
        let dir = TempDir()
        let (app, _) = try app(dir, access: AccessControl(writeToken: Array(token.utf8)))
        try await app.test(.live) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for c in 0..<8 {
                    group.addTask {
                        for i in 0..<10 {
                            let body = ByteBuffer(string: "{\"vector\": [\(c), \(i), 1]}")
                            try await client.execute(uri: "/v1/embeddings/item2vec/c\(c)-\(i)", method: .put, headers: self.bearer(self.token), body: body) {
                                XCTAssertEqual($0.status, .ok)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let ids = (0..<8).flatMap { c in (0..<10).map { "\"c\(c)-\($0)\"" } }
            try await client.execute(uri: "/v1/embeddings/item2vec/batch-get", method: .post,
                                     body: ByteBuffer(string: "{\"ids\": [\(ids.joined(separator: ","))]}")) { r in
                let body = try jsonBody(r)
                XCTAssertEqual(body["unknown"] as? [String], [])
                XCTAssertEqual((body["vectors"] as? [[String: Any]])?.count, 80)
            }
        }
    }

    func testAReadTokenGuardsEveryRouteButHealthz() async throws {
        let dir = TempDir()
        let read = "fedcba9876543210fedc"
        let (app, _) = try app(dir, access: AccessControl(writeToken: Array(token.utf8), readToken: Array(read.utf8)))
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { XCTAssertEqual($0.status, .ok) }
            try await client.execute(uri: "/v1/tables", method: .get) { XCTAssertEqual($0.status, .unauthorized) }
            try await client.execute(uri: "/v1/tables", method: .get, headers: bearer(read)) { XCTAssertEqual($0.status, .ok) }
            try await client.execute(uri: "/v1/tables", method: .get, headers: bearer(token)) { XCTAssertEqual($0.status, .ok) }
            // the read token does not write
            try await client.execute(uri: "/v1/embeddings/item2vec/1", method: .delete, headers: bearer(read)) { XCTAssertEqual($0.status, .unauthorized) }
        }
    }

    func testTokenFilesMustHoldALongToken() throws {
        let dir = TempDir()
        XCTAssertEqual(try AccessControl.token(fromFile: dir.write("t", token + "\n")), Array(token.utf8))
        XCTAssertThrowsError(try AccessControl.token(fromFile: dir.write("short", "secret\n")))
        XCTAssertThrowsError(try AccessControl.token(fromFile: dir.file("missing")))
    }
}
