import EmbedStore
import Foundation
import RecsysTestSupport
import Serving
import XCTest

final class ServingStateTests: XCTestCase {
    /// A view kept by a service that gets no requests holds an LMDB reader
    /// open, and every import then grows the file by a whole table; letting
    /// go of the stale view lets later imports reuse the pages.
    func testReleasingAStaleViewLetsImportsReuseTheFile() throws {
        let dir = TempDir()
        let (store, file) = try storeWithTable(in: dir)
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
}
