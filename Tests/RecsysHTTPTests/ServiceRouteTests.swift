import EmbedStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Ranker
import Recall
import RecsysHTTP
import Serving
import RecsysTestSupport
import XCTest

/// The service over a four-item store (item2vec 3-d, one user, titles and genres).
func makeApp(_ dir: TempDir, access: AccessControl = AccessControl(), routes: RouteTable = RouteTable()) throws -> (Application<RouterResponder<BasicRequestContext>>, Store) {
    let store = try Store(path: dir.file("s.lmdb"))
    try store.importVectors(from: dir.write("items.txt", "1:1 0 0\n2:0.9 0.1 0\n3:0 1 0\n4:0 0 1\n"), table: "item2vec")
    try store.importVectors(from: dir.write("users.txt", "u1:1 0.05 0\n"), table: "user", options: ImportOptions(kind: .user))
    try store.importItems(from: dir.write("movies.csv", "movieId,title,genres\n1,One,Drama\n2,Two,Comedy|Drama\n3,Three,Comedy\n4,Four,Horror\n"))
    var logger = Logger(label: "test")
    logger.logLevel = .error
    let router = Service.router(state: ServingState(store: store), metrics: ServiceMetrics(), logger: logger, table: routes, access: access)
    return (Application(router: router, logger: logger), store)
}

/// Trains and stores model `m` over users u0-u2 and items 1-4 of `makeApp`'s
/// store (label 1 for items 1-2), with feature rows for them.
func storeSmallModel(_ dir: TempDir, _ store: Store) throws {
    var csv = "userId,movieId,g,x,label\n"
    for i in 0..<200 { csv += "u\(i % 3),\(1 + i % 4),\(["A", "B"][i % 2]),\(Float(i % 4)),\(i % 4 < 2 ? 1 : 0)\n" }
    let spec = FeatureSpec(categorical: [CategoricalFeature(name: "g", vocabulary: ["A", "B"], dimension: 2, entity: .user),
                                         CategoricalFeature(name: "movieId", identity: 10, dimension: 2, entity: .item)],
                           numeric: [NumericFeature(name: "x", transform: .standardize, entity: .item)],
                           label: "label", userID: "userId", itemID: "movieId", hidden: [4])
    let data = try SampleSet.load(dir.write("s.csv", csv), spec: spec)
    let model = try EmbeddingMLP(spec: spec, seed: 1)
    try Trainer(model: model).train(data, options: TrainingOptions(epochs: 30, batchSize: 16, learningRate: 0.05))
    try store.write { try RankerModel.save($0, name: "m", model: model, options: TrainingOptions(), metrics: [:], data: data) }
}

/// The body of a response as a JSON object.
func jsonBody(_ r: TestResponse) throws -> [String: Any] {
    try XCTUnwrap(JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any], String(buffer: r.body))
}

final class ServiceRouteTests: XCTestCase {

    func testEveryRouteAnswersJSONWithTheRightStatus() async throws {
        let dir = TempDir()
        let (app, store) = try makeApp(dir)
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { XCTAssertEqual($0.status, .ok) }
            try await client.execute(uri: "/v1/tables", method: .get) { r in
                XCTAssertEqual(r.status, .ok)
                let tables = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as! [[String: Any]]
                XCTAssertEqual(Set(tables.compactMap { $0["name"] as? String }), ["item2vec", "user"])
            }
            try await client.execute(uri: "/v1/recall/item/1?k=2", method: .get) { r in
                XCTAssertEqual(r.status, .ok)
                let body = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as! [String: Any]
                let results = body["results"] as! [[String: Any]]
                XCTAssertEqual(results.map { $0["id"] as? String }, ["2", "3"])
                XCTAssertEqual(results[0]["title"] as? String, "Two")
            }
            try await client.execute(uri: "/v1/recall/user/u1?k=1&where=genre=Comedy", method: .get) { r in
                XCTAssertEqual(r.status, .ok)
                let body = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as! [String: Any]
                XCTAssertEqual((body["results"] as! [[String: Any]]).map { $0["id"] as? String }, ["2"])
            }
            try await client.execute(uri: "/v1/recommend/user/u1?k=2&candidates=3", method: .get) { r in
                XCTAssertEqual(r.status, .ok)
                let body = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as! [String: Any]
                XCTAssertEqual((body["results"] as! [[String: Any]]).count, 2)
                XCTAssertTrue((body["note"] as? String ?? "").contains("recall order"))
            }
            try await client.execute(uri: "/v1/embeddings/item2vec/3", method: .get) { r in
                XCTAssertEqual(r.status, .ok)
                let body = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as! [String: Any]
                XCTAssertEqual(body["vector"] as? [Double], [0, 1, 0])
            }
            // errors: 404 for unknown ids, 400 for bad parameters, always {"error": ...}
            for (uri, status) in [("/v1/embeddings/item2vec/99", HTTPResponse.Status.notFound), ("/v1/embeddings/nope/1", .notFound),
                                  ("/v1/recall/item/99", .notFound), ("/v1/recall/user/nobody", .notFound),
                                  ("/v1/recall/user/u1?k=0", .badRequest), ("/v1/recall/user/u1?k=x", .badRequest),
                                  ("/v1/recall/user/u1?where=bad", .badRequest), ("/v1/recommend/user/u1?candidates=-1", .badRequest),
                                  ("/v2/no/such/route", .notFound)] {
                try await client.execute(uri: uri, method: .get) { r in
                    XCTAssertEqual(r.status, status, uri)
                    let body = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]
                    XCTAssertNotNil(body?["error"] as? String, uri)
                }
            }
            try await client.execute(uri: "/v1/rank", method: .post, body: ByteBuffer(string: "not json")) { XCTAssertEqual($0.status, .badRequest) }
            try await client.execute(uri: "/v1/rank", method: .post, body: ByteBuffer(string: "{\"user\":\"u1\",\"items\":[\"1\"]}")) { XCTAssertEqual($0.status, .notFound) }
            try await client.execute(uri: "/v1/rank", method: .post, body: ByteBuffer(repeating: 0x20, count: Service.maxBodyBytes + 10)) { XCTAssertEqual($0.status, .contentTooLarge) }
            try await client.execute(uri: "/metrics", method: .get) { r in
                let text = String(buffer: r.body)
                XCTAssertTrue(text.contains("recsys_requests_total{route=\"/v1/recall/item/{id}\",status=\"200\"} 1"), text)
                XCTAssertTrue(text.contains("recsys_requests_total{route=\"other\",status=\"404\"} 1"), text)
                XCTAssertTrue(text.contains("recsys_table_version{table=\"item2vec\"} 1"))
                XCTAssertTrue(text.contains("recsys_request_duration_seconds_bucket"))
                let used = text.split(separator: "\n").first { $0.hasPrefix("recsys_store_used_bytes ") }
                XCTAssertEqual(used.flatMap { Int($0.split(separator: " ")[1]) }, store.usedBytes, text)
                let resident = text.split(separator: "\n").first { $0.hasPrefix("recsys_store_resident_bytes ") }.flatMap { Int($0.split(separator: " ")[1]) }
                XCTAssertGreaterThan(resident ?? 0, 0, "the routes above read the store: " + text)
            }
        }
    }

    func testPercentEncodedIdsAndTitlesThatNeedEscaping() async throws {
        let dir = TempDir()
        let (app, store) = try makeApp(dir)
        try store.importVectors(from: dir.write("more.txt", "u 2:0 0 1\n"), table: "user", options: ImportOptions(kind: .user))
        try store.importItems(from: dir.write("more.csv", "movieId,title,genres\n4,\"Say \"\"Hi\"\" \\ tab\there\",Horror\n"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/recall/user/u%202?k=1", method: .get) { r in
                XCTAssertEqual(r.status, .ok, String(buffer: r.body))
                let body = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as! [String: Any]
                XCTAssertEqual((body["query"] as? [String: Any])?["user"] as? String, "u 2")
                let hit = (body["results"] as! [[String: Any]])[0]
                XCTAssertEqual(hit["id"] as? String, "4")
                XCTAssertEqual(hit["title"] as? String, "Say \"Hi\" \\ tab\there")
            }
            try await client.execute(uri: "/v1/recall/user/u%ZZ", method: .get) { r in
                XCTAssertEqual(r.status, .badRequest)
                XCTAssertNotNil((try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any])?["error"] as? String)
            }
        }
    }

    func testRankRouteUsesTheStoredModel() async throws {
        let dir = TempDir()
        let (app, store) = try makeApp(dir)
        try storeSmallModel(dir, store)
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/rank", method: .post, body: ByteBuffer(string: "{\"model\":\"m\",\"user\":\"u1\",\"items\":[\"4\",\"1\",\"zz\"]}")) { r in
                XCTAssertEqual(r.status, .ok)
                let body = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as! [String: Any]
                let ids = (body["results"] as! [[String: Any]]).map { $0["id"] as! String }
                XCTAssertEqual(ids.first, "1", "label is 1 for movies 1-2")
                // an item without features is listed, not scored among real ones
                XCTAssertEqual(body["unknown"] as? [String], ["zz"])
                XCTAssertFalse(ids.contains("zz"))
                XCTAssertEqual((body["results"] as! [[String: Any]]).first?["title"] as? String, "One")
            }
            // numeric ids, as a JavaScript client sends them, are the same ids
            try await client.execute(uri: "/v1/rank", method: .post, body: ByteBuffer(string: "{\"model\":\"m\",\"user\":\"u1\",\"items\":[4, 1]}")) { r in
                XCTAssertEqual(r.status, .ok, String(buffer: r.body))
                let body = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as! [String: Any]
                XCTAssertEqual((body["results"] as! [[String: Any]]).map { $0["id"] as! String }.first, "1")
                XCTAssertEqual(body["unknown"] as? [String], [])
            }
            // the user a request is about must be known (as on the recall and recommend routes)
            try await client.execute(uri: "/v1/rank", method: .post, body: ByteBuffer(string: "{\"model\":\"m\",\"user\":\"nobody\",\"items\":[\"1\"]}")) { r in
                XCTAssertEqual(r.status, .notFound)
                XCTAssertEqual(try jsonBody(r)["error"] as? String, "unknown user 'nobody': no stored features and no history")
            }
            try await client.execute(uri: "/v1/rank", method: .post, body: ByteBuffer(string: "{\"model\":\"nope\",\"user\":\"u1\",\"items\":[\"1\"]}")) { r in
                XCTAssertEqual(r.status, .notFound)
                XCTAssertEqual(try jsonBody(r)["error"] as? String, "no model named 'nope' (GET /v1/models lists the models)")
            }
            try await client.execute(uri: "/v1/rank", method: .post, body: ByteBuffer(string: "{\"user\":\"u1\"}")) { r in
                XCTAssertEqual(r.status, .badRequest)
                XCTAssertTrue((try jsonBody(r)["error"] as? String ?? "").hasPrefix("field 'items' is missing"))
            }
            try await client.execute(uri: "/v1/recommend/user/u1?k=2&model=m", method: .get) { r in
                let body = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as! [String: Any]
                XCTAssertEqual(body["model"] as? String, "m")
                XCTAssertNotNil((body["results"] as! [[String: Any]])[0]["rank_score"] as? Double)
            }
            try await client.execute(uri: "/v1/recommend/user/u1?model=nope", method: .get) { XCTAssertEqual($0.status, .notFound) }
            // a request over the inline limit ranks on the thread pool, with the same answer
            var answers: [[String]] = []
            for candidates in [Service.inlineCandidateLimit, Service.inlineCandidateLimit + 1] {
                try await client.execute(uri: "/v1/recommend/user/u1?k=3&model=m&candidates=\(candidates)", method: .get) { r in
                    XCTAssertEqual(r.status, .ok)
                    let body = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as! [String: Any]
                    answers.append((body["results"] as! [[String: Any]]).map { $0["id"] as! String })
                }
            }
            XCTAssertEqual(answers.count, 2)
            XCTAssertEqual(answers.first?.count, 3)
            XCTAssertEqual(answers.first, answers.last)
        }
    }
}
