import ArgumentParser
import EmbedStore
import Foundation
import Offline
import Serving

/// `recsys item2vec train`: item vectors learned from users' rating sequences.
struct Item2VecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "item2vec",
        abstract: "Learn item vectors from an interaction log (skip-gram with negative sampling).",
        subcommands: [Train.self]
    )

    struct Train: PrioritizedJob {
        static let configuration = CommandConfiguration(
            abstract: "Train item2vec on each user's time-ordered positive events and store the vectors as a table.",
            discussion: """
            Each user's items rated at least --min-rating, in time order, form a sentence; skip-gram with negative \
            sampling learns a vector per item (the course trains it with Spark Word2Vec: --dim 10 --window 5 \
            --epochs 10). The table is written in one atomic import (kind pretrained, the parameters in its source). \
            --user-table also writes each user's mean item vector and stores the sequences as histories, so \
            `recall user ID --from history` and seen-item exclusion work at once. One thread is reproducible from --seed.
            """
        )
        @Option(help: "The interaction log (CSV with a header).") var ratings: String
        @Option(help: "The table to write (recall and recommend search it by default).") var table: String = RequestDefaults.itemTable
        @Option(name: .customLong("user-table"), help: "Also write users' mean item vectors to this table, and their histories.") var userTable: String?
        @Option(name: .customLong("user-recent"), help: "With --user-table: average only each user's last N items (default: all, as SparrowRecSys).") var userRecent: Int?
        @Option(name: .customLong("min-count"), help: "Leave out items with fewer positive events.") var minCount: Int = 1
        @Option(name: .customLong("min-rating"), parsing: .unconditional, help: "Ratings at or above this are positive.") var minRating: Float = 3.5
        @Option(help: "Column roles, e.g. user=uid,item=sku,rating=stars,time=ts.") var columns: String?
        @Option(name: .customLong("holdout-last"), help: "Leave each user's last N positive events out of training (the targets of `recall holdout --targets N`).") var holdoutLast: Int = 0
        @Option(help: "Learn only from events whose time is before this (in the log's time units): vectors for `train --init` must predate the ranker's samples, or they leak its training labels.") var before: Int64?
        @OptionGroup var training: SkipGramFlags
        @OptionGroup var priority: PriorityOptions
        @OptionGroup var store: StoreOptions
        var jobName: String { "training item2vec" }

        func run() throws {
            var job = Item2Vec()
            job.options = training.options
            job.minCount = minCount
            job.minRating = minRating
            guard holdoutLast >= 0 else { throw CLIError("--holdout-last must be 0 or more, got \(holdoutLast)") }
            job.holdoutLast = holdoutLast
            job.before = before
            if let userRecent, userRecent < 1 { throw CLIError("--user-recent must be at least 1, got \(userRecent)") }
            if userRecent != nil && userTable == nil { throw CLIError("--user-recent needs --user-table (it shapes the user vectors)") }
            let log = try InteractionLog(path: ratings, columns: try columns.map(LogColumns.init(parsing:)) ?? LogColumns())
            let bar = ProgressBar("item2vec")
            let result = try job.train(log) { done, total in bar.update(rows: done, bytes: done, total: total) }
            bar.finish()
            let source = "item2vec \(URL(fileURLWithPath: ratings).lastPathComponent): \(training.summary) min-count=\(minCount) min-rating=\(minRating)" + (before.map { " before=\($0)" } ?? "")
            let (items, users) = try Item2Vec.store(result, into: try store.open(), table: table, userTable: userTable, userRecent: userRecent, source: source)
            var line = "table '\(table)' version \(items.version): \(items.count) items x \(training.dim)"
            if let users { line += "; '\(userTable!)' version \(users.version): \(users.count) users, histories stored" }
            writeStdout(line + String(format: "; %.2f s, %.0f tokens/s\n", result.seconds, Double(result.tokens) / max(result.seconds, 1e-9)))
        }
    }
}
