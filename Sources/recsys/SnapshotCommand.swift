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

            --publish LINK then points the symbolic link LINK at DIR atomically (a new link renamed over the old \
            one); a `recsys serve --store LINK` switches to it within --follow-interval, or at once on SIGHUP.
            """
    )
    @Option(help: "The new directory (must not exist).") var to: String
    @Option(help: "Then point this symbolic link at the new directory (atomically; replicas serving the link switch to it).") var publish: String?
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let s = try store.openExisting()
        let verbose = isatty(2) == 1 && !output.json
        if let publish, FileManager.default.fileExists(atPath: publish), !PublishedLink.isLink(publish) {
            throw CLIError("--publish: '\(publish)' exists and is not a symbolic link: publishing replaces only a link")
        }
        let manifest = try s.snapshot(to: to) { if verbose { writeStderr("\($0)\n") } }
        if let publish { try PublishedLink.publish(to, at: publish) }
        if output.json { printJSON(manifest); return }
        writeStdout("snapshot \(manifest.id) at \(to): \(manifest.tables.count) tables, \(String(format: "%.1f", Double(manifest.dataBytes) / 1e6)) MB\n")
        if let publish { writeStdout("published at \(publish)\n") }
    }
}
