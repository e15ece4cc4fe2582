import ArgumentParser
import EmbedStore
import Foundation
import Offline
import Recall

extension NeighbourBuilder.Choice: ExpressibleByArgument {}

/// `recsys neighbours ...`: the item-item recall source `recommend` uses by default.
struct NeighboursCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neighbours",
        abstract: "Learn item-to-item neighbours from a log (EASE^R or cosine): recommend's default recall and ranking.",
        subcommands: [Build.self, List.self]
    )

    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Learn neighbours from a log's positive events and store them, with each user's history.",
            discussion: """
            Positives are events rated at least --min-rating (every event of a log without ratings). `auto` solves \
            EASE^R in closed form up to \(NeighbourBuilder.maxDenseItems) items (memory items² floats) and uses \
            co-occurrence cosine above. Each item keeps its --neighbours best weights. The users' positive \
            sequences are stored as histories in the same transaction (unless --no-histories), so `recommend user ID` \
            answers at once; a store that fails `store verify` is refused before anything is written.

            Examples:
              recsys neighbours build --ratings ratings.csv
              recsys neighbours build --ratings purchases.tsv --columns user=customer,item=sku,time=ts --method cosine
            """
        )
        @Option(help: "The interaction log (CSV with a header).") var ratings: String
        @Option(help: "The name to store them under (`recommend` uses '\(ItemNeighbours.defaultName)').") var name: String = ItemNeighbours.defaultName
        @Option(help: "auto, ease or cosine.") var method: NeighbourBuilder.Choice = .auto
        @Option(help: "EASE^R's L2 weight λ (larger: smoother, more popular items).") var lambda: Float = NeighbourBuilder.defaultLambda
        @Option(help: "Neighbours kept per item.") var neighbours: Int = NeighbourBuilder.defaultNeighbours
        @Option(name: .customLong("min-rating"), parsing: .unconditional, help: "Ratings at or above this are positive.") var minRating: Float = 3.5
        @Option(help: "Column roles, e.g. user=uid,item=sku,rating=stars,time=ts.") var columns: String?
        @Option(name: .customLong("holdout-last"), help: "Leave each user's last N positive events out (the targets of `recsys evaluate`).") var holdoutLast: Int = 0
        @Option(help: "Learn only from events whose time is before this (in the log's time units).") var before: Int64?
        @Flag(name: .customLong("no-histories"), help: "Do not replace the stored histories.") var noHistories = false
        @OptionGroup var store: StoreOptions

        func run() throws {
            guard holdoutLast >= 0 else { throw CLIError("--holdout-last must be 0 or more, got \(holdoutLast)") }
            let clock = ContinuousClock(), start = clock.now
            let log = try InteractionLog(path: ratings, columns: try columns.map(LogColumns.init(parsing:)) ?? LogColumns())
            let seqs = Item2Vec.positiveSequences(log, minRating: minRating, holdoutLast: holdoutLast, before: before).train
            let nb = try NeighbourBuilder.build(sequences: seqs, itemIDs: log.itemIDs, method: method, lambda: lambda, neighbours: neighbours) {
                writeStderr("neighbours: \($0)\n")
            }
            let s = try store.open()
            var histories = 0
            try s.write { txn in
                try txn.requireSoundStructure()
                try nb.save(txn, name: name)
                guard !noHistories else { return }
                try txn.deleteAllHistories()
                for (u, seq) in seqs.enumerated() where !seq.isEmpty {
                    try txn.setHistory(seq.map { log.itemIDs[Int($0)] }, of: log.userIDs[u])
                    histories += 1
                }
            }
            let h = nb.header
            writeStdout(String(format: "neighbours '%@': %@%@, %d items with positives, %d users, %d events; %d histories stored; %.2f s\n",
                               name, h.method.rawValue, h.lambda.map { " λ \($0)" } ?? "", h.counts.filter { $0 > 0 }.count, h.users, h.events,
                               histories, (clock.now - start).seconds))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the stored neighbour models.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let s = try store.openExisting()
            let models = try s.read { txn in try ItemNeighbours.list(txn).compactMap { name in try ItemNeighbours.load(txn, name: name).map { (name, $0) } } }
            var t = ResultTable(columns: ["name", "method", "lambda", "items", "neighbours", "users", "events", "created"])
            for (name, nb) in models {
                let h = nb.header
                t.rows.append([.text(name), .text(h.method.rawValue), h.lambda.map { Cell.float(Double($0)) } ?? .null, .int(h.itemIDs.count), .int(h.neighbours),
                               .int(h.users), .int(h.events), .text(ISO8601DateFormatter().string(from: h.createdAt))])
            }
            t.print(output)
        }
    }
}
