import EmbedStore
import Foundation
import Logging
@testable import recsys
import ServiceLifecycle
import XCTest

final class ServingStateTests: XCTestCase {
    func makeStore(_ dir: TempDir) throws -> (Store, String) {
        let store = try Store(path: dir.file("s.lmdb"))
        var text = ""
        for i in 0..<20_000 {
            let values: [String] = (0..<8).map { (j: Int) -> String in String(Float((i * 7 + j * 3) % 101) / 101) }
            text += "i\(i):" + values.joined(separator: " ") + "\n"
        }
        let file = dir.write("t.txt", text)
        try store.importVectors(from: file, table: "t")
        return (store, file)
    }

    /// A view kept by a service that gets no requests holds an LMDB reader
    /// open, and every import then grows the file by a whole table; letting
    /// go of the stale view lets later imports reuse the pages.
    func testReleasingAStaleViewLetsImportsReuseTheFile() throws {
        let dir = TempDir()
        let (store, file) = try makeStore(dir)
        let state = ServingState(store: store)
        // a request, then five imports with no request between them
        func growth(releasing: Bool) throws -> Int {
            _ = try state.view().snapshot("t") // the view now holds a reader
            let before = store.usedBytes
            for i in 0..<5 {
                try store.importVectors(from: file, table: "t")
                if releasing { XCTAssertEqual(state.releaseIfStale(), i == 0) }
            }
            return store.usedBytes - before
        }
        let pinned = try growth(releasing: false)
        XCTAssertTrue(state.releaseIfStale())
        XCTAssertFalse(state.releaseIfStale(), "nothing left to release")
        let released = try growth(releasing: true)
        XCTAssertGreaterThan(pinned, 4 * 20_000 * 8 * 4, "five imports behind a held reader each take fresh pages")
        XCTAssertLessThan(released, pinned / 3, "pinned \(pinned) bytes, released \(released)")
        // the next request sees the latest import
        XCTAssertEqual(try state.view().snapshotID, store.latestSnapshotID)
        XCTAssertEqual(try state.view().snapshot("t").table.info.current.version, try store.read { try $0.table("t").info.current.version })
    }

    /// The service's background task does the releasing, and stops at graceful shutdown.
    func testReleaserServiceLetsGoOfAStaleViewAndStopsOnShutdown() async throws {
        let dir = TempDir()
        let (store, file) = try makeStore(dir)
        let state = ServingState(store: store)
        _ = try state.view().snapshot("t")
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let group = ServiceGroup(services: [StaleViewReleaser(state: state, interval: .milliseconds(10), logger: logger)],
                                 gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
        let running = Task { try await group.run() }
        try await Task.sleep(for: .milliseconds(50))
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

    /// After a commit the releaser also drops the service's page mappings of
    /// the store, so its RSS does not keep the pages earlier snapshots read;
    /// with page release off they stay mapped.
    func testReleaserDropsPageMappingsAfterACommit() async throws {
        for releasing in [true, false] {
            let dir = TempDir()
            let (store, file) = try makeStore(dir)
            let state = ServingState(store: store)
            func total() throws -> Float {
                try store.read { txn in
                    let t = try txn.table("t")
                    return try (0..<t.count).reduce(0) { try $0 + t.vector(ofRow: $1).reduce(0, +) }
                }
            }
            let sum = try total()
            let resident = store.mappedResidentBytes
            XCTAssertGreaterThan(resident, 400_000, "reading the table maps its pages in")
            var logger = Logger(label: "test")
            logger.logLevel = .error
            let releaser = StaleViewReleaser(state: state, interval: .milliseconds(10),
                                             pageReleaseInterval: releasing ? .milliseconds(10) : nil, logger: logger)
            let group = ServiceGroup(services: [releaser], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
            let running = Task { try await group.run() }
            try await Task.sleep(for: .milliseconds(50))
            XCTAssertGreaterThan(store.mappedResidentBytes, resident / 2, "no commit yet: nothing is dropped")
            try store.importVectors(from: file, table: "t")
            var waited = 0
            while store.mappedResidentBytes >= resident / 10 && waited < 50 {
                try await Task.sleep(for: .milliseconds(10))
                waited += 1
            }
            if releasing {
                XCTAssertLessThan(store.mappedResidentBytes, resident / 10, "the mappings should be dropped after the import")
            } else {
                XCTAssertGreaterThan(store.mappedResidentBytes, resident / 2, "page release is off")
            }
            await group.triggerGracefulShutdown()
            try await running.value
            XCTAssertEqual(try total(), sum, "the re-import wrote the same vectors")
        }
    }
}
