/// Recall and work of one parameter set on the tuning's sample queries.
public struct TuningMeasurement: Sendable {
    /// Recall@10 of each sample query.
    public var recallPerQuery: [Double]
    /// Mean candidates re-scored and gathered per query.
    public var candidates: Double
    public var gathered: Double

    public init(recallPerQuery: [Double], candidates: Double, gathered: Double) {
        self.recallPerQuery = recallPerQuery
        self.candidates = candidates
        self.gathered = gathered
    }

    /// Mean recall over the queries (1 without queries).
    public var recall: Double { recallPerQuery.isEmpty ? 1 : recallPerQuery.reduce(0, +) / Double(recallPerQuery.count) }

    /// Mean recall of the worst tenth of the queries: the spread a mean hides.
    public var worstTenthRecall: Double {
        guard !recallPerQuery.isEmpty else { return 1 }
        let worst = recallPerQuery.sorted().prefix(max(1, recallPerQuery.count / 10))
        return worst.reduce(0, +) / Double(worst.count)
    }

    /// Standard deviation of the per-query recall.
    var spread: Double {
        guard recallPerQuery.count > 1 else { return 0 }
        let m = recall
        return (recallPerQuery.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(recallPerQuery.count - 1)).squareRoot()
    }
}

/// Chooses an index's (tables, probes, rescore), or a scan, from
/// measurements: the cheapest parameter set whose recall@10 on the sample
/// queries reaches the target with margin, under a cost model in units of one
/// multiply-add of re-scoring. Works on a `measure` function, so it is tested
/// without a store.
///
/// Rules, and why:
/// - **Margin for unseen queries.** The mean recall must stay above
///   `promisedRecall` (0.9) on any quarter of the queries: mean >= 0.9 +
///   3 x sd / sqrt(n / 4) (three standard errors of a quarter's mean), and
///   never below `floorRecall`. The sample is the table's own vectors, not
///   the queries to come, so the margin is wide: with 2.33 standard errors a
///   mean of 0.938 over 200 unseen queries still left one 50-query quarter
///   at 0.898 (gen_vectors 100k x 64, seed 7).
/// - **A scan when it is cheaper.** Scanning costs about 0.1 unit per float
///   (contiguous SIMD multiply-adds; 16,384 floats take about what hashing a
///   query takes). A parameter set that costs more than the scan is never
///   chosen, and a small table is decided after a few measurements.
/// - **Monotone costs prune.** More probes only add work, and more tables
///   only add hashing and probing: a set whose work before any candidate
///   already exceeds the best choice is not measured.
public struct IndexTuner: Sendable {
    /// The recall@10 the index promises on unseen queries.
    public static let promisedRecall = 0.9
    /// The least mean recall accepted on the sample, whatever its spread.
    public static let floorRecall = 0.93

    /// Costs in the tuning's unit, one multiply-add of re-scoring (a 64-d
    /// candidate costs d + 8, ~33 ns: its row is a cache miss), as measured
    /// per phase on a 2-core VM with `recall eval` at n = 100,000: hashing
    /// ~0.07 ns per plane and dimension (vectorised, in cache), ordering a
    /// table's bits by margin ~50 ns, a probed bucket ~50 ns (its place in
    /// the probe sequence, its offsets and entries are cache misses), a
    /// gathered candidate ~4.5 ns (entry, seen bit), its sketch ~5 ns.
    static let hashCost = 0.16
    static let tableCost = 110.0
    static let probeCost = 110.0
    static let gatherCost = 10.0
    static let sketchCost = 11.0
    /// Reading and scoring a candidate's 8-bit copy: one random cache line
    /// for 64 dimensions (~17 ns at 1M x 64), and the integer dot product.
    static let quantizedCost = 40.0
    static let scanCostPerFloat = 0.1

    public var bits: Int
    public var dimension: Int
    /// Live rows: what a scan reads.
    public var rows: Int
    public var maxTables: Int
    /// Given parameters (0: choose).
    public var given: IndexParameters

    public init(bits: Int, dimension: Int, rows: Int, maxTables: Int, given: IndexParameters) {
        self.bits = bits
        self.dimension = dimension
        self.rows = rows
        self.maxTables = maxTables
        self.given = given
    }

    /// What the tuning chose.
    public enum Choice: Equatable, Sendable {
        case index(tables: Int, probes: Int, rescore: Int)
        /// Every parameter set costs more than scanning the table.
        case scan
    }

    /// Mean recall `m` must reach to keep 0.9 on unseen queries.
    public static func requiredRecall(_ m: TuningMeasurement) -> Double {
        let quarter = Double(max(1, m.recallPerQuery.count / 4))
        return max(floorRecall, promisedRecall + 3 * m.spread / quarter.squareRoot())
    }

    /// The cost of a query scanning every row.
    public var scanCost: Double { Double(rows * dimension) * Self.scanCostPerFloat }

    /// The cost before any candidate: hashing (and sketching), tables, probes.
    func fixedCost(tables t: Int, probes p: Int, rescore f: Int) -> Double {
        let planes = t * bits + (f > 0 ? 64 : 0)
        return Double(planes * dimension) * Self.hashCost + Double(t) * Self.tableCost + Double(t * p) * Self.probeCost
    }

    /// The cost of choosing a candidate for re-scoring: its sketch, or its
    /// 8-bit copy (about d / 64 cache lines) when the index keeps one.
    var filterCost: Double { given.quantized ? Self.quantizedCost * Double(max(64, dimension)) / 64 : Self.sketchCost }

    /// The whole cost of a query under `m`.
    func cost(tables t: Int, probes p: Int, rescore f: Int, _ m: TuningMeasurement) -> Double {
        fixedCost(tables: t, probes: p, rescore: f)
            + m.gathered * (f > 0 ? Self.gatherCost + filterCost : Self.gatherCost) + m.candidates * Double(dimension + 8)
    }

    /// Chooses parameters by calling `measure(tables, probes, rescore)`.
    /// Given parameters are kept; when every one is given, nothing is chosen.
    public func choose(measure: (Int, Int, Int) -> TuningMeasurement) -> Choice {
        let tableChoices = given.tables > 0 ? [given.tables] : Array(1...maxTables)
        let probeChoices = given.probes > 0 ? [given.probes] : [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]
        // re-scored per result wanted: 0 = all gathered candidates
        // an 8-bit copy orders candidates nearly exactly: a few per result suffice
        let rescoreChoices = given.rescore > 0 ? [given.rescore] : given.quantized ? [0, 16, 8, 4, 2] : [0, 16, 8]
        if given.tables > 0 && given.probes > 0 && given.rescore > 0 {
            return .index(tables: given.tables, probes: given.probes, rescore: given.rescore)
        }
        let anyGiven = given.tables > 0 || given.probes > 0 || given.rescore > 0
        // a scan is an option only when the caller left the index to the tuning
        var best: (cost: Double, choice: Choice)? = anyGiven ? nil : (scanCost, .scan)
        for t in tableChoices {
            for f in rescoreChoices {
                for p in probeChoices {
                    if let best, fixedCost(tables: t, probes: p, rescore: f) >= best.cost { break }
                    let m = measure(t, p, f)
                    let c = cost(tables: t, probes: p, rescore: f, m)
                    if m.recall >= Self.requiredRecall(m) {
                        if best == nil || c < best!.cost { best = (c, .index(tables: t, probes: p, rescore: f)) }
                        break
                    }
                    // more probes only cost more: past the best, stop
                    if let best, c >= best.cost { break }
                }
            }
        }
        return best?.choice ?? .index(tables: tableChoices.last!, probes: probeChoices.last!, rescore: 0)
    }
}
