import ArgumentParser
import EmbedStore
import Foundation

/// `recsys store ...`: the store as a whole.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Check the store as a whole.",
        subcommands: [Verify.self]
    )

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every table's blocks and every index part, model and feature row against their checksums.",
            discussion: "Reads the whole store in one read snapshot (imports and `serve` may run meanwhile). Exits 1 and lists each damaged block, with the rows it holds, when anything fails its checksum or is missing. Versions written before checksums were added are checked for presence and size only, and reported as unchecked."
        )
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let s = try store.openExisting()
            let verbose = isatty(2) == 1 && !output.json
            let report = try s.verify { what in if verbose { writeStderr("checking \(what)\n") } }
            if output.json {
                printJSON(report)
            } else {
                var t = ResultTable(columns: ["table", "version", "role", "blocks", "checksums", "status"])
                for r in report.tables {
                    t.rows.append([.text(r.table), .int(Int(r.version)), .text(r.role), .int(r.blocks), .text(r.checksummed ? "yes" : "no"),
                                   .text(r.damage.isEmpty ? "ok" : "\(r.damage.count) damaged")])
                }
                for a in report.areas {
                    t.rows.append([.text("(\(a.area))"), .text(""), .text(""), .int(a.checked + a.unchecked), .text(a.unchecked == 0 ? "yes" : "\(a.checked) of \(a.checked + a.unchecked)"),
                                   .text(a.damaged.isEmpty ? "ok" : "\(a.damaged.count) damaged")])
                }
                t.print(output)
                if let d = report.structureDamage { writeStderr("damaged: \(d) (tables and blobs not read)\n") }
                for r in report.tables { for d in r.damage { writeStderr("damaged: table '\(r.table)' version \(r.version): \(d)\n") } }
                for a in report.areas { for k in a.damaged { writeStderr("damaged: \(a.area) entry '\(k)' fails its checksum\n") } }
            }
            guard report.intact else {
                writeStderr("error: the store at \(store.path) is damaged: restore it from a snapshot or a copy made with `mdb_copy`; a damaged table can also be re-imported, a damaged index rebuilt with `recsys index build`\n")
                throw ExitCode(1)
            }
        }
    }
}
