import EmbedStore
import Foundation
import RecsysTestSupport
import Serving
import XCTest

final class ServingViewCacheTests: XCTestCase {
    /// A derived value is made once per view, whether it is a value or an
    /// optional's nil; an optional T must not read a missing entry as a
    /// cached nil (that hid stored neighbours from `recommend`).
    func testDerivedValuesAreMadeOnceIncludingNil() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        let view = ServingView(store: store, snapshotID: 0)
        var made = 0
        let present: Int? = try view.cached("a") { () -> Int? in made += 1; return 7 }
        XCTAssertEqual(present, 7, "a missing entry is made, not read as a cached nil")
        XCTAssertEqual(try view.cached("a") { () -> Int? in made += 1; return 8 }, 7)
        let absent: Int? = try view.cached("b") { () -> Int? in made += 1; return nil }
        XCTAssertNil(absent)
        XCTAssertNil(try view.cached("b") { () -> Int? in made += 1; return 9 }, "a nil is cached too")
        XCTAssertEqual(made, 2)
        XCTAssertNil(try view.neighbours("none"))
    }
}
