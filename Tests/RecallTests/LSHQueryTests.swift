import EmbedStore
import Foundation
@testable import Recall
import RecsysTestSupport
import XCTest

/// The LSH query phase by phase, as FALCONN tests its query object: the
/// multiprobe sequence against brute force, gathering each row once, the
/// candidate filters keeping what re-scoring needs, and the statistics.
final class LSHQueryTests: XCTestCase {
    private func indexed(tables: Int = 4, bits: Int = 8, quantized: Bool = false) throws -> (TempStore, ClusteredVectors, RecallSnapshot) {
        let t = try TempStore()
        let data = ClusteredVectors(n: 6_000, queries: 30, dim: 16, clusters: 40, seed: 9)
        try data.load(into: t.store, table: "v")
        try LSHIndex.build(store: t.store, table: "v", parameters: IndexParameters(tables: tables, bits: bits, probes: 16, rescore: 4, quantized: quantized))
        return (t, data, try RecallSnapshot(store: t.store, table: "v"))
    }

    /// The probes are exactly the lowest-cost buckets over all tables (cost:
    /// the summed squared margins of the bits flipped from the query's own
    /// bucket), in non-decreasing cost, each once, own buckets first.
    func testProbeSequenceIsTheCheapestBucketsInOrder() throws {
        let (_, data, snapshot) = try indexed()
        for (n, query) in data.queries.prefix(10).enumerated() {
            for probes in [1, 3, 16, 40] {
                let seq = try XCTUnwrap(snapshot.probeSequence(query, options: SearchOptions(k: 10, probes: probes)))
                let bits = seq.bits, tables = 4
                XCTAssertEqual(seq.probes.count, tables * probes)
                let proj = seq.projections
                func base(_ l: Int) -> UInt32 { (0..<bits).reduce(0) { $0 | (proj[l * bits + $1] >= 0 ? 1 << UInt32($1) : 0) } }
                func cost(_ l: Int, _ code: UInt32) -> Float {
                    let flipped = code ^ base(l)
                    return (0..<bits).reduce(0) { flipped & (1 << UInt32($1)) != 0 ? $0 + proj[l * bits + $1] * proj[l * bits + $1] : $0 }
                }
                // the own buckets first (cost 0), one per table
                XCTAssertEqual(seq.probes.prefix(tables).map(\.table).sorted(), Array(0..<tables), "query \(n)")
                for p in seq.probes.prefix(tables) { XCTAssertEqual(p.code, base(p.table), "query \(n): own bucket") }
                let costs = seq.probes.map { cost($0.table, $0.code) }
                XCTAssertEqual(Set(seq.probes.map { UInt64($0.table) << 32 | UInt64($0.code) }).count, seq.probes.count, "a bucket probed twice")
                for i in 1..<costs.count { XCTAssertLessThanOrEqual(costs[i - 1], costs[i] * (1 + 1e-5) + 1e-9, "query \(n) probes \(probes): order at \(i)") }
                // brute force: all tables x 2^bits buckets, the cheapest first
                let all = (0..<tables).flatMap { l in (0..<(UInt32(1) << UInt32(bits))).map { cost(l, $0) } }.sorted()
                XCTAssertEqual(costs.last!, all[costs.count - 1], accuracy: 1e-4 * max(1, all[costs.count - 1]), "query \(n) probes \(probes): not the cheapest set")
            }
        }
    }

    /// Gathered rows are distinct, admitted and at most what the probed
    /// buckets hold; the filter keeps rescore x k; statistics say so.
    func testGatherAndFiltersAndStatistics() throws {
        for quantized in [false, true] {
            let (_, data, snapshot) = try indexed(quantized: quantized)
            let excluded: Set<Int> = [0, 1, 2, 3]
            for query in data.queries.prefix(10) {
                var options = SearchOptions(k: 10, probes: 16, rescore: 4, excludedRows: excluded)
                options.timePhases = true
                let r = try snapshot.search(query, options: options)
                let s = r.statistics
                XCTAssertEqual(r.method, .lsh)
                XCTAssertEqual(s.probes, 4 * 16)
                XCTAssertGreaterThanOrEqual(s.gathered, s.filtered)
                // rescore 4 per result keeps 40, plus any tie at the cutoff's sketch distance or score
                XCTAssertGreaterThanOrEqual(s.filtered, min(s.gathered, 4 * 10), "quantized: \(quantized)")
                XCTAssertLessThan(s.filtered, s.gathered, "the filter dropped something (quantized: \(quantized))")
                let unfiltered = try snapshot.search(query, options: SearchOptions(k: 10, probes: 16, rescore: 0, excludedRows: excluded)).statistics
                XCTAssertEqual(unfiltered.filtered, unfiltered.gathered, "rescore 0: no filter")
                XCTAssertEqual(unfiltered.gathered, s.gathered, "the filter does not change what is gathered")
                XCTAssertEqual(s.rescored, s.filtered)
                XCTAssertEqual(r.gathered, s.gathered)
                XCTAssertEqual(r.candidates, s.rescored)
                XCTAssertGreaterThan(s.probeNs + s.gatherNs + s.filterNs + s.rescoreNs, 0, "timed phases")
                XCTAssertTrue(r.hits.allSatisfy { !excluded.contains($0.row) })
                XCTAssertEqual(Set(r.hits.map(\.row)).count, r.hits.count)
                let untimed = try snapshot.search(query, options: SearchOptions(k: 10, probes: 16, rescore: 4, excludedRows: excluded))
                XCTAssertEqual(untimed.statistics.probeNs + untimed.statistics.rescoreNs, 0, "untimed by default")
                XCTAssertEqual(untimed.hits.map(\.row), r.hits.map(\.row))
            }
            // an exact scan reports every live row
            let e = try snapshot.search(data.queries[0], options: SearchOptions(k: 5, exact: true))
            XCTAssertEqual(e.statistics, { var s = QueryStatistics(); s.gathered = 6_000; s.filtered = 6_000; s.rescored = 6_000; return s }())
        }
    }

    /// More probes never gather fewer rows (each probe sequence extends the shorter).
    func testMoreProbesGatherASuperset() throws {
        let (_, data, snapshot) = try indexed()
        for query in data.queries.prefix(5) {
            var last = 0
            for probes in [1, 2, 4, 8, 16, 32] {
                let r = try snapshot.search(query, options: SearchOptions(k: 10, probes: probes, rescore: 0))
                XCTAssertGreaterThanOrEqual(r.statistics.gathered, last)
                last = r.statistics.gathered
                let seq = snapshot.probeSequence(query, options: SearchOptions(k: 10, probes: probes))!.probes
                let longer = snapshot.probeSequence(query, options: SearchOptions(k: 10, probes: probes * 2))!.probes
                XCTAssertEqual(Set(seq.map { "\($0.table):\($0.code)" }).isSubset(of: Set(longer.map { "\($0.table):\($0.code)" })), true)
            }
        }
    }
}
