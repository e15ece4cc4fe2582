import EmbedStore

/// Recall quality on held-out interactions, as recall stages are judged:
/// for each user, the query is the mean vector of their earlier positive
/// items (or of the last `recent` of them), and a hit is a later positive item (the held-out target) among
/// the first K results (items already in the history left out). Reported
/// for exact search, for the index, and for a most-popular baseline.
public struct HoldoutEvaluation: Sendable, Codable {
    /// One held-out user: the items before the cut and those after it.
    public struct Case: Sendable {
        public var history: [String]
        public var targets: [String]
        public init(history: [String], targets: [String]) {
            self.history = history
            self.targets = targets
        }
    }

    /// Hit rate (a target in the top K) and recall (the share of targets
    /// in the top K) for one method.
    public struct Row: Sendable, Codable {
        public var method: String
        public var k: Int
        public var hitRate: Double
        public var recall: Double
    }

    public var users: Int
    /// Users left out: no history item in the table (no query). A target
    /// missing from the table stays in, as a miss for every method: leaving
    /// those users out would score a table that drops rare items (min-count)
    /// on an easier set of users.
    public var skipped: Int
    public var rows: [Row]

    /// Evaluates `cases` on `snapshot` at each of `ks`; `popular` lists item
    /// ids most popular first (the baseline's ranking).
    public static func run(_ snapshot: RecallSnapshot, cases: [Case], ks: [Int], popular: [String], recent: Int? = nil) throws -> HoldoutEvaluation {
        let maxK = ks.max() ?? 10
        var hits: [String: [Int]] = [:], found: [String: [Double]] = [:]
        // an index tuned to prefer scanning answers exactly: its row says so
        let indexName = snapshot.indexInfo?.prefersScan == true ? "index (scans)" : "index"
        let methods = ["exact", snapshot.indexInfo != nil && snapshot.staleNote == nil ? indexName : nil, "most popular"].compactMap { $0 }
        for m in methods { hits[m] = Array(repeating: 0, count: ks.count); found[m] = Array(repeating: 0, count: ks.count) }
        var users = 0, skipped = 0
        for c in cases {
            let targets = snapshot.rows(of: c.targets)
            guard !c.targets.isEmpty, let query = try? snapshot.meanVector(of: c.history, recent: recent) else { skipped += 1; continue }
            users += 1
            let seen = query.seenRows
            for m in methods {
                let ranked: [Int]
                switch m {
                case "most popular":
                    ranked = Array(snapshot.rowsInOrder(of: Array(popular.prefix(maxK + seen.count))).compactMap { $0 }.filter { !seen.contains($0) }.prefix(maxK))
                default:
                    let k = min(maxK, max(1, snapshot.table.count - seen.count))
                    ranked = try snapshot.search(query.vector, options: SearchOptions(k: k, exact: m == "exact", excludedRows: seen)).hits.map(\.row)
                }
                for (i, k) in ks.enumerated() {
                    let top = Set(ranked.prefix(k))
                    let n = targets.filter { top.contains($0) }.count
                    if n > 0 { hits[m]![i] += 1 }
                    found[m]![i] += Double(n) / Double(c.targets.count)
                }
            }
        }
        var rows: [Row] = []
        for m in methods {
            for (i, k) in ks.enumerated() {
                rows.append(Row(method: m, k: k, hitRate: Double(hits[m]![i]) / Double(max(1, users)), recall: found[m]![i] / Double(max(1, users))))
            }
        }
        return HoldoutEvaluation(users: users, skipped: skipped, rows: rows)
    }
}
