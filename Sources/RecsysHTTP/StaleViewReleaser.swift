import Logging
import Serving
import ServiceLifecycle

/// A background service of `recsys serve`: every `interval` it lets go of a
/// store snapshot that writes have left behind (`ServingState.releaseIfStale`).
/// LMDB reuses no page freed after its oldest open reader, so a service that
/// got no request for a while would otherwise hold an old reader open and make
/// every import grow the store file. Stops at graceful shutdown.
package struct StaleViewReleaser: ServiceLifecycle.Service {
    package let state: ServingState
    package var interval: Duration
    package var logger: Logger

    package init(state: ServingState, interval: Duration = .seconds(1), logger: Logger) {
        self.state = state
        self.interval = interval
        self.logger = logger
    }

    package func run() async {
        await cancelWhenGracefulShutdown {
            while true {
                // cancelled at graceful shutdown: return normally, the service is done
                do { try await Task.sleep(for: interval) } catch { return }
                if state.releaseIfStale() { logger.debug("released a store snapshot behind the latest commit") }
            }
        }
    }
}
