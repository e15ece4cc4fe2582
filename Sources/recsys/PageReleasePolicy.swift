/// When `recsys serve` drops its page mappings of the store after commits
/// (`Store.releaseMappedPages`): once `interval` has passed since the last
/// release, or sooner once the mapped store pages have grown `growthLimit`
/// bytes past the working set that requests mapped back in after it.
///
/// Each snapshot's reads walk B-tree pages that the commits before it moved,
/// so a service reading while imports commit back to back maps new pages with
/// every snapshot. With the 10 s interval alone, bench/serve's peak RSS during
/// 124-128 commits in 30 s was 11.9-17.5% above its start (at d046963 and
/// 79cde5d); the growth limit bounds that peak by size instead of by time.
struct PageReleasePolicy {
    /// The longest the service keeps pages mapped after a commit.
    var interval: Duration
    /// How far the mapped pages may grow past the working set before they are dropped early.
    var growthLimit: Int
    private var lastRelease: ContinuousClock.Instant
    /// The mapped bytes at the first check after the last release: what requests read back in.
    private var workingSet: Int?

    init(interval: Duration, growthLimit: Int = 2 << 20, now: ContinuousClock.Instant) {
        self.interval = interval
        self.growthLimit = growthLimit
        lastRelease = now
    }

    /// Whether to release now. `committed`: a commit has landed since the
    /// mappings were last dropped; `mappedBytes` is read only when it matters.
    mutating func shouldRelease(now: ContinuousClock.Instant, committed: Bool, mappedBytes: () -> Int) -> Bool {
        guard committed else { return false }
        if now - lastRelease >= interval { return true }
        let mapped = mappedBytes()
        guard let workingSet else {
            workingSet = mapped
            return false
        }
        return mapped > workingSet + growthLimit
    }

    /// Records a release made at `now`.
    mutating func released(at now: ContinuousClock.Instant) {
        lastRelease = now
        workingSet = nil
    }
}
