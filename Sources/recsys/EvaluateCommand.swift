import ArgumentParser
import EmbedStore
import Foundation
import Offline
import Ranker
import Recall
import Serving

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
        neighbours learned here from the training histories), `ease` (EASE^R neighbours, when --method picks it), \
        `embedding` (--table in the store, the query the mean of the last --recent history items), `merged` \
        (what `recommend` recalls: the learned neighbours of the history and the embedding source by --quota, \
        popular filling up), `recommend` (its final list: the merged top --candidates ordered by \
        history-decayed neighbour scores) and, when the store has a model, `ranker` (the same candidates \
        ordered by it). Tables and models in the store \
        must be trained without the targets (e.g. `item2vec train --holdout-last 1`), or the figures measure memory.

        Examples:
          recsys evaluate --ratings ratings.csv --table item2vec --json
          recsys evaluate --ratings ratings.csv --protocol time:0.8 -k 10,100
        """
    )
    @Option(help: "The interaction log (CSV with a header).") var ratings: String
    @Option(help: "`last` or `time:F` (0 < F < 1).") var `protocol`: String = "last"
    @Option(help: "The embedding table to evaluate as a source (skipped when the store has none).") var table: String = RequestDefaults.itemTable
    @Option(name: .short, help: "Cut-offs K, comma-separated.") var k: String = "10,50,100,800"
    @Option(name: .customLong("min-rating"), parsing: .unconditional, help: "Ratings at or above this are positive.") var minRating: Float = 3.5
    @Option(help: "History items averaged into the embedding query.") var recent: Int = MultiSourceRecall.defaultRecent
    @Option(help: "Neighbours kept per item.") var neighbours: Int = NeighbourBuilder.defaultNeighbours
    @Option(help: "How item neighbours are learned: auto (EASE^R up to \(NeighbourBuilder.maxDenseItems) items, cosine above), ease or cosine.")
    var method: NeighbourBuilder.Choice = .auto
    @Option(help: "EASE^R's L2 weight λ.") var lambda: Float = NeighbourBuilder.defaultLambda
    @Option(help: "The ranking's weight per step back in the history (1: the whole history alike).") var decay: Float = MultiSourceRecall.defaultDecay
    @Option(help: "Neighbour candidates merged per embedding candidate (0: no embedding source).") var quota: Int = MultiSourceRecall.defaultQuota
    @Option(help: "Merged candidates ranked.") var candidates: Int = RequestDefaults.candidates
    @Option(help: "Also rank the merged candidates with this stored model (`ranker` in the output; default: the latest, if any).") var model: String?
    @Option(help: "Column roles, e.g. user=uid,item=sku,rating=stars,time=ts.") var columns: String?
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    struct SourceResult: Encodable { let source: String; let users: Int; let rows: [RankingMetrics.Row] }
    struct Report: Encodable {
        let `protocol`: String
        let users: Int
        let items: Int
        /// Learning the neighbours.
        let trainingSeconds: Double
        /// Every user's lists and metrics.
        let seconds: Double
        let usersPerSecond: Double
        let neighbours: String
        let sources: [SourceResult]
        enum CodingKeys: String, CodingKey {
            case `protocol`, users, items, seconds, sources, neighbours
            case trainingSeconds = "training_seconds", usersPerSecond = "users_per_second"
        }
    }

    func run() throws {
        let ks = try k.split(separator: ",").map { s -> Int in
            guard let v = Int(s), (1...10_000).contains(v) else { throw CLIError("-k: '\(s)' is not an integer in 1...10000") }
            return v
        }.sorted()
        guard recent >= 1 else { throw CLIError("--recent must be at least 1, got \(recent)") }
        guard (1...10_000).contains(neighbours) else { throw CLIError("--neighbours must be in 1...10000, got \(neighbours)") }
        guard decay > 0, decay <= 1 else { throw CLIError("--decay must be in (0, 1], got \(decay)") }
        guard (0...100).contains(quota) else { throw CLIError("--quota must be in 0...100, got \(quota)") }
        let maxK = max(ks.last!, candidates)
        let log = try InteractionLog(path: ratings, columns: try columns.map(LogColumns.init(parsing:)) ?? LogColumns())
        let (history, targets) = try split(log)
        let clock = ContinuousClock(), start = clock.now
        let catalogue = log.itemIDs.count
        let learned = try NeighbourBuilder.build(sequences: history, itemIDs: log.itemIDs, method: method, lambda: lambda, neighbours: neighbours)
        let cosine = learned.header.method == .cosine ? learned : try NeighbourBuilder.build(sequences: history, itemIDs: log.itemIDs, method: .cosine, neighbours: neighbours)
        let trained = clock.now
        let s = try store.openExisting()
        let snapshot = try? RecallSnapshot(store: s, table: table)
        var recall = MultiSourceRecall(neighbours: learned, embedding: snapshot)
        recall.recent = recent
        recall.quota = quota
        recall.decay = decay
        recall.exact = true
        let ranker: RankerModel? = try s.read { txn in
            if let model { return try RankerModel.load(txn, name: model) }
            let names = try RankerModel.list(txn)
            guard let latest = try names.map({ try RankerModel.record(txn, name: $0) }).max(by: { $0.createdAt < $1.createdAt }) else { return nil }
            return try RankerModel.load(txn, name: latest.name)
        }
        var index: [String: Int] = [:]
        for (i, id) in log.itemIDs.enumerated() { index[id] = i }
        var names = ["popular", "item-knn"]
        if learned.header.method == .ease { names.append("ease") }
        if snapshot != nil { names.append("embedding") }
        names += ["merged", "recommend"]
        if ranker != nil { names.append("ranker") }
        let eligible = history.indices.filter { !history[$0].isEmpty && !targets[$0].isEmpty }
        // users in parallel chunks, each with its own scratch and metrics, merged after:
        // the figures are those of one pass (sums and coverage sets are order-free)
        let threads = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        let chunk = (eligible.count + threads - 1) / max(threads, 1)
        var parts = [Result<[String: RankingMetrics], Error>](repeating: .success([:]), count: threads)
        parts.withUnsafeMutableBufferPointer { out in
            let out = out
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                out[t] = Result {
                    var metrics = Dictionary(uniqueKeysWithValues: names.map { ($0, RankingMetrics(ks: ks, catalogue: catalogue)) })
                    var scratch = [Float](repeating: 0, count: catalogue)
                    for u in eligible.dropFirst(t * chunk).prefix(chunk) {
                        let lists = try self.lists(user: u, history: history[u], log: log, index: index, maxK: maxK, learned: learned, cosine: cosine,
                                                   snapshot: snapshot, recall: recall, ranker: ranker, store: s, scratch: &scratch)
                        let target = Set(targets[u].map(Int.init))
                        for n in names { metrics[n]!.add(ranked: lists[n] ?? [], targets: target) }
                    }
                    return metrics
                }
            }
        }
        var metrics = try parts[0].get()
        for part in parts.dropFirst() { let p = try part.get(); for n in names { metrics[n]!.merge(p[n]!) } }
        let users = eligible.count
        let seconds = (clock.now - trained).seconds
        let report = Report(protocol: `protocol`, users: users, items: catalogue, trainingSeconds: (trained - start).seconds, seconds: seconds,
                            usersPerSecond: Double(users) / max(seconds, 1e-9), neighbours: learned.header.method.rawValue,
                            sources: names.map { SourceResult(source: $0, users: metrics[$0]!.userCount, rows: metrics[$0]!.rows) })
        if output.json { printJSON(report); return }
        var t = ResultTable(columns: ["source", "k", "hr", "ndcg", "recall", "mrr", "coverage"])
        for r in report.sources { for row in r.rows { t.rows.append([.text(r.source), .int(row.k), .float(row.hr), .float(row.ndcg), .float(row.recall), .float(row.mrr), .float(row.coverage)]) } }
        t.print(output)
        if !output.tsv {
            writeStderr(String(format: "%d users, %d items; neighbours (%@) learned in %.2f s; lists in %.2f s (%d users/s)\n",
                               users, catalogue, learned.header.method.rawValue, report.trainingSeconds, seconds, Int(report.usersPerSecond)))
        }
    }

    /// One user's ranked list per source, as catalogue keys.
    private func lists(user u: Int, history: [Int32], log: InteractionLog, index: [String: Int], maxK: Int, learned: ItemNeighbours,
                       cosine: ItemNeighbours, snapshot: RecallSnapshot?, recall: MultiSourceRecall, ranker: RankerModel?, store s: Store,
                       scratch: inout [Float]) throws -> [String: [Int]] {
        let seen = Set(history.map(Int.init))
        let ids = history.map { log.itemIDs[Int($0)] }
        var lists: [String: [Int]] = [:]
        lists["popular"] = Array(learned.popular.lazy.map(Int.init).filter { !seen.contains($0) }.prefix(maxK))
        lists["item-knn"] = cosine.recommend(history: history, k: maxK, scratch: &scratch).map { Int($0.item) }
        if learned.header.method == .ease { lists["ease"] = learned.recommend(history: history, k: maxK, scratch: &scratch).map { Int($0.item) } }
        if snapshot != nil { lists["embedding"] = try recall.embeddingCandidates(history: ids, count: maxK).compactMap { index[$0.id] } }
        let merged = try recall.candidates(history: ids, count: maxK, scratch: &scratch)
        lists["merged"] = merged.compactMap { index[$0.id] }
        let pool = Array(merged.prefix(candidates))
        lists["recommend"] = recall.rank(pool, history: ids, scratch: &scratch).order.compactMap { index[pool[$0].id] }
        if let ranker {
            let user = log.userIDs[u]
            let scored = try s.read { txn in try ranker.score(txn, user: user, items: pool.map(\.id)) }
            lists["ranker"] = TopK.descendingOrder(scored.scores, limit: pool.count).compactMap { index[pool[$0].id] }
        }
        return lists
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
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
