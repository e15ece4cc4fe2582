import Recall
import XCTest

final class RankingMetricsTests: XCTestCase {
    /// Figures worked by hand: one user hit at rank 2 of 2 targets, one missed.
    func testHitRateNDCGRecallMRRAndCoverage() {
        var m = RankingMetrics(ks: [1, 3], catalogue: 10)
        m.add(ranked: [5, 7, 9], targets: [7, 8])
        m.add(ranked: [1, 2, 3], targets: [4])
        m.add(ranked: [1], targets: []) // no targets: not counted
        XCTAssertEqual(m.userCount, 2)
        let at1 = m.rows[0], at3 = m.rows[1]
        XCTAssertEqual(at1.hr, 0)
        XCTAssertEqual(at1.coverage, 0.2, accuracy: 1e-12)
        XCTAssertEqual(at3.hr, 0.5)
        XCTAssertEqual(at3.recall, 0.25, accuracy: 1e-12)
        XCTAssertEqual(at3.mrr, 0.25, accuracy: 1e-12)
        // dcg 1/log2(3), ideal 1 + 1/log2(3)
        XCTAssertEqual(at3.ndcg, 0.5 * (1 / log2(3.0)) / (1 + 1 / log2(3.0)), accuracy: 1e-12)
        XCTAssertEqual(at3.coverage, 0.6, accuracy: 1e-12)
    }
}
