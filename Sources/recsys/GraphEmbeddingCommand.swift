import ArgumentParser
import EmbedStore
import Foundation
import Offline

/// `recsys graph-embedding train`: Deep Walk item vectors.
struct GraphEmbeddingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph-embedding",
        abstract: "Learn item vectors from random walks over the item transition graph (Deep Walk).",
        subcommands: [Train.self]
    )

    struct Train: PrioritizedJob {
        static let configuration = CommandConfiguration(
            abstract: "Train Deep Walk embeddings and store them as a table.",
            discussion: """
            An edge a -> b for every user who rated b positively right after a (weighted by how many did); \
            --walks random walks of --walk-length items follow the edge weights from starts drawn by each item's \
            out-weight; skip-gram with negative sampling over the walks gives the vectors (SparrowRecSys's Deep Walk). \
            The table is written in one atomic import with the parameters in its source.
            """
        )
        @Option(help: "The interaction log (CSV with a header).") var ratings: String
        @Option(help: "The table to write.") var table: String = "itemGraphEmb"
        @Option(help: "Random walks to generate.") var walks: Int = 20_000
        @Option(name: .customLong("walk-length"), help: "Items per walk.") var walkLength: Int = 10
        @Option(name: .customLong("min-rating"), parsing: .unconditional, help: "Ratings at or above this are positive.") var minRating: Float = 3.5
        @Option(help: "Column roles, e.g. user=uid,item=sku,rating=stars,time=ts.") var columns: String?
        @OptionGroup var training: SkipGramFlags
        @OptionGroup var priority: PriorityOptions
        @OptionGroup var store: StoreOptions
        var jobName: String { "training graph embeddings" }

        func run() throws {
            var job = DeepWalk()
            job.walks = walks
            job.walkLength = walkLength
            job.minRating = minRating
            job.options = training.options
            let log = try InteractionLog(path: ratings, columns: try columns.map(LogColumns.init(parsing:)) ?? LogColumns())
            let bar = ProgressBar("deep walk")
            let result = try job.train(log) { done, total in bar.update(rows: done, bytes: done, total: total) }
            bar.finish()
            let source = "deep walk \(URL(fileURLWithPath: ratings).lastPathComponent): walks=\(walks) walk-length=\(walkLength) \(training.summary) min-rating=\(minRating)"
            let (items, _) = try Item2Vec.store(result, into: try store.open(), table: table, userTable: nil, source: source)
            writeStdout("table '\(table)' version \(items.version): \(items.count) items x \(training.dim)" + String(format: "; %.2f s, %.0f tokens/s\n", result.seconds, Double(result.tokens) / max(result.seconds, 1e-9)))
        }
    }
}
