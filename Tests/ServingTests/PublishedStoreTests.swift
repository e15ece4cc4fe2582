import EmbedStore
import Foundation
import RecsysTestSupport
import Serving
import XCTest

/// A replica serving a published store (`ServingState` following a link).
final class PublishedStoreTests: XCTestCase {
    /// The builder's store with table "t" of `n` rows, snapshotted to `name` and published at `link`.
    private func publish(_ builder: Store, rows n: Int, seed: UInt64, _ dir: TempDir, _ name: String, link: String) throws -> SnapshotManifest {
        try writeTable(builder, "t", randomVectors(n, 4, seed: seed))
        let manifest = try builder.snapshot(to: dir.file(name))
        try PublishedLink.publish(dir.file(name), at: link)
        return manifest
    }

    func testFollowSwitchesToTheNewSnapshotAndClosesTheOldOneWhenItsRequestsFinish() throws {
        let dir = TempDir(), link = dir.file("current")
        let builder = try Store(path: dir.file("builder.lmdb"))
        let first = try publish(builder, rows: 10, seed: 1, dir, "snap-1", link: link)
        let state = ServingState(store: try ServingState.openPublished(link), following: link)
        XCTAssertEqual(state.servedStore.manifest?.id, first.id)
        XCTAssertTrue(state.store.isReadOnly, "a replica opens its snapshot read-only")
        XCTAssertThrowsError(try state.store.write { try $0.tables() }) { XCTAssertTrue("\($0)".contains("read-only"), "\($0)") }
        XCTAssertEqual(state.follow(), .unchanged)

        // a request in flight holds the first snapshot's view
        let inFlight = try state.view()
        weak var oldStore = inFlight.store
        let second = try publish(builder, rows: 20, seed: 2, dir, "snap-2", link: link)
        XCTAssertEqual(state.follow(), .switched(from: dir.file("snap-1"), to: dir.file("snap-2")))
        XCTAssertEqual(state.switches, 1)
        XCTAssertEqual(state.servedStore.manifest?.id, second.id)
        XCTAssertEqual(try state.view().snapshot("t").table.count, 20, "new requests are served from the new snapshot")
        XCTAssertEqual(try inFlight.snapshot("t").table.count, 10, "the running request still reads its snapshot")
        XCTAssertNotNil(oldStore)
        // the request finishes: nothing holds the old environment, so it is closed
        withExtendedLifetime(inFlight) {}
        _ = consume inFlight
        XCTAssertNil(oldStore, "the old snapshot's environment is closed once its requests finish")
        XCTAssertEqual(state.follow(), .unchanged)
        // the snapshot served is still byte for byte the one its manifest names
        XCTAssertNoThrow(try second.check(directory: dir.file("snap-2")))
    }

    func testABadPublishKeepsTheCurrentSnapshot() throws {
        let dir = TempDir(), link = dir.file("current")
        let builder = try Store(path: dir.file("builder.lmdb"))
        let good = try publish(builder, rows: 10, seed: 1, dir, "snap-1", link: link)
        let state = ServingState(store: try ServingState.openPublished(link), following: link)

        // a copy whose data file is not the one its manifest names (an incomplete rsync)
        _ = try publish(builder, rows: 30, seed: 2, dir, "snap-2", link: link)
        let data = dir.file("snap-2/data.mdb")
        let h = try XCTUnwrap(FileHandle(forWritingAtPath: data))
        try h.seekToEnd()
        try h.write(contentsOf: Data(repeating: 0, count: 4096))
        try h.close()
        guard case let .failed(target, reason) = state.follow() else { return XCTFail("a damaged snapshot must not be served") }
        XCTAssertEqual(target, dir.file("snap-2"))
        XCTAssertTrue(reason.contains("its manifest names"), reason)
        XCTAssertEqual(state.servedStore.manifest?.id, good.id)
        XCTAssertEqual(try state.view().snapshot("t").table.count, 10)
        XCTAssertEqual(state.follow(), .unchanged, "a failed target is not retried every poll")
        if case .failed = state.follow(force: true) {} else { XCTFail("forced (SIGHUP) retries it") }

        // a link to nothing, then to a directory that is not a store
        XCTAssertEqual(unlink(link), 0)
        XCTAssertEqual(symlink(dir.file("gone"), link), 0)
        if case .failed = state.follow() {} else { XCTFail("a dangling link must not be served") }
        try FileManager.default.createDirectory(atPath: dir.file("empty"), withIntermediateDirectories: false)
        XCTAssertThrowsError(try PublishedLink.publish(dir.file("empty"), at: link)) { XCTAssertTrue("\($0)".contains("no data.mdb"), "\($0)") }
        XCTAssertEqual(unlink(link), 0)
        XCTAssertEqual(symlink(dir.file("empty"), link), 0)
        if case .failed = state.follow() {} else { XCTFail("a directory without a store must not be served") }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.file("empty")), [], "following creates nothing")
        XCTAssertEqual(state.servedStore.manifest?.id, good.id)

        // a good publish is served again
        let third = try publish(builder, rows: 40, seed: 3, dir, "snap-3", link: link)
        XCTAssertEqual(state.follow(), .switched(from: dir.file("snap-1"), to: dir.file("snap-3")))
        XCTAssertEqual(state.servedStore.manifest?.id, third.id)
    }

    func testPublishingReplacesOnlyALink() throws {
        let dir = TempDir()
        let builder = try Store(path: dir.file("builder.lmdb"))
        try writeTable(builder, "t", randomVectors(3, 2, seed: 1))
        _ = try builder.snapshot(to: dir.file("snap"))
        try FileManager.default.createDirectory(atPath: dir.file("real"), withIntermediateDirectories: false)
        XCTAssertThrowsError(try PublishedLink.publish(dir.file("snap"), at: dir.file("real"))) {
            XCTAssertTrue("\($0)".contains("is not a symbolic link"), "\($0)")
        }
        try PublishedLink.publish(dir.file("snap"), at: dir.file("link"))
        XCTAssertEqual(PublishedLink.realPath(dir.file("link")), PublishedLink.realPath(dir.file("snap")))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir.path).contains { $0.contains(".publishing-") })
    }
}
