import EmbedStore
import Foundation
import RecsysTestSupport
import XCTest

final class AdaptiveLockTests: XCTestCase {
    /// Increments from many threads at once all land: the lock excludes.
    func testLockExcludesConcurrentUpdates() {
        let lock = AdaptiveLock()
        final class Box: @unchecked Sendable { var value = 0 }
        let box = Box()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<20_000 {
                lock.lock()
                box.value &+= 1  // a read-modify-write that loses updates without the lock
                lock.unlock()
            }
        }
        XCTAssertEqual(box.value, 8 * 20_000)
    }
}
