import ArgumentParser
import EmbedStore
import Foundation
import Offline
import Recall
import Serving

/// `recsys recall holdout`: recall quality on each user's held-out positive events.
struct HoldoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "holdout",
        abstract: "Hit rate and recall@K of the next positive events, exact, through the index, and for the most popular items.",
        discussion: """
        For each user in --ratings, the last --targets positive events (rating >= --min-rating, time order) are the \
        targets and the earlier ones the history; the query is the mean of the history's vectors in --table, history \
        items excluded. A hit is a target among the first K. Train the table without the targets \
        (`item2vec train --holdout-last N`), or the figures measure memory rather than recall.
        """
    )
    @Option(help: "The interaction log (CSV with a header).") var ratings: String
    @Option(help: "The item table to search.") var table: String = RequestDefaults.itemTable
    @Option(help: "Held-out positive events per user.") var targets: Int = 1
    @Option(name: .short, help: "Cut-offs K, comma-separated.") var k: String = "10,50,100,800"
    @Option(name: .customLong("min-rating"), parsing: .unconditional, help: "Ratings at or above this are positive.") var minRating: Float = 3.5
    @Option(help: "Average only the last N history items into the query (all items are still excluded).") var recent: Int?
    @Option(help: "Column roles, e.g. user=uid,item=sku,rating=stars,time=ts.") var columns: String?
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        guard targets >= 1 else { throw CLIError("--targets must be at least 1, got \(targets)") }
        let ks = try k.split(separator: ",").map { s -> Int in
            guard let v = Int(s), (1...10_000).contains(v) else { throw CLIError("-k: '\(s)' is not an integer in 1...10000") }
            return v
        }
        if let recent, recent < 1 { throw CLIError("--recent must be at least 1, got \(recent)") }
        let log = try InteractionLog(path: ratings, columns: try columns.map(LogColumns.init(parsing:)) ?? LogColumns())
        let (history, heldOut) = Item2Vec.positiveSequences(log, minRating: minRating, holdoutLast: targets)
        var popularity = [Int](repeating: 0, count: log.itemIDs.count)
        for seq in history { for item in seq { popularity[Int(item)] += 1 } }
        let popular = (0..<popularity.count).filter { popularity[$0] > 0 }.sorted { popularity[$0] > popularity[$1] }.map { log.itemIDs[$0] }
        let cases = zip(history, heldOut).filter { !$0.0.isEmpty && !$0.1.isEmpty }
            .map { HoldoutEvaluation.Case(history: $0.0.map { log.itemIDs[Int($0)] }, targets: $0.1.map { log.itemIDs[Int($0)] }) }
        let snapshot = try RecallSnapshot(store: try store.openExisting(), table: table)
        let e = try HoldoutEvaluation.run(snapshot, cases: cases, ks: ks, popular: popular, recent: recent)
        if output.json { printJSON(e); return }
        var t = ResultTable(columns: ["method", "k", "hit_rate", "recall"])
        for r in e.rows { t.rows.append([.text(r.method), .int(r.k), .float(r.hitRate), .float(r.recall)]) }
        t.print(output)
        if !output.tsv { writeStderr("\(e.users) users evaluated, \(e.skipped) skipped (no history item in '\(table)'; a target not in it counts as a miss)\n") }
    }
}
