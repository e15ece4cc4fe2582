import ArgumentParser
import EmbedStore
import Foundation

/// `recsys snapshot --to DIR`: a consistent, compacted, checked copy to serve elsewhere.
struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Copy the store to a new directory: consistent, compacted, checked, with a manifest.",
        discussion: """
            Takes one read snapshot (imports and `serve` may run meanwhile; writes committed after it starts are \
            not in the copy), copies it without free pages (LMDB's compacting copy), verifies the copy's checksums \
            and B-trees, and writes manifest.json (an id naming the content, tables with versions and rows, the \
            data file's CRC32C). The copy is made beside DIR and renamed into place, so DIR is never half-written. \
            It opens read-only anywhere: `recsys serve --store DIR`.
            """
    )
    @Option(help: "The new directory (must not exist).") var to: String
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let s = try store.openExisting()
        let verbose = isatty(2) == 1 && !output.json
        let manifest = try s.snapshot(to: to) { if verbose { writeStderr("\($0)\n") } }
        if output.json { printJSON(manifest); return }
        writeStdout("snapshot \(manifest.id) at \(to): \(manifest.tables.count) tables, \(String(format: "%.1f", Double(manifest.dataBytes) / 1e6)) MB\n")
    }
}
