import ArgumentParser
import EmbedStore
import Foundation
import Serving

/// `recsys items ...`: item metadata shown beside results.
struct ItemsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "items",
        abstract: "Import and show item metadata (titles, genres, ...).",
        subcommands: [Import.self, Rollback.self, Get.self]
    )

    struct Import: PrioritizedJob {
        static let configuration = CommandConfiguration(
            abstract: "Replace the item catalogue with a CSV file (header line naming the columns), e.g. movies.csv.",
            discussion: """
            The id column is --id-column, else the first header name among \(itemIDColumnNames.joined(separator: ", ")) \
            (any case). A file without one is refused and the catalogue left as it was. The catalogue replaced is \
            kept: `recsys items rollback` restores it.
            """)
        @Argument(help: "The CSV file.") var file: String
        @Option(name: .customLong("id-column"), help: "The header name of the id column.") var idColumn: String?
        @OptionGroup var store: StoreOptions
        @OptionGroup var priority: PriorityOptions
        var jobName: String { "importing items" }

        func run() throws {
            let s = try store.open()
            let n = try s.importItems(from: file, idColumn: idColumn)
            let v = try s.read { try $0.itemCatalogVersion() }
            writeStderr("imported \(n) items from \(file) (catalogue version \(v.version)\(v.previous.map { "; `recsys items rollback` returns to version \($0)" } ?? ""))\n")
        }
    }

    struct Rollback: PrioritizedJob {
        static let configuration = CommandConfiguration(abstract: "Return the item catalogue to the version before the last import.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var priority: PriorityOptions
        var jobName: String { "rolling back items" }

        func run() throws {
            let s = try store.openExisting()
            let r = try s.write { txn in
                try txn.requireSoundStructure()
                return try txn.rollbackItems()
            }
            writeStderr("item catalogue back at version \(r.version) (\(r.items) items)\n")
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
