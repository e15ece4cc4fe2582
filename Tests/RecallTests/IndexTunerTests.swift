@testable import Recall
import XCTest

/// The tuner's choices on made-up measurements: no store, no index.
final class IndexTunerTests: XCTestCase {
    /// A measurement whose queries all reach `recall`, with `gathered`
    /// candidates gathered and re-scored.
    func uniform(_ recall: Double, queries: Int = 200, gathered: Double) -> TuningMeasurement {
        TuningMeasurement(recallPerQuery: Array(repeating: recall, count: queries), candidates: gathered, gathered: gathered)
    }

    /// Recall grows with tables x probes; work with it. The tuner picks the
    /// cheapest set that reaches the target, never one below it.
    func testPicksTheCheapestParametersReachingTheTarget() {
        let tuner = IndexTuner(bits: 14, dimension: 64, rows: 1_000_000, maxTables: 8, given: IndexParameters())
        var calls = 0
        let choice = tuner.choose { t, p, f in
            calls += 1
            let reach = Double(t * p) / 24
            return self.uniform(min(1, 0.5 + reach / 2), gathered: Double(t * p) * (f > 0 ? 40 : 40))
        }
        guard case let .index(t, p, _) = choice else { return XCTFail("expected an index, got \(choice)") }
        XCTAssertGreaterThanOrEqual(Double(t * p) / 24 / 2 + 0.5, IndexTuner.floorRecall, "\(t) x \(p) misses the target")
        XCTAssertLessThan(calls, 8 * 3 * 12, "monotone costs should prune part of the grid")
    }

    /// The same mean is not enough when the per-query recalls spread: a
    /// quarter of the queries must keep 0.9.
    func testSpreadRaisesTheRecallRequired() {
        let even = uniform(0.94, gathered: 10)
        var spread = Array(repeating: 1.0, count: 180) + Array(repeating: 0.4, count: 20)
        XCTAssertEqual(TuningMeasurement(recallPerQuery: spread, candidates: 0, gathered: 0).recall, 0.94, accuracy: 1e-9)
        XCTAssertEqual(IndexTuner.requiredRecall(even), IndexTuner.floorRecall)
        let wide = TuningMeasurement(recallPerQuery: spread, candidates: 0, gathered: 0)
        XCTAssertGreaterThan(IndexTuner.requiredRecall(wide), 0.94, "a mean of 0.94 with a tenth of the queries at 0.4 is not enough")
        XCTAssertEqual(wide.worstTenthRecall, 0.4, accuracy: 1e-9)
        spread = Array(repeating: 1.0, count: 200)
        XCTAssertEqual(TuningMeasurement(recallPerQuery: spread, candidates: 0, gathered: 0).worstTenthRecall, 1)
    }

    /// A small table whose scan costs less than any index reaching the
    /// target is left to scan, after a handful of measurements.
    func testSmallTablesScan() {
        let tuner = IndexTuner(bits: 6, dimension: 32, rows: 682, maxTables: 16, given: IndexParameters())
        var calls = 0
        let choice = tuner.choose { t, p, _ in
            calls += 1
            // reaching the target needs most of the table
            return self.uniform(min(1, Double(t * p) / 8), gathered: min(682, Double(t * p) * 90))
        }
        XCTAssertEqual(choice, .scan)
        XCTAssertLessThanOrEqual(calls, 48, "a small table should be decided after a few of the 576 measurements")
    }

    /// Given parameters are kept; a scan is never chosen over what the caller asked for.
    func testGivenParametersAreKept() {
        let all = IndexTuner(bits: 6, dimension: 32, rows: 682, maxTables: 4, given: IndexParameters(tables: 2, probes: 3, rescore: 8))
        XCTAssertEqual(all.choose { _, _, _ in XCTFail("nothing to measure"); return self.uniform(1, gathered: 1) }, .index(tables: 2, probes: 3, rescore: 8))
        let some = IndexTuner(bits: 6, dimension: 32, rows: 682, maxTables: 4, given: IndexParameters(tables: 2))
        guard case let .index(t, _, _) = some.choose(measure: { _, p, _ in self.uniform(p >= 4 ? 1 : 0.5, gathered: 600) }) else {
            return XCTFail("a given table count means an index")
        }
        XCTAssertEqual(t, 2)
    }
}
