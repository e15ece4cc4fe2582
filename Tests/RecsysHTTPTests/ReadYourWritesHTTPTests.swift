import EmbedStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Recall
import RecsysHTTP
import RecsysTestSupport
import Serving
import XCTest

/// Read-your-writes over HTTP, with readers running meanwhile: after each
/// acknowledged PUT the writer's next requests recall its vector first (by
/// vector; the exact path is covered in ServingTests) and `recall/item` answers; after a
/// DELETE the id is in no answer.
final class ReadYourWritesHTTPTests: XCTestCase {
    private let token = "0123456789abcdef0123"

    func testEveryAcknowledgedWriteIsSeenByTheNextRequestWhileOthersRead() async throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        try ClusteredVectors(n: 3_000, queries: 0, dim: 16, clusters: 60, seed: 3).load(into: store, table: "item2vec")
        _ = try LSHIndex.build(store: store, table: "item2vec")
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let router = Service.router(state: ServingState(store: store), metrics: ServiceMetrics(), logger: logger,
                                    access: AccessControl(writeToken: Array(token.utf8)))
        let app = Application(router: router, logger: logger)
        let auth: HTTPFields = [.authorization: "Bearer \(token)"]
        @Sendable func vector(_ i: Int) -> [Float] {
            var rng = SeededRandom(seed: UInt64(1000 + i))
            let v = (0..<16).map { _ in Float.random(in: -1...1, using: &rng) }
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / n }
        }
        @Sendable func json(_ v: [Float]) -> String { "[" + v.map { "\($0)" }.joined(separator: ",") + "]" }
        try await app.test(.router) { client in
            let stop = ManagedFlag()
            let misses = try await withThrowingTaskGroup(of: [String].self) { group in
                for r in 0..<2 {
                    group.addTask {
                        var i = 0
                        while !stop.isSet && i < 5_000 {
                            i += 1
                            try await client.execute(uri: "/v1/recall", method: .post, body: ByteBuffer(string: #"{"vector": \#(json(vector(50_000 + r * 10_000 + i % 50))), "k": 10}"#)) { _ in }
                        }
                        return []
                    }
                }
                group.addTask {
                    var misses: [String] = []
                    let deadline = Date().addingTimeInterval(30)
                    for i in 0..<120 where Date() < deadline {
                        let id = "w\(i)", v = vector(i)
                        try await client.execute(uri: "/v1/embeddings/item2vec/\(id)", method: .put, headers: auth, body: ByteBuffer(string: #"{"vector": \#(json(v))}"#)) { r in
                            XCTAssertEqual(r.status, .ok, String(buffer: r.body))
                        }
                        try await client.execute(uri: "/v1/recall", method: .post, body: ByteBuffer(string: #"{"vector": \#(json(v)), "k": 1}"#)) { r in
                            let top = ((try? jsonBody(r)["results"] as? [[String: Any]])??.first?["id"] as? String)
                            if top != id { misses.append("\(id): top \(top ?? "none") (\(r.status))") }
                        }
                        try await client.execute(uri: "/v1/recall/item/\(id)?k=3", method: .get) { r in
                            if r.status != .ok { misses.append("recall/item/\(id): \(r.status)") }
                        }
                        if i % 3 == 2 {
                            let gone = "w\(i - 1)"
                            try await client.execute(uri: "/v1/embeddings/item2vec/\(gone)", method: .delete, headers: auth) { r in XCTAssertEqual(r.status, .ok) }
                            try await client.execute(uri: "/v1/recall/item/\(gone)?k=3", method: .get) { r in
                                if r.status != .notFound { misses.append("recall/item/\(gone) after delete: \(r.status)") }
                            }
                            try await client.execute(uri: "/v1/recall", method: .post, body: ByteBuffer(string: #"{"vector": \#(json(vector(i - 1))), "k": 20}"#)) { r in
                                let ids = ((try? jsonBody(r)["results"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
                                if ids.contains(gone) { misses.append("deleted \(gone) recalled") }
                            }
                        }
                    }
                    stop.set()
                    return misses
                }
                var all: [String] = []
                for try await m in group { all += m }
                return all
            }
            XCTAssertEqual(misses, [], "\(misses.count) misses")
        }
    }
}
