import EmbedStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RecsysHTTP
import RecsysTestSupport
import Serving
import XCTest

/// What HTTP clients assume: HEAD works where GET does, a wrong method is
/// 405 with `Allow`, and CORS headers appear only when the operator asks.
final class HTTPConventionsTests: XCTestCase {
    func testHeadAnswersLikeGetWithoutABody() async throws {
        let dir = TempDir()
        let (app, _) = try makeApp(dir)
        try await app.test(.router) { client in
            for uri in ["/healthz", "/v1/tables", "/v1/embeddings/item2vec/1", "/v1/recall/item/1?k=2"] {
                try await client.execute(uri: uri, method: .head) { r in
                    XCTAssertEqual(r.status, .ok, uri)
                    XCTAssertEqual(r.body.readableBytes, 0, uri)
                }
            }
            try await client.execute(uri: "/v1/embeddings/item2vec/99", method: .head) { XCTAssertEqual($0.status, .notFound) }
        }
    }

    func testAWrongMethodIs405WithAllow() async throws {
        let dir = TempDir()
        let (app, _) = try makeApp(dir)
        try await app.test(.router) { client in
            for (uri, method, allow) in [("/v1/recall", HTTPRequest.Method.get, "POST"), ("/v1/rank", .delete, "POST"),
                                         ("/v1/tables/item2vec", .post, "GET, HEAD"), ("/v1/recall/item/1", .post, "GET, HEAD")] {
                try await client.execute(uri: uri, method: method) { r in
                    XCTAssertEqual(r.status, .methodNotAllowed, "\(method) \(uri)")
                    XCTAssertEqual(r.headers[.allow], allow, "\(method) \(uri)")
                    XCTAssertTrue((try jsonBody(r)["error"] as? String ?? "").contains("is not allowed on"), String(buffer: r.body))
                }
            }
            try await client.execute(uri: "/v1/nothing/here", method: .get) { XCTAssertEqual($0.status, .notFound) }
        }
    }

    func testCORSHeadersOnlyWhenAnOriginIsAllowed() async throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        try store.importVectors(from: dir.write("items.txt", "1:1 0\n2:0 1\n"), table: "item2vec")
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let origin = "https://app.example.com"
        for allowed in [nil, origin] {
            let router = Service.router(state: ServingState(store: store), metrics: ServiceMetrics(), logger: logger, corsOrigin: allowed)
            try await Application(router: router, logger: logger).test(.router) { client in
                try await client.execute(uri: "/v1/tables", method: .get, headers: [.origin: origin]) { r in
                    XCTAssertEqual(r.status, .ok)
                    XCTAssertEqual(r.headers[.accessControlAllowOrigin], allowed)
                }
                try await client.execute(uri: "/v1/recall", method: .options,
                                         headers: [.origin: origin, .accessControlRequestMethod: "POST"]) { r in
                    if allowed == nil {
                        XCTAssertNil(r.headers[.accessControlAllowOrigin])
                    } else {
                        XCTAssertEqual(r.status, .noContent)
                        XCTAssertEqual(r.headers[.accessControlAllowOrigin], origin)
                        XCTAssertTrue(r.headers[.accessControlAllowMethods]?.contains("POST") ?? false)
                    }
                }
            }
        }
    }
}
