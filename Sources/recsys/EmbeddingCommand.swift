import ArgumentParser
import EmbedStore
import Foundation
import Serving

extension VectorFormat: ExpressibleByArgument {}
extension TableKind: ExpressibleByArgument {}
extension DuplicatePolicy: ExpressibleByArgument {}

/// `recsys embedding ...`: named embedding tables.
struct EmbeddingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embedding",
        abstract: "Import, export and inspect embedding tables.",
        subcommands: [Import.self, Export.self, List.self, Info.self, Get.self, Upsert.self, Remove.self, Delete.self, Rollback.self]
    )

    struct Import: PrioritizedJob {
        static let configuration = CommandConfiguration(
            abstract: "Import a file as a new version of a table (atomic: all or nothing).",
            discussion: "Formats: \(VectorFormat.allCases.map(\.rawValue).joined(separator: ", ")); detected from the extension or the content unless --format is given."
        )
        @Argument(help: "The file to read (- for standard input), or a Spark output directory (its part-* files in order; refused without _SUCCESS).") var file: String
        @Option(help: "The table to write.") var table: String
        @Option(help: "pretrained or user (learned tables are written only by `recsys train`).") var kind: TableKind = .pretrained
        @Option(help: "The file format (default: detected).") var format: VectorFormat?
        @Option(name: .customLong("on-duplicate"), help: "error or last: what to do with a repeated id.") var onDuplicate: DuplicatePolicy = .error
        @Option(help: "For .npy: a file with one id per line (default: NAME.ids beside the file, else row numbers).") var ids: String?
        @OptionGroup var store: StoreOptions
        @OptionGroup var priority: PriorityOptions
        @OptionGroup var output: OutputOptions
        var jobName: String { "importing" }

        func run() throws {
            let s = try store.open()
            let bar = ProgressBar("importing \(file)")
            let start = Date()
            let summary = try s.importVectors(from: file, table: table, options: ImportOptions(format: format, kind: kind, onDuplicate: onDuplicate, idsPath: ids)) { rows, bytes, total in
                bar.update(rows: rows, bytes: bytes, total: total)
            }
            bar.finish()
            if let note = summary.note { writeStderr("note: \(file): \(note)\n") }
            let seconds = Date().timeIntervalSince(start)
            var t = ResultTable(columns: ["table", "version", "rows", "dimension", "format", "replaced", "seconds"])
            t.rows.append([.text(table), .int(Int(summary.info.version)), .int(summary.info.count), .int(summary.info.dimension), .text(summary.format.rawValue), .int(summary.replaced), .float(seconds)])
            t.print(output)
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a table's current version to a file or stdout.")
        @Option(help: "The table to export.") var table: String
        @Option(help: "The file format (default: from -o's extension: .csv, .jsonl, .npy, .bin, .fvecs, .vec; else sparrow).") var format: VectorFormat?
        @Option(name: .shortAndLong, help: "Output file (default: standard output).") var output: String?
        @OptionGroup var store: StoreOptions

        func run() throws {
            let s = try store.openExisting()
            let bar = ProgressBar("exporting \(table)")
            let chosen = format ?? VectorFormat.forOutput(output)
            let rows = try s.exportVectors(table: table, to: output ?? "-", format: chosen) { rows, bytes, total in
                bar.update(rows: rows, bytes: bytes, total: total)
            }
            bar.finish()
            if let output { writeStderr("exported \(rows) vectors of '\(table)' to \(output) (format \(chosen.rawValue))\n") }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tables.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let s = try store.openExisting()
            let tables = try s.read { try $0.tables() }
            var t = ResultTable(columns: ["name", "kind", "dimension", "rows", "version", "source", "created"])
            for i in tables {
                t.rows.append([.text(i.name), .text(i.kind.rawValue), .int(i.dimension), .int(i.count), .int(Int(i.version)), .text(i.current.source), .text(iso(i.current.createdAt))])
            }
            t.print(output)
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one table's metadata and versions.")
        @Argument(help: "The table.") var name: String
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let s = try store.openExisting()
            guard let i = try s.read({ try $0.tableInfo(name) }) else { throw StoreError.unknownTable(name) }
            var t = ResultTable(columns: ["field", "value"])
            func add(_ k: String, _ v: Cell) { t.rows.append([.text(k), v]) }
            add("name", .text(i.name)); add("kind", .text(i.kind.rawValue)); add("dimension", .text("\(i.dimension)"))
            add("rows", .text("\(i.count)")); add("version", .text("\(i.version)")); add("source", .text(i.current.source))
            add("created", .text(iso(i.current.createdAt))); add("table created", .text(iso(i.createdAt)))
            add("changes since import", .text("\(i.current.generation)"))
            add("previous version", .text(i.previous.map { "\($0.version) (\($0.count) rows; `embedding rollback` returns to it)" } ?? "none"))
            if output.json {
                printJSON(TableJSON(i))
            } else {
                t.print(output)
            }
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print vectors by id, with item titles when known.")
        @Argument(help: "The table.") var name: String
        @Argument(help: "One or more ids.") var ids: [String]
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let s = try store.openExisting()
            let t = try s.read { txn -> ResultTable in
                let table = try txn.table(name)
                var t = ResultTable(columns: ["id", "title", "vector"])
                for id in ids {
                    let v = try table.vector(of: id)
                    t.rows.append([.text(id), (try txn.item(id)?.title).map { .text($0) } ?? .null, .text(v.map { "\($0)" }.joined(separator: " "))])
                }
                return t
            }
            if output.json {
                printJSON(t.rows.map { row in VectorJSON(id: row[0].display, title: row[1].display.isEmpty ? nil : row[1].display, vector: row[2].display.split(separator: " ").compactMap { Float($0) }) })
            } else {
                t.print(output)
            }
        }
    }

    struct Upsert: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Insert or replace one vector in place (the table's recall index follows in the same transaction).")
        @Argument(help: "The table.") var name: String
        @Argument(help: "The id.") var id: String
        @Option(parsing: .unconditional, help: "The components, comma-separated (a leading minus is a number, not an option).") var vector: String
        @Flag(help: "Create the table when it does not exist (without it, an unknown table is an error, so a misspelt name creates nothing).") var create = false
        @OptionGroup var store: StoreOptions

        func run() throws {
            let v = try parseVector(vector)
            let s = create ? try store.open() : try store.openExisting()
            let r = try s.write { txn in try MutationHooks.upsert(txn, table: name, id: id, vector: v, create: create) }
            writeStderr("\(r.inserted ? "inserted" : "replaced") '\(id)' in '\(name)' (row \(r.row))\n")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete one vector in place (the table's recall index follows in the same transaction).")
        @Argument(help: "The table.") var name: String
        @Argument(help: "The id.") var id: String
        @OptionGroup var store: StoreOptions

        func run() throws {
            let s = try store.openExisting()
            try s.write { txn in try MutationHooks.remove(txn, table: name, id: id) }
            writeStderr("removed '\(id)' from '\(name)'\n")
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a table with all its versions.")
        @Argument(help: "The table.") var name: String
        @OptionGroup var store: StoreOptions

        func run() throws {
            let s = try store.openExisting()
            try s.write { txn in try MutationHooks.deleteTable(txn, table: name) }
            writeStderr("deleted table '\(name)'\n")
        }
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make the previous version current again (the newer one is discarded).")
        @Argument(help: "The table.") var name: String
        @OptionGroup var store: StoreOptions

        func run() throws {
            let s = try store.openExisting()
            let info = try s.write { txn in try txn.rollbackTable(name) }
            writeStderr("table '\(name)' is back at version \(info.version) (\(info.count) rows)\n")
        }
    }
}

/// Parses `v1,v2,...` (commas or spaces).
func parseVector(_ text: String) throws -> [Float] {
    let parts = text.split(whereSeparator: { $0 == "," || $0 == " " })
    var out: [Float] = []
    for (i, p) in parts.enumerated() {
        guard let x = Float(p), x.isFinite else { throw CLIError("--vector: component \(i + 1) ('\(p)') is not a finite number") }
        out.append(x)
    }
    if out.isEmpty { throw CLIError("--vector: no components") }
    return out
}

