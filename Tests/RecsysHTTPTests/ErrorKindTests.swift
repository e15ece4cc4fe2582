@testable import EmbedStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Ranker
import Recall
@testable import RecsysHTTP
import RecsysTestSupport
import Serving
import XCTest

/// Errors classify themselves: one status per kind, a stable snake_case code
/// in every JSON error body, and damaged data answered 503 (this replica
/// cannot answer; another may), never 200 or a bare 500.
final class ErrorKindTests: XCTestCase {
    func testEveryErrorMapsByItsKindWithAStableCode() {
        let cases: [(Error, Int)] = [
            (StoreError.unknownTable("t"), 404), (StoreError.unknownID(table: "t", id: "x"), 404), (StoreError.notFound("x"), 404),
            (StoreError.dimensionMismatch(table: "t", expected: 2, got: 3), 400), (StoreError.invalidArgument("x"), 400),
            (StoreError.badInput(file: "f", location: "line 2", reason: "r"), 400), (StoreError.damaged(path: "p", reason: "r"), 503),
            (StoreError.readOnly(path: "p"), 503), (StoreError.diskFull(path: "p", available: 0, needed: nil), 507),
            (StoreError.lmdb(operation: "o", code: -1, message: "m"), 500), (StoreError.io(path: "p", reason: "r"), 500),
            (RecallError.noUserVector("u"), 404), (RecallError.invalidParameter("k"), 400), (RecallError.noIndex("t"), 400),
            (RecallError.emptyTable("t"), 400), (RecallError.dimensionMismatch(table: "t", expected: 1, got: 2), 400),
            (RankerError.unknownModel("m"), 404), (RankerError.badSpec("s"), 400), (RankerError.badOption("o"), 400),
            (RankerError.badSamples(file: "f", line: 1, reason: "r"), 400),
            (ServingError.invalidParameter(name: "k", rule: "r"), 400), (ServingError.missingQuery, 400),
            (HTTPRequestError.bodyTooLarge(limit: 1), 413), (HTTPRequestError.invalidBody("b"), 400),
            (HTTPRequestError.invalidParameter(name: "k", rule: "r"), 400), (HTTPRequestError.noRoute(method: "GET", path: "/x"), 404),
            (HTTPRequestError.methodNotAllowed(method: "GET", path: "/x", allowed: ["POST"]), 405), (HTTPRequestError.noFile("f"), 404),
            (HTTPRequestError.writesDisabled, 403), (HTTPRequestError.unauthorized("m"), 401),
            (JSONFieldError(path: "k", problem: "p", wrongType: true), 400),
        ]
        for (error, status) in cases {
            XCTAssertEqual(Int(ErrorResponse.status(for: error).code), status, "\(error)")
            let code = ErrorResponse.code(for: error)
            XCTAssertNotNil(code.range(of: "^[a-z0-9_]+$", options: .regularExpression), code)
        }
        XCTAssertEqual(Int(ErrorResponse.status(for: CocoaError(.fileNoSuchFile)).code), 500, "an error recsys did not raise")
        XCTAssertEqual(ErrorResponse.code(for: CocoaError(.fileNoSuchFile)), "internal_error")
    }

    func testDamagedDataIs503WithItsCodeAndBodiesCarryCodes() async throws {
        let dir = TempDir()
        let (app, store) = try makeApp(dir)
        // flip the row value of item2vec's id "2": its checksum fails
        try store.write { txn in
            let info = try txn.tableInfo("item2vec")!
            let key = VersionKeys(tableID: info.tableID, version: info.current.version).idKey("2")
            var v = Array(try txn.get(.ids, key)!)
            v[0] ^= 1
            _ = try txn.put(.ids, key, v)
        }
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/embeddings/item2vec/2", method: .get) { r in
                XCTAssertEqual(r.status, .serviceUnavailable, String(buffer: r.body))
                let body = try jsonBody(r)
                XCTAssertEqual(body["code"] as? String, "store_damaged")
                XCTAssertTrue((body["error"] as? String ?? "").contains("id '2'"), "\(body)")
            }
            try await client.execute(uri: "/v1/embeddings/item2vec/1", method: .get) { XCTAssertEqual($0.status, .ok, "an undamaged id still answers") }
            for (uri, code) in [("/v1/embeddings/nope/1", "unknown_table"), ("/v1/nothing", "no_route"), ("/v1/recall/item/1?k=0", "invalid_parameter")] {
                try await client.execute(uri: uri, method: .get) { r in
                    XCTAssertEqual(try jsonBody(r)["code"] as? String, code, "\(uri): \(String(buffer: r.body))")
                }
            }
            try await client.execute(uri: "/v1/embeddings/item2vec/9", method: .put, body: ByteBuffer(string: #"{"vector": [1, 2, 3]}"#)) { r in
                XCTAssertEqual(r.status, .forbidden)
                XCTAssertEqual(try jsonBody(r)["code"] as? String, "writes_disabled")
            }
        }
    }
}
