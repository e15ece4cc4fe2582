import EmbedStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RecsysHTTP
import RecsysTestSupport
import Serving
import ServiceLifecycle
import XCTest

final class PublishedStoreFollowerTests: XCTestCase {
    /// The follower service notices a new publish on its own, and /healthz and
    /// /v1/status (valid against the OpenAPI document) name the snapshot served.
    func testTheServiceSwitchesToANewPublishAndReportsIt() async throws {
        let dir = TempDir(), link = dir.file("current")
        let builder = try Store(path: dir.file("builder.lmdb"))
        try writeTable(builder, "t", randomVectors(10, 4, seed: 1))
        let first = try builder.snapshot(to: dir.file("snap-1"))
        try PublishedLink.publish(dir.file("snap-1"), at: link)
        let state = ServingState(store: try ServingState.openPublished(link), following: link)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let app = Application(router: Service.router(state: state, metrics: ServiceMetrics(), logger: logger), logger: logger)
        let group = ServiceGroup(services: [PublishedStoreFollower(state: state, interval: .milliseconds(10), logger: logger)],
                                 gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
        let running = Task { try await group.run() }
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: repositoryRoot.appendingPathComponent("docs/openapi.json"))) as! [String: Any]
        let validator = JSONSchemaValidator(document: doc)

        @Sendable func status(_ client: some TestClientProtocol) async throws -> [String: Any] {
            try await client.execute(uri: "/v1/status", method: .get) { r in
                XCTAssertEqual(r.status, .ok)
                let value = try JSONSerialization.jsonObject(with: Data(buffer: r.body))
                XCTAssertEqual(validator.violations(of: value, against: ["$ref": "#/components/schemas/Status"]), [])
                return value as! [String: Any]
            }
        }
        @Sendable func health(_ client: some TestClientProtocol) async throws -> String? {
            try await client.execute(uri: "/healthz", method: .get) { r in
                let value = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as! [String: Any]
                XCTAssertEqual(validator.violations(of: value, against: ["$ref": "#/components/schemas/Health"]), [])
                return value["snapshot"] as? String
            }
        }
        try await app.test(.router) { client in
            let initial = try await health(client)
            XCTAssertEqual(initial, first.id)
            let before = try await status(client)
            XCTAssertEqual(before["following"] as? Bool, true)
            XCTAssertEqual(before["read_only"] as? Bool, true)
            XCTAssertEqual(before["serving"] as? String, dir.file("snap-1"))
            XCTAssertEqual((before["snapshot"] as? [String: Any])?["id"] as? String, first.id)

            try writeTable(builder, "t", randomVectors(25, 4, seed: 2))
            let second = try builder.snapshot(to: dir.file("snap-2"))
            try PublishedLink.publish(dir.file("snap-2"), at: link)
            let deadline = Date().addingTimeInterval(10)
            var seen = try await health(client)
            while seen != second.id && Date() < deadline {
                try await Task.sleep(for: .milliseconds(10))
                seen = try await health(client)
            }
            XCTAssertEqual(seen, second.id, "the follower should have switched within 10 s")
            let after = try await status(client)
            XCTAssertEqual(after["switches"] as? Int, 1)
            XCTAssertEqual(after["serving"] as? String, dir.file("snap-2"))
            XCTAssertEqual((after["tables"] as? [[String: Any]])?.first?["rows"] as? Int, 25)
        }
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
