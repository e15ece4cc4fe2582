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

    /// Users scored in chunks and merged give exactly the one-pass figures
    /// (evaluate scores its users in parallel).
    func testMergedChunksEqualOnePass() {
        var rng = SystemRandomNumberGenerator()
        let lists = (0..<200).map { _ in (ranked: (0..<20).map { _ in Int.random(in: 0..<50, using: &rng) }, targets: Set([Int.random(in: 0..<50, using: &rng)])) }
        var one = RankingMetrics(ks: [1, 5, 20], catalogue: 50)
        var a = one, b = one
        for (i, l) in lists.enumerated() {
            one.add(ranked: l.ranked, targets: l.targets)
            if i % 3 == 0 { a.add(ranked: l.ranked, targets: l.targets) } else { b.add(ranked: l.ranked, targets: l.targets) }
        }
        a.merge(b)
        XCTAssertEqual(a.userCount, one.userCount)
        for (x, y) in zip(a.rows, one.rows) {
            XCTAssertEqual(x.coverage, y.coverage)
            for (p, q) in [(x.hr, y.hr), (x.ndcg, y.ndcg), (x.recall, y.recall), (x.mrr, y.mrr)] { XCTAssertEqual(p, q, accuracy: 1e-12) }
        }
    }
}
