import ArgumentParser
import EmbedStore
import Foundation
import Serving

/// `recsys items ...`: item metadata shown beside results.
struct ItemsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "items",
        abstract: "Import and show item metadata (titles, genres, ...).",
        subcommands: [Import.self, Get.self]
    )

    struct Import: PrioritizedJob {
        static let configuration = CommandConfiguration(abstract: "Replace the items table with a CSV file (header line, id column first), e.g. movies.csv.")
        @Argument(help: "The CSV file.") var file: String
        @OptionGroup var store: StoreOptions
        @OptionGroup var priority: PriorityOptions
        var jobName: String { "importing items" }

        func run() throws {
            let n = try store.open().importItems(from: file)
            writeStderr("imported \(n) items from \(file)\n")
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show items by id.")
        @Argument(help: "One or more ids.") var ids: [String]
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let s = try store.openExisting()
            let (columns, items) = try s.read { txn in (try txn.itemColumns(), try ids.map { id in
                guard let item = try txn.item(id) else { throw CLIError("no item with id '\(id)' (see `recsys items import`)") }
                return item
            }) }
            // the service's item shape: genres a list, other columns under fields
            if output.json { printJSON(items.map(ItemJSON.init)); return }
            var t = ResultTable(columns: columns.isEmpty ? ["id"] : columns)
            for item in items {
                t.rows.append([.text(item.id)] + columns.dropFirst().map { .text(item.fields[$0] ?? "") })
            }
            t.print(output)
        }
    }
}
