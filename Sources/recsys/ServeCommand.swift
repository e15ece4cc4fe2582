import ArgumentParser
import EmbedStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix

/// `recsys serve`: the HTTP JSON service.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve recall, ranking and recommendations over HTTP (JSON).",
        discussion: """
        Routes: GET /v1/recall/user/{id}?k=&from=&where=, GET /v1/recall/item/{id}?k=, POST /v1/rank, \
        GET /v1/recommend/user/{id}?k=&candidates=&model=, GET /v1/embeddings/{table}/{id}, GET /v1/tables, \
        GET /healthz, GET /metrics. Tables re-imported and models retrained while it runs are served from the \
        next request on. SIGINT/SIGTERM stop it after in-flight requests finish.
        """
    )
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed at start).") var port: Int = 8080
    @Option(help: "Event-loop threads that read, handle and answer requests (default: one per core).") var threads: Int?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error.") var logLevel: String = "info"
    @Option(name: .customLong("page-release-interval"), help: ArgumentHelp(
        "After commits, drop the service's page mappings of the store this often, in seconds (0: never).",
        discussion: "Sooner when they grow 2 MiB past what requests read back in after the last drop. Keeps the RSS to what requests read from the latest snapshot; the pages stay in the page cache."))
    var pageReleaseInterval: Double = 10
    @OptionGroup var store: StoreOptions

    func run() throws {
        if let threads {
            guard (1...256).contains(threads) else { throw CLIError("--threads must be in 1...256, got \(threads)") }
            NIOSingletons.groupLoopCountSuggestion = threads
        }
        guard (0...86_400).contains(pageReleaseInterval) else {
            throw CLIError("--page-release-interval must be a number of seconds in 0...86400, got \(pageReleaseInterval)")
        }
        let s = try store.openExisting()
        // Run Swift concurrency's jobs on the NIO event loops that do the I/O:
        // a request is read, handled and answered on one thread, without the
        // hop to the cooperative pool and back (measured under wrk: fewer
        // context switches, lower tail latency on a small machine).
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        var logger = Logger(label: "recsys") { ServiceLogHandler(label: $0) }
        guard let level = Logger.Level(rawValue: logLevel) else { throw CLIError("--log-level: unknown level '\(logLevel)'") }
        logger.logLevel = level
        let state = ServingState(store: s)
        let router = Service.router(state: state, metrics: ServiceMetrics(), logger: logger)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "recsys"),
            services: [StaleViewReleaser(state: state, pageReleaseInterval: pageReleaseInterval == 0 ? nil : .seconds(pageReleaseInterval), logger: logger)],
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                writeStdout("listening on http://\(host):\(port)\n")
                fflush(stdout)
            },
            logger: logger
        )
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure: Error?
        Task {
            do { try await app.runService() } catch { failure = error }
            done.signal()
        }
        done.wait()
        if let failure { throw CLIError("server stopped: \(failure)") }
    }
}
