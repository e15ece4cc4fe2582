import ArgumentParser
import EmbedStore
import Foundation
import Serving

/// `recsys history ...`: per-user item histories.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Import and show users' item histories (for --from history and excluding seen items).",
        subcommands: [Import.self, Show.self]
    )

    struct Import: PrioritizedJob {
        static let configuration = CommandConfiguration(abstract: "Replace all histories from a ratings CSV (userId,movieId,rating,timestamp).")
        @Argument(help: "The ratings file.") var file: String
        @Option(name: .customLong("min-rating"), parsing: .unconditional, help: "Keep ratings at or above this (positive feedback).") var minRating: Double = 3.5
        @OptionGroup var store: StoreOptions
        @OptionGroup var priority: PriorityOptions
        var jobName: String { "importing histories" }

        func run() throws {
            let r = try store.open().importHistory(from: file, minRating: minRating)
            writeStderr("imported \(r.events) events for \(r.users) users from \(file)\n")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a user's history, oldest first.")
        @Argument(help: "The user id.") var user: String
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let s = try store.openExisting()
            let rows = try s.read { txn in try txn.history(of: user).map { id in (id, try txn.item(id)?.title ?? "") } }
            if rows.isEmpty { throw CLIError("no stored history for user '\(user)'") }
            var t = ResultTable(columns: ["id", "title"])
            for (id, title) in rows { t.rows.append([.text(id), .text(title)]) }
            t.print(output)
        }
    }
}
