import EmbedStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Serving

/// `recsys serve`'s HTTP server over one open store (or a published one it
/// follows): the router, the background releaser of stale snapshots, the
/// follower of the published link, and graceful shutdown on SIGINT/SIGTERM
/// (in-flight requests finish first).
package struct Server {
    package var host = "127.0.0.1"
    /// 0: any free port (the one taken is printed at start).
    package var port = 8080
    /// Event-loop threads that read, handle and answer requests; nil: one per core.
    package var threads: Int?
    package var logLevel: Logger.Level = .info
    /// The origin browsers may call from (`*`: any); nil: no CORS headers.
    package var corsOrigin: String?
    /// Tokens for reads and writes (default: reads open, writes off).
    package var access = AccessControl()
    /// How often a published store's link is checked; nil: only on SIGHUP.
    package var followInterval: Duration? = .seconds(1)

    package init() {}

    /// Runs until shut down. `onListening` gets the address once the socket is bound.
    package func run(state: ServingState, onListening: @escaping @Sendable (String) -> Void) async throws {
        if let threads { NIOSingletons.groupLoopCountSuggestion = threads }
        // Swift concurrency's jobs run on the NIO event loops that do the I/O:
        // a request is read, handled and answered on one thread, without the
        // hop to the cooperative pool and back (fewer context switches, lower
        // tail latency on a small machine; bench/serve).
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        var logger = Logger(label: "recsys") { ServiceLogHandler(label: $0) }
        logger.logLevel = logLevel
        let host = host
        let app = Application(
            router: Service.router(state: state, metrics: ServiceMetrics(), logger: logger, corsOrigin: corsOrigin, access: access),
            configuration: .init(address: .hostname(host, port: port), serverName: "recsys"),
            services: [StaleViewReleaser(state: state, logger: logger),
                       PublishedStoreFollower(state: state, interval: followInterval, logger: logger)],
            onServerRunning: { channel in onListening("http://\(host):\(channel.localAddress?.port ?? 0)") },
            logger: logger
        )
        try await app.runService()
    }
}
