import EmbedStore
import Logging
import Serving
import ServiceLifecycle
import UnixSignals

/// A background service of `recsys serve`: follows a published store (a
/// symbolic link the builder swaps to a new snapshot, `PublishedLink`) by
/// checking the link every `interval` and at once on SIGHUP
/// (`ServingState.follow`). Each switch and each failed target is logged
/// once. Stops at graceful shutdown.
package struct PublishedStoreFollower: ServiceLifecycle.Service {
    package let state: ServingState
    /// How often the link is checked; nil: only on SIGHUP.
    package var interval: Duration?
    package var logger: Logger

    package init(state: ServingState, interval: Duration? = .seconds(1), logger: Logger) {
        self.state = state
        self.interval = interval
        self.logger = logger
    }

    package func run() async {
        // one signal source for the process; trapped even when nothing is
        // followed, so SIGHUP (reload, to most daemons) never kills the service
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let report = Reporter(logger: logger, state: state)
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                if let interval, state.link != nil {
                    group.addTask {
                        // cancelled at graceful shutdown: return, the service is done
                        while (try? await Task.sleep(for: interval)) != nil { report(state.follow()) }
                    }
                }
                group.addTask {
                    for await _ in hangups {
                        if state.link == nil {
                            report.logger.notice("SIGHUP: --store is not a symbolic link, so there is no published store to reload")
                        } else {
                            report(state.follow(force: true), forced: true)
                        }
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Logs outcomes, each failure once until something else happens.
    private final class Reporter: @unchecked Sendable {
        let logger: Logger
        let state: ServingState
        private let lock = AdaptiveLock()
        private var lastFailure: ServingState.FollowOutcome?

        init(logger: Logger, state: ServingState) {
            self.logger = logger
            self.state = state
        }

        func callAsFunction(_ outcome: ServingState.FollowOutcome, forced: Bool = false) {
            switch outcome {
            case .unchanged:
                if forced { logger.info("SIGHUP: the published store is unchanged", metadata: ["serving": "\(state.servedStore.directory)"]) }
            case let .switched(from, to):
                lock.withLock { lastFailure = nil }
                logger.notice("serving a newly published store", metadata: [
                    "snapshot": "\(state.servedStore.manifest?.id ?? "none")", "from": "\(from)", "to": "\(to)"])
            case let .failed(target, reason):
                let repeated = lock.withLock { () -> Bool in
                    defer { lastFailure = outcome }
                    return lastFailure == outcome && !forced
                }
                if !repeated {
                    logger.error("cannot serve the published store; still serving the previous one", metadata: [
                        "target": "\(target)", "reason": "\(reason)", "serving": "\(state.servedStore.directory)"])
                }
            }
        }
    }
}
