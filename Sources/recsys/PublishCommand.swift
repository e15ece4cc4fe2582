import ArgumentParser
import EmbedStore
import Foundation

/// `recsys publish DIR --at LINK`: point a published store's link at a snapshot.
struct PublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Point a published store's symbolic link at a snapshot directory (atomically).",
        discussion: """
            For a snapshot made elsewhere and copied here (rsync, object storage): its data file is checked \
            against its manifest first, so a partial copy is refused before any replica sees it. Then LINK is \
            replaced by a link to DIR in one rename; `recsys serve --store LINK` switches to it within \
            --follow-interval, or at once on SIGHUP. Rolling out to replicas one at a time is publishing to each \
            replica's link in turn. `recsys snapshot --to DIR --publish LINK` does both steps on the builder.
            """
    )
    @Argument(help: "A snapshot directory (`recsys snapshot --to`), with its manifest.json.") var dir: String
    @Option(help: "The symbolic link replicas serve (created if missing; only a link is replaced).") var at: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        guard let manifest = try SnapshotManifest.load(from: dir) else {
            throw CLIError("\(dir): no \(SnapshotManifest.fileName): only a snapshot made by `recsys snapshot --to` can be published")
        }
        try manifest.check(directory: dir)
        try PublishedLink.publish(dir, at: at)
        if output.json { printJSON(manifest); return }
        writeStdout("published snapshot \(manifest.id) (\(dir)) at \(at)\n")
    }
}
