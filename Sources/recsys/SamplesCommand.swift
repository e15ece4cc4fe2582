import ArgumentParser
import Foundation
import Offline

/// `recsys samples build`: labelled ranking samples from a raw interaction log.
struct SamplesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samples",
        abstract: "Build ranking samples from a raw interaction log.",
        subcommands: [Build.self]
    )

    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Labelled samples with SparrowRecSys's features, in the schema of its testSamples.csv.",
            discussion: """
            Label: rating >= --min-rating. Item features over all the item's events (release year from the title's (YYYY), \
            first three genres, rating count, mean, deviation); user features from the user's --window events strictly \
            before each one (last five positively rated items, most recent first; counts; means and deviations; top five \
            genres). Events whose user has fewer than 2 earlier events are dropped. A log without a rating column is \
            implicit feedback: every event is positive, and --negatives adds sampled items the user never touched. \
            With --split, -o samples.csv writes samples-train.csv and samples-test.csv. Files are written whole or not at all.
            """
        )
        @Option(help: "The interaction log (CSV with a header).") var ratings: String
        @Option(help: "The items file (movieId,title,genres); every logged item must be in it.") var movies: String?
        @Option(name: .shortAndLong, help: "The samples file to write.") var output: String
        @Option(help: "Hold out rows: time:F (the latest fraction), user:F (whole users) or random:F.") var split: String?
        @Option(name: .customLong("min-rating"), parsing: .unconditional, help: "Ratings at or above this are positive.") var minRating: Float = 3.5
        @Option(help: "Column roles, e.g. user=uid,item=sku,rating=stars,time=ts (defaults: userId, movieId, rating, timestamp).") var columns: String?
        @Option(help: "Sampled negatives per positive (popularity-weighted, items the user never touched).") var negatives: Int = 0
        @Option(help: "Earlier events the user features look at.") var window: Int = 100
        @Option(help: "Seed of the split and the negatives.") var seed: UInt64 = 1

        func run() throws {
            let clock = ContinuousClock(), start = clock.now
            var options = SampleOptions()
            options.minRating = minRating
            options.negatives = negatives
            options.window = window
            options.seed = seed
            options.split = try split.map(SampleSplit.init(parsing:))
            let logColumns = try columns.map(LogColumns.init(parsing:)) ?? LogColumns()
            let log = try InteractionLog(path: ratings, columns: logColumns)
            if log.implicit { writeStderr("note: \(ratings) has no '\(logColumns.rating)' column: implicit feedback, every event positive\n") }
            let items = try movies.map { try ItemCatalogFile(path: $0, idColumn: logColumns.item) }
            let report = try SampleBuilder.build(log, items: items, options: options, output: output)
            let seconds = Double((clock.now - start).components.attoseconds) / 1e18 + Double((clock.now - start).components.seconds)
            var line = "wrote \(report.rows) samples from \(log.count) events"
            if report.negatives > 0 { line += " (\(report.negatives) sampled negatives)" }
            line += "; \(report.dropped) events dropped (fewer than 2 earlier events)"
            if options.split != nil { line += "; train \(report.trainRows) rows -> \(report.files[0]), test \(report.testRows) rows -> \(report.files[1])" } else { line += " -> \(output)" }
            writeStdout(line + String(format: " in %.2f s\n", seconds))
        }
    }
}
