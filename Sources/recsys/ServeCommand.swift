import ArgumentParser
import EmbedStore
import Foundation
import ProcessSetup
import Serving
import Logging
import RecsysHTTP

/// `recsys serve`: the HTTP JSON service.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve recall, ranking and recommendations over HTTP (JSON).",
        discussion: """
        Routes: GET /v1/recall/user/{id}?k=&from=&where=, GET /v1/recall/item/{id}?k=, POST /v1/rank, \
        GET /v1/recommend/user/{id}?k=&candidates=&model=, POST /v1/recall (by vector), GET /v1/embeddings/{table}/{id}, \
        POST /v1/embeddings/{table}/batch-get, GET /v1/tables, GET /v1/tables/{table}, GET /healthz, GET /metrics; \
        GET /v1/status; HEAD on every GET route, 405 with Allow for a known path with another method. Tables re-imported and models retrained while it runs are \
        served from the next request on. SIGINT/SIGTERM stop it after in-flight requests finish.

        A published store: when --store is a symbolic link to a snapshot (`recsys snapshot --to DIR --publish LINK`), \
        the service opens the snapshot read-only and follows the link: checked every --follow-interval seconds and at \
        once on SIGHUP, a new target is opened (a snapshot's data file checked against its manifest), new requests are \
        served from it, and the old one is closed when its requests finish. A target that does not open is logged and \
        the current one kept. /healthz and /v1/status name the snapshot served.
        """
    )
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed at start).") var port: Int = 8080
    @Option(help: "Event-loop threads that read, handle and answer requests (default: one per core).") var threads: Int?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error.") var logLevel: String = "info"
    @Option(name: .customLong("cors-origin"), help: "Let web pages from this origin (e.g. https://app.example.com, or *) call the service from a browser (default: no CORS headers).") var corsOrigin: String?
    @Option(name: .customLong("write-token-file"), help: "Allow writes (PUT/DELETE /v1/embeddings/{table}/{id}, POST /v1/embeddings/{table}) to requests with `Authorization: Bearer <token>`, the token on this file's first line (at least 16 characters). Without it every write is 403.") var writeTokenFile: String?
    @Option(name: .customLong("read-token-file"), help: "Require `Authorization: Bearer <token>` (this file's token, or the write token) for every route but /healthz.") var readTokenFile: String?
    @Option(name: .customLong("follow-interval"), help: "Seconds between checks of a published store's link (0: only on SIGHUP).") var followInterval: Double = 1
    @Flag(name: .customLong("no-readahead"), help: "Fault in only the store pages queries touch (LMDB's MDB_NORDAHEAD): for a store larger than memory, or to keep the resident set to the working set. Scans of pages not yet in memory get slower.") var noReadahead = false
    @OptionGroup var store: StoreOptions

    func run() throws {
        MappedFileFaults.exitWithMessage(store: store.path)
        // SIGHUP means "reload" here (the follower traps it): one arriving
        // before the follower runs must not end the process
        signal(SIGHUP, SIG_IGN)
        var server = Server()
        server.host = host
        guard (0...65535).contains(port) else { throw CLIError("--port must be in 0...65535, got \(port)") }
        server.port = port
        if let threads {
            guard (1...256).contains(threads) else { throw CLIError("--threads must be in 1...256, got \(threads)") }
            server.threads = threads
        }
        guard let level = Logger.Level(rawValue: logLevel) else { throw CLIError("--log-level: unknown level '\(logLevel)'") }
        server.logLevel = level
        server.corsOrigin = corsOrigin
        do {
            server.access = AccessControl(writeToken: try writeTokenFile.map(AccessControl.token(fromFile:)),
                                          readToken: try readTokenFile.map(AccessControl.token(fromFile:)))
        } catch { throw CLIError("\(error)") }
        guard followInterval >= 0, followInterval.isFinite else { throw CLIError("--follow-interval must be 0 or more seconds, got \(followInterval)") }
        server.followInterval = followInterval == 0 ? nil : .milliseconds(Int64(followInterval * 1000))
        // a published store is the snapshot its link names, opened read-only
        let link = PublishedLink.isLink(store.path) ? store.path : nil
        let state: ServingState
        if let link {
            state = ServingState(store: try ServingState.openPublished(link, readAhead: !noReadahead), following: link, readAhead: !noReadahead)
        } else {
            state = ServingState(store: try store.openExisting(readAhead: !noReadahead))
        }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure: Error?
        Task {
            do {
                try await server.run(state: state) { address in
                    writeStdout("listening on \(address)\n")
                    fflush(stdout)
                }
            } catch { failure = error }
            done.signal()
        }
        done.wait()
        if let failure { throw CLIError("server stopped: \(failure)") }
    }
}
