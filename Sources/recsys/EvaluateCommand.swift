import ArgumentParser
import EmbedStore
import Foundation
import Offline
import Ranker
import Recall

/// `recsys evaluate`: top-N quality of every recall source, their merge and
/// the ranked final list, by the field's protocol (full ranking).
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "HR, NDCG, Recall and MRR at K of each recall source, the merged recall and the ranked list, over a log.",
        discussion: """
        Protocols: `last` (temporal leave-last-out: each user's last positive event is the target, the earlier \
        positives the training history) and `time:F` (a global time split: events after the F quantile of event \
        times are the targets, users with a history before it are scored). Every list ranks the whole catalogue \
        less the user's training items. Sources: `popular` (training counts), `item-knn` (co-occurrence cosine \
        over training histories, built here), `embedding` (--table in the store, the query the mean of the last \
        --recent history items), `merged` (item-knn and embedding interleaved, popular filling up) and, when the \
        store has a model, `recommend` (the merged top --candidates ranked by it). Tables and models in the store \
        must be trained without the targets (e.g. `item2vec train --holdout-last 1`), or the figures measure memory.

        Examples:
          recsys evaluate --ratings ratings.csv --table item2vec --json
          recsys evaluate --ratings ratings.csv --protocol time:0.8 -k 10,100
        """
    )
    @Option(help: "The interaction log (CSV with a header).") var ratings: String
    @Option(help: "`last` or `time:F` (0 < F < 1).") var `protocol`: String = "last"
    @Option(help: "The embedding table to evaluate as a source (skipped when the store has none).") var table: String = "item2vec"
    @Option(name: .short, help: "Cut-offs K, comma-separated.") var k: String = "10,50,100,800"
    @Option(name: .customLong("min-rating"), parsing: .unconditional, help: "Ratings at or above this are positive.") var minRating: Float = 3.5
    @Option(help: "History items averaged into the embedding query.") var recent: Int = 3
    @Option(help: "Neighbours kept per item by item-knn.") var neighbours: Int = 100
    @Option(help: "Merged candidates the model ranks.") var candidates: Int = 800
    @Option(help: "The ranking model (default: the latest).") var model: String?
    @Option(help: "Column roles, e.g. user=uid,item=sku,rating=stars,time=ts.") var columns: String?
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    struct SourceResult: Encodable { let source: String; let users: Int; let rows: [RankingMetrics.Row] }
    struct Report: Encodable {
        let `protocol`: String
        let users: Int
        let items: Int
        let seconds: Double
        let usersPerSecond: Double
        let sources: [SourceResult]
        enum CodingKeys: String, CodingKey { case `protocol`, users, items, seconds, sources, usersPerSecond = "users_per_second" }
    }

    func run() throws {
        let ks = try k.split(separator: ",").map { s -> Int in
            guard let v = Int(s), (1...10_000).contains(v) else { throw CLIError("-k: '\(s)' is not an integer in 1...10000") }
            return v
        }.sorted()
        guard recent >= 1 else { throw CLIError("--recent must be at least 1, got \(recent)") }
        guard (1...10_000).contains(neighbours) else { throw CLIError("--neighbours must be in 1...10000, got \(neighbours)") }
        let maxK = max(ks.last!, candidates)
        let log = try InteractionLog(path: ratings, columns: try columns.map(LogColumns.init(parsing:)) ?? LogColumns())
        let (history, targets) = try split(log)
        let clock = ContinuousClock(), start = clock.now
        let catalogue = log.itemIDs.count
        var counts = [Int](repeating: 0, count: catalogue)
        for seq in history { for i in seq { counts[Int(i)] += 1 } }
        let popular = (0..<catalogue).filter { counts[$0] > 0 }.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
        let knn = ItemKNN(sequences: history, itemCount: catalogue, neighbours: neighbours)
        let s = try store.openExisting()
        let snapshot = try? RecallSnapshot(store: s, table: table)
        let ranker: RankerModel? = try s.read { txn in
            if let model { return try RankerModel.load(txn, name: model) }
            let names = try RankerModel.list(txn)
            guard let latest = try names.map({ try RankerModel.record(txn, name: $0) }).max(by: { $0.createdAt < $1.createdAt }) else { return nil }
            return try RankerModel.load(txn, name: latest.name)
        }
        var index: [String: Int] = [:]
        for (i, id) in log.itemIDs.enumerated() { index[id] = i }
        var names = ["popular", "item-knn"]
        if snapshot != nil { names.append("embedding") }
        names.append("merged")
        if ranker != nil { names.append("recommend") }
        var metrics = Dictionary(uniqueKeysWithValues: names.map { ($0, RankingMetrics(ks: ks, catalogue: catalogue)) })
        var scratch = [Float](repeating: 0, count: catalogue)
        var users = 0
        for u in history.indices where !history[u].isEmpty && !targets[u].isEmpty {
            users += 1
            let seen = Set(history[u].map(Int.init))
            let target = Set(targets[u].map(Int.init))
            var lists: [String: [Int]] = [:]
            lists["popular"] = Array(popular.lazy.filter { !seen.contains($0) }.prefix(maxK))
            lists["item-knn"] = knn.recommend(history: history[u], k: maxK, scratch: &scratch).map { Int($0.item) }
            if let snapshot {
                let ids = history[u].map { log.itemIDs[Int($0)] }
                if let query = try? snapshot.meanVector(of: ids, recent: recent) {
                    let hits = try snapshot.search(query.vector, options: SearchOptions(k: min(maxK, max(1, snapshot.table.count - query.seenRows.count)), exact: true, excludedRows: query.seenRows)).hits
                    lists["embedding"] = snapshot.ids(ofRows: hits.map(\.row)).compactMap { index[$0] }.filter { !seen.contains($0) }
                } else {
                    lists["embedding"] = []
                }
            }
            let merged = merge([lists["item-knn"]!, lists["embedding"] ?? []], fill: lists["popular"]!, limit: maxK)
            lists["merged"] = merged
            if let ranker {
                let pool = Array(merged.prefix(candidates))
                let user = log.userIDs[u]
                let scored = try s.read { txn in try ranker.score(txn, user: user, items: pool.map { log.itemIDs[$0] }) }
                lists["recommend"] = TopK.descendingOrder(scored.scores, limit: pool.count).map { pool[$0] }
            }
            for n in names { metrics[n]!.add(ranked: lists[n] ?? [], targets: target) }
        }
        let seconds = (clock.now - start).seconds
        let report = Report(protocol: `protocol`, users: users, items: catalogue, seconds: seconds, usersPerSecond: Double(users) / max(seconds, 1e-9),
                            sources: names.map { SourceResult(source: $0, users: metrics[$0]!.userCount, rows: metrics[$0]!.rows) })
        if output.json { printJSON(report); return }
        var t = ResultTable(columns: ["source", "k", "hr", "ndcg", "recall", "mrr", "coverage"])
        for r in report.sources { for row in r.rows { t.rows.append([.text(r.source), .int(row.k), .float(row.hr), .float(row.ndcg), .float(row.recall), .float(row.mrr), .float(row.coverage)]) } }
        t.print(output)
        if !output.tsv { writeStderr("\(users) users, \(catalogue) items, \(String(format: "%.2f", seconds)) s (\(Int(report.usersPerSecond)) users/s)\n") }
    }

    /// Each user's training positives and targets, by `protocol`.
    private func split(_ log: InteractionLog) throws -> (history: [[Int32]], targets: [[Int32]]) {
        if `protocol` == "last" {
            let s = Item2Vec.positiveSequences(log, minRating: minRating, holdoutLast: 1)
            return (s.train, s.heldOut)
        }
        guard `protocol`.hasPrefix("time:"), let f = Double(`protocol`.dropFirst(5)), f > 0, f < 1 else {
            throw CLIError("--protocol must be `last` or `time:F` with 0 < F < 1, got '\(`protocol`)'")
        }
        let sorted = log.times.sorted()
        guard !sorted.isEmpty else { throw CLIError("\(ratings): no events") }
        let cut = sorted[min(sorted.count - 1, Int(Double(sorted.count) * f))]
        let all = Item2Vec.positiveSequences(log, minRating: minRating, holdoutLast: 0)
        let before = Item2Vec.positiveSequences(log, minRating: minRating, holdoutLast: 0, before: cut).train
        // targets: positives at or after the cut that are not already in the history
        let targets = zip(all.train, before).map { a, b -> [Int32] in
            let seen = Set(b)
            return Array(a[b.count...]).filter { !seen.contains($0) }
        }
        return (before, targets)
    }

    /// Interleaves `lists` (one from each in turn), skipping repeats, then fills from `fill`.
    private func merge(_ lists: [[Int]], fill: [Int], limit: Int) -> [Int] {
        var out: [Int] = [], seen = Set<Int>()
        out.reserveCapacity(limit)
        var i = 0
        while out.count < limit && lists.contains(where: { i < $0.count }) {
            for l in lists where i < l.count && out.count < limit { if seen.insert(l[i]).inserted { out.append(l[i]) } }
            i += 1
        }
        for x in fill where out.count < limit { if seen.insert(x).inserted { out.append(x) } }
        return out
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
