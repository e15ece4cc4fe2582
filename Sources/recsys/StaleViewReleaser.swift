import Logging
import ServiceLifecycle

/// A background service of `recsys serve`: every `interval` it lets go of a
/// store snapshot that writes have left behind (`ServingState.releaseIfStale`),
/// so a service that gets no requests for a while does not hold an old LMDB
/// reader open and make every import grow the store file. Stops at graceful
/// shutdown.
struct StaleViewReleaser: ServiceLifecycle.Service {
    let state: ServingState
    var interval: Duration = .seconds(1)
    var logger: Logger

    func run() async {
        await cancelWhenGracefulShutdown {
            while true {
                // cancelled at graceful shutdown: return normally, the service is done
                do { try await Task.sleep(for: interval) } catch { return }
                if state.releaseIfStale() { logger.debug("released a store snapshot behind the latest commit") }
            }
        }
    }
}
