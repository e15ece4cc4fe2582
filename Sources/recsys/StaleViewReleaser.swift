import Logging
import ServiceLifecycle

/// A background service of `recsys serve`: every `interval` it lets go of a
/// store snapshot that writes have left behind (`ServingState.releaseIfStale`),
/// so a service that gets no requests for a while does not hold an old LMDB
/// reader open and make every import grow the store file. Stops at graceful
/// shutdown.
///
/// After commits it also drops the service's page mappings of the store
/// (`Store.releaseMappedPages`), once per `pageReleaseInterval` or sooner when
/// they grow past the working set by 2 MiB (`PageReleasePolicy`), so
/// the service's RSS is what requests read from the latest snapshot rather
/// than every page of the file that an earlier snapshot's reads mapped in.
/// In bench/serve's import loads the service's mapped files grew 8.6 MiB
/// without it (RSS +18.5%, at c3f2433); with it the peak RSS stayed within
/// 7.4-9.4% of the RSS before the loads (three runs).
struct StaleViewReleaser: ServiceLifecycle.Service {
    let state: ServingState
    var interval: Duration = .seconds(1)
    /// nil: never drop page mappings.
    var pageReleaseInterval: Duration? = .seconds(10)
    var logger: Logger

    func run() async {
        await cancelWhenGracefulShutdown {
            let clock = ContinuousClock()
            var mappedAt = state.store.latestSnapshotID  // the commit the current mappings were made under
            var pageRelease = pageReleaseInterval.map { PageReleasePolicy(interval: $0, now: clock.now) }
            while true {
                // cancelled at graceful shutdown: return normally, the service is done
                do { try await Task.sleep(for: interval) } catch { return }
                if state.releaseIfStale() { logger.debug("released a store snapshot behind the latest commit") }
                let latest = state.store.latestSnapshotID
                if pageRelease?.shouldRelease(now: clock.now, committed: latest != mappedAt, mappedBytes: { state.store.mappedResidentBytes }) == true {
                    let bytes = state.store.releaseMappedPages()
                    mappedAt = latest
                    pageRelease?.released(at: clock.now)
                    logger.debug("dropped the store's page mappings after a commit", metadata: ["bytes": "\(bytes)"])
                }
            }
        }
    }
}
