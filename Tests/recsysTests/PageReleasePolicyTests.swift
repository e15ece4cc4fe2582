@testable import recsys
import XCTest

final class PageReleasePolicyTests: XCTestCase {
    func testReleasesAfterTheIntervalOrOnceMappingsOutgrowTheWorkingSet() {
        let start = ContinuousClock.now
        func at(_ s: Double) -> ContinuousClock.Instant { start + .milliseconds(Int(s * 1000)) }
        var policy = PageReleasePolicy(interval: .seconds(10), growthLimit: 4 << 20, now: start)
        var reads = 0
        func mapped(_ bytes: Int) -> () -> Int { { reads += 1; return bytes } }

        // no commit: never, however long, and the mappings are not even measured
        XCTAssertFalse(policy.shouldRelease(now: at(60), committed: false, mappedBytes: mapped(1 << 30)))
        XCTAssertEqual(reads, 0)
        policy.released(at: at(60))
        // commits: the first check records the working set, then growth within the limit waits for the interval
        XCTAssertFalse(policy.shouldRelease(now: at(61), committed: true, mappedBytes: mapped(10 << 20)))
        XCTAssertFalse(policy.shouldRelease(now: at(62), committed: true, mappedBytes: mapped(14 << 20)))
        XCTAssertTrue(policy.shouldRelease(now: at(70), committed: true, mappedBytes: mapped(14 << 20)))
        policy.released(at: at(70))
        // growth past the working set by more than the limit releases early
        XCTAssertFalse(policy.shouldRelease(now: at(71), committed: true, mappedBytes: mapped(10 << 20)))
        XCTAssertTrue(policy.shouldRelease(now: at(73), committed: true, mappedBytes: mapped((14 << 20) + 1)))
        policy.released(at: at(73))
        // after a release the working set is measured afresh
        XCTAssertFalse(policy.shouldRelease(now: at(74), committed: true, mappedBytes: mapped(30 << 20)))
        XCTAssertFalse(policy.shouldRelease(now: at(75), committed: true, mappedBytes: mapped(33 << 20)))
    }
}
