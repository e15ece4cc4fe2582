import ArgumentParser
import EmbedStore
import Foundation
import Offline
import ProcessSetup
import Ranker
import Recall
import Serving

/// The `recsys` command line: an embedding store with recall and ranking.
@main
struct Recsys: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recsys",
        abstract: "An embedding store with LSH recall and an Embedding+MLP ranker.",
        discussion: """
        Every command takes --store PATH (default $RECSYS_STORE or ./recsys.lmdb).
        Exit status: 0 on success, 1 on a user error (one line on stderr), 2 on bad usage.
        """,
        version: "recsys \(BuildInfo.version) (\(BuildInfo.configuration))",
        subcommands: [EmbeddingCommand.self, ItemsCommand.self, HistoryCommand.self, EvaluateCommand.self, SamplesCommand.self, NeighboursCommand.self, Item2VecCommand.self, GraphEmbeddingCommand.self, IndexCommand.self, RecallCommand.self, SpecCommand.self, TrainCommand.self, RankCommand.self, RecommendCommand.self, ServeCommand.self, StoreCommand.self, SnapshotCommand.self, PublishCommand.self]
    )

    static func main() {
        // first, before anything else runs: OpenBLAS's start-up thread spins
        // until this process re-executes itself with one thread
        OpenBLASSetup.reexecWithDetectedCoreTypeIfNeeded()
        MappedFileFaults.explainFaults()
        var arguments = Array(CommandLine.arguments.dropFirst())
        // `recsys --store PATH embedding list`: the store option may come before
        // the subcommand; every leaf command declares it, so move it to the end.
        if let i = arguments.firstIndex(where: { $0 == "--store" || $0.hasPrefix("--store=") }),
           let firstWord = arguments.firstIndex(where: { !$0.hasPrefix("-") }), i < firstWord {
            let takesValue = arguments[i] == "--store"
            let moved = Array(arguments[i...(takesValue ? min(i + 1, arguments.count - 1) : i)])
            arguments.removeSubrange(i..<(i + moved.count))
            arguments += moved
        }
        // a mistyped command is named as one (ArgumentParser would report the
        // first option it cannot place instead, e.g. `Unknown option '--store'`)
        let names = configuration.subcommands.map { $0.configuration.commandName ?? "" } + ["help"]
        if let word = arguments.first, !word.hasPrefix("-"), !names.contains(word) {
            let near = names.min { editDistance($0, word) < editDistance($1, word) }.flatMap { editDistance($0, word) <= 2 ? $0 : nil }
            FileHandle.standardError.write(Data("error: unknown command '\(word)'\(near.map { " (did you mean '\($0)'?)" } ?? ""); `recsys --help` lists the commands\n".utf8))
            Foundation.exit(2)
        }
        do {
            var command = try parseAsRoot(arguments)
            // a bulk job beside a service goes to the background before it starts threads
            (command as? any PrioritizedJob)?.applyPriority()
            try command.run()
        } catch let error where userErrorMessage(error) != nil {
            FileHandle.standardError.write(Data("error: \(userErrorMessage(error)!)\n".utf8))
            Foundation.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

/// The one-line message of an error the user can act on (exit status 1),
/// or nil for usage errors and the unexpected.
func userErrorMessage(_ error: Error) -> String? {
    switch error {
    // every error recsys raises classifies itself, and prints one way
    case let e as ExplainedError: return e.description
    case let e as ClassifiedError & CustomStringConvertible: return e.description
    case let e as CLIError: return e.message
    default: return nil
    }
}

/// A user error raised by the command line itself.
struct CLIError: ClassifiedError {
    let message: String
    init(_ message: String) { self.message = message }
    var kind: ErrorKind { .invalid }
    var code: String { "invalid_option" }
}

/// `--store PATH`, shared by every command.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The store directory (default $RECSYS_STORE or ./recsys.lmdb).")
    var store: String?

    var path: String {
        store ?? ProcessInfo.processInfo.environment["RECSYS_STORE"].flatMap { $0.isEmpty ? nil : $0 } ?? "./recsys.lmdb"
    }

    func open(readAhead: Bool = true) throws -> Store {
        var mapSize = Store.defaultMapSize
        if let s = ProcessInfo.processInfo.environment["RECSYS_MAP_SIZE"], let n = Int(s), n > 0 { mapSize = n }
        return try Store(path: path, mapSize: mapSize, readAhead: readAhead)
    }

    /// Opens an existing store; a missing one is a user error, not an empty store.
    func openExisting(readAhead: Bool = true) throws -> Store {
        guard FileManager.default.fileExists(atPath: path + "/data.mdb") else { throw CLIError("no store at \(path) (import something first, or pass --store PATH)") }
        return try open(readAhead: readAhead)
    }

    /// Opens the store when there is one; nil (and nothing created) when there is not.
    func openIfExists() throws -> Store? {
        FileManager.default.fileExists(atPath: path + "/data.mdb") ? try open() : nil
    }
}

/// Levenshtein distance, for "did you mean" on short words.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var row = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var previous = row[0]
        row[0] = i
        for j in 1...max(b.count, 1) where !b.isEmpty {
            let current = row[j]
            row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
            previous = current
        }
    }
    return a.isEmpty ? b.count : row[b.count]
}
