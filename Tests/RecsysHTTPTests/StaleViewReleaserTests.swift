import EmbedStore
import Logging
import RecsysHTTP
import RecsysTestSupport
import Serving
import ServiceLifecycle
import XCTest

final class StaleViewReleaserTests: XCTestCase {
    /// The service's background task does the releasing, and stops at graceful shutdown.
    func testReleaserServiceLetsGoOfAStaleViewAndStopsOnShutdown() async throws {
        let dir = TempDir()
        let (store, file) = try storeWithTable(in: dir)
        let state = ServingState(store: store)
        _ = try state.view().snapshot("t")
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let group = ServiceGroup(services: [StaleViewReleaser(state: state, interval: .milliseconds(10), logger: logger)],
                                 gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
        let running = Task { try await group.run() }
        // the releaser has run several times (not merely had the time to) and kept the current view
        var ticks = 0
        while state.staleChecks < 3 && ticks < 500 { try await Task.sleep(for: .milliseconds(10)); ticks += 1 }
        XCTAssertGreaterThanOrEqual(state.staleChecks, 3, "the releaser never ran")
        XCTAssertNotNil(state.currentSnapshotID, "a view nothing has committed behind is kept")
        try store.importVectors(from: file, table: "t")
        var waited = 0
        while state.currentSnapshotID != nil && waited < 200 {
            try await Task.sleep(for: .milliseconds(10))
            waited += 1
        }
        XCTAssertNil(state.currentSnapshotID, "the service should have let go of the view behind the import")
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
