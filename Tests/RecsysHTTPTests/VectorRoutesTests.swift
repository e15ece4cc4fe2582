import Foundation
import Hummingbird
import HummingbirdTesting
import RecsysTestSupport
import XCTest

/// Search by any vector, many vectors in one read, one table's metadata.
final class VectorRoutesTests: XCTestCase {
    private func post(_ client: some TestClientProtocol, _ uri: String, _ body: String,
                      _ check: @escaping (TestResponse) throws -> Void) async throws {
        try await client.execute(uri: uri, method: .post, body: ByteBuffer(string: body)) { try check($0) }
    }

    func testRecallByVectorFiltersAndExcludes() async throws {
        let dir = TempDir()
        let (app, _) = try makeApp(dir)
        try await app.test(.router) { client in
            try await post(client, "/v1/recall", #"{"table": "item2vec", "vector": [1, 0, 0], "k": 2}"#) { r in
                XCTAssertEqual(r.status, .ok, String(buffer: r.body))
                let body = try jsonBody(r)
                XCTAssertEqual((body["results"] as? [[String: Any]])?.map { $0["id"] as? String }, ["1", "2"])
                XCTAssertEqual((body["results"] as? [[String: Any]])?.first?["title"] as? String, "One")
            }
            // the same response shape as the id routes; where and exclude (numbers accepted as ids)
            try await post(client, "/v1/recall", #"{"vector": [1, 0, 0], "k": 5, "where": {"genre": "Drama"}, "exclude": [1]}"#) { r in
                XCTAssertEqual(r.status, .ok, String(buffer: r.body))
                XCTAssertEqual((try jsonBody(r)["results"] as? [[String: Any]])?.map { $0["id"] as? String }, ["2"])
            }
            for (body, expected) in [
                (#"{"vector": [1, 0]}"#, "vector has 2 components, table 'item2vec' has dimension 3"),
                (#"{"vector": []}"#, "vector must not be empty"),
                (#"{"vector": [1, "x", 0]}"#, "field 'vector[1]' has the wrong type"),
                (#"{"vector": [1, 0, 1e39]}"#, "vector"),
                (#"{"k": 3}"#, "field 'vector' is missing"),
                (#"{"vector": [1, 0, 0], "k": 0}"#, "k must be an integer in 1...10000"),
                ("not json", "body must be JSON"),
            ] {
                try await post(client, "/v1/recall", body) { r in
                    XCTAssertEqual(r.status, .badRequest, body)
                    XCTAssertTrue((try jsonBody(r)["error"] as? String ?? "").contains(expected), "\(body): \(String(buffer: r.body))")
                }
            }
            try await post(client, "/v1/recall", #"{"table": "nope", "vector": [1, 0, 0]}"#) { XCTAssertEqual($0.status, .notFound) }
        }
    }

    func testBatchGetListsUnknownIdsInsteadOfFailing() async throws {
        let dir = TempDir()
        let (app, _) = try makeApp(dir)
        try await app.test(.router) { client in
            try await post(client, "/v1/embeddings/item2vec/batch-get", #"{"ids": ["3", 1, "nope"]}"#) { r in
                XCTAssertEqual(r.status, .ok, String(buffer: r.body))
                let body = try jsonBody(r)
                XCTAssertEqual(body["dimension"] as? Int, 3)
                let vectors = try XCTUnwrap(body["vectors"] as? [[String: Any]])
                XCTAssertEqual(vectors.map { $0["id"] as? String }, ["3", "1"])
                XCTAssertEqual(vectors.map { $0["vector"] as? [Double] }, [[0, 1, 0], [1, 0, 0]])
                XCTAssertEqual(body["unknown"] as? [String], ["nope"])
            }
            let tooMany = "{\"ids\": [" + (0...10_000).map { "\"\($0)\"" }.joined(separator: ",") + "]}"
            try await post(client, "/v1/embeddings/item2vec/batch-get", tooMany) { r in
                XCTAssertEqual(r.status, .badRequest)
                XCTAssertTrue((try jsonBody(r)["error"] as? String ?? "").contains("at most 10000 ids"), String(buffer: r.body))
            }
            try await post(client, "/v1/embeddings/nope/batch-get", #"{"ids": ["1"]}"#) { XCTAssertEqual($0.status, .notFound) }
            try await post(client, "/v1/embeddings/item2vec/batch-get", #"{"id": ["1"]}"#) { r in
                XCTAssertEqual(r.status, .badRequest)
                XCTAssertTrue((try jsonBody(r)["error"] as? String ?? "").contains("field 'ids' is missing"), String(buffer: r.body))
            }
            let huge = "{\"ids\": [\"" + String(repeating: "x", count: 2 << 20) + "\"]}"
            try await post(client, "/v1/embeddings/item2vec/batch-get", huge) { XCTAssertEqual($0.status, .contentTooLarge) }
        }
    }

    func testOneTableShowsWhatEmbeddingInfoShows() async throws {
        let dir = TempDir()
        let (app, _) = try makeApp(dir)
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/tables/item2vec", method: .get) { r in
                XCTAssertEqual(r.status, .ok)
                let body = try jsonBody(r)
                XCTAssertEqual(body["name"] as? String, "item2vec")
                XCTAssertEqual(body["dimension"] as? Int, 3)
                XCTAssertEqual(body["rows"] as? Int, 4)
                XCTAssertEqual(body["kind"] as? String, "pretrained")
            }
            try await client.execute(uri: "/v1/tables/nope", method: .get) { XCTAssertEqual($0.status, .notFound) }
        }
    }
}
