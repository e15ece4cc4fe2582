import EmbedStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import RecsysTestSupport
import XCTest
import RecsysHTTP
import Serving

/// Lines a test's logger wrote.
final class CapturedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }
    func append(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
}

final class ServiceLogTests: XCTestCase {
    func testOneLinePerRequestWithRouteStatusAndLatency() async throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        try store.importVectors(from: dir.write("items.txt", "1:1 0\n2:0 1\n"), table: "item2vec")
        let captured = CapturedLines()
        var logger = Logger(label: "recsys") { ServiceLogHandler(label: $0, write: { captured.append($0) }) }
        logger.logLevel = .info
        let router = Service.router(state: ServingState(store: store), metrics: ServiceMetrics(), logger: logger)
        try await Application(router: router, logger: logger).test(.router) { client in
            try await client.execute(uri: "/v1/recall/item/1?k=1", method: .get) { XCTAssertEqual($0.status, .ok) }
            try await client.execute(uri: "/v1/recall/item/nope", method: .get) { XCTAssertEqual($0.status, .notFound) }
        }
        let requests = captured.lines.filter { $0.hasSuffix("[RecsysHTTP] request\n") }
        XCTAssertEqual(requests.count, 2, "\(captured.lines)")
        // metadata sorted by key, after the level and label, as swift-log's stream handler writes it
        let first = try XCTUnwrap(requests.first)
        XCTAssertTrue(first.contains(" info recsys: latency_ms="), first)
        XCTAssertTrue(first.contains(" method=GET route=/v1/recall/item/{id} status=200 "), first)
        XCTAssertTrue(requests[1].contains(" status=404 "), requests[1])
        XCTAssertNotNil(first.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} "#, options: .regularExpression), first)
    }

    func testLevelAndLoggerMetadata() {
        let captured = CapturedLines()
        var logger = Logger(label: "recsys") { ServiceLogHandler(label: $0, write: { captured.append($0) }) }
        logger.logLevel = .warning
        logger[metadataKey: "b"] = "2"
        logger.info("dropped")
        logger.warning("kept", metadata: ["a": "1", "b": "3"])
        XCTAssertEqual(captured.lines.count, 1)
        // a statement's metadata wins over the logger's; keys in order
        XCTAssertTrue(captured.lines[0].hasSuffix(" warning recsys: a=1 b=3 [RecsysHTTPTests] kept\n"), captured.lines[0])
    }
}
