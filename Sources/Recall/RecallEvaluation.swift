import EmbedStore
import Foundation

/// Recall@k of the index against exact search, and query latency.
public struct RecallEvaluation: Sendable, Codable {
    /// Queries run.
    public var queries: Int
    /// k.
    public var k: Int
    /// Tables and probes used.
    public var tables: Int
    public var probes: Int
    /// Candidates re-scored per result (0: all).
    public var rescore: Int
    /// Mean fraction of the exact top-k found.
    public var recall: Double
    /// Mean recall of the worst tenth of the queries: the spread the mean hides.
    public var worstTenthRecall: Double
    /// Mean candidates re-scored per query.
    public var candidates: Double
    /// Mean candidates gathered per query (before the sketch filter).
    public var gathered: Double
    /// Latency percentiles in microseconds.
    public var p50Micros: Double
    public var p99Micros: Double
    /// Queries per second, single thread.
    public var queriesPerSecond: Double
    /// "lsh" or "exact".
    public var method: String

    /// Runs `queries` through `snapshot` with `options` and compares with
    /// `truth` (exact top-k row lists); computes the truth by exact search when nil.
    public static func run(_ snapshot: RecallSnapshot, queries: [[Float]], truth given: [[Int]]? = nil, options: SearchOptions) throws -> RecallEvaluation {
        let k = options.k
        let truth: [[Int]] = try given ?? queries.map { q in
            var o = options
            o.exact = true
            return try snapshot.search(q, options: o).hits.map(\.row)
        }
        var latencies: [Double] = []
        latencies.reserveCapacity(queries.count)
        var found = 0, total = 0, cands = 0, gathered = 0
        var perQuery: [Double] = []
        var method = "lsh"
        let clock = ContinuousClock()
        let all = clock.now
        for (i, q) in queries.enumerated() {
            let t0 = clock.now
            let r = try snapshot.search(q, options: options)
            let dt = clock.now - t0
            latencies.append(Double(dt.components.attoseconds) / 1e12 + Double(dt.components.seconds) * 1e6)
            let want = Set(truth[i].prefix(k))
            let hit = r.hits.filter { want.contains($0.row) }.count
            found += hit
            total += want.count
            if !want.isEmpty { perQuery.append(Double(hit) / Double(want.count)) }
            cands += r.candidates
            gathered += r.gathered
            method = r.method.rawValue
        }
        let elapsed = clock.now - all
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        latencies.sort()
        func pct(_ p: Double) -> Double { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        let p = snapshot.indexInfo?.parameters
        return RecallEvaluation(queries: queries.count, k: k,
                                tables: options.tables > 0 ? options.tables : (p?.tables ?? 0),
                                probes: options.probes > 0 ? options.probes : (p?.probes ?? 0),
                                rescore: options.rescore ?? (p?.rescore ?? 0),
                                recall: total == 0 ? 1 : Double(found) / Double(total),
                                worstTenthRecall: TuningMeasurement(recallPerQuery: perQuery, candidates: 0, gathered: 0).worstTenthRecall,
                                candidates: Double(cands) / Double(max(1, queries.count)),
                                gathered: Double(gathered) / Double(max(1, queries.count)),
                                p50Micros: pct(0.5), p99Micros: pct(0.99),
                                queriesPerSecond: Double(queries.count) / max(seconds, 1e-9), method: method)
    }
}
