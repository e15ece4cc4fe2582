import Glibc

/// What one search did, phase by phase, as FALCONN's `QueryStatistics`:
/// how many buckets were probed, rows gathered from them, kept by the
/// candidate filter and re-scored exactly, and, when the search asked for it
/// (`SearchOptions.timePhases`), the nanoseconds each phase took.
///
/// Rules:
/// - Counts are always filled (they cost nothing); times only on request,
///   since reading the clock five times is about 1% of a 10 µs query.
/// - An exact scan reports every live row as gathered, filtered and
///   re-scored, with no probes; LSH then exact (too few admitted rows)
///   adds the scan's rows to the index's.
public struct QueryStatistics: Sendable, Equatable, Encodable {
    /// Buckets probed (0 for an exact scan).
    public var probes = 0
    /// Distinct admitted rows the probes gathered.
    public var gathered = 0
    /// Rows the sketch or 8-bit filter kept for re-scoring (= gathered without a filter).
    public var filtered = 0
    /// Rows re-scored with full-precision vectors.
    public var rescored = 0
    /// Phase times in nanoseconds (0 unless timed): probe sequence, bucket
    /// bounds and gather, candidate filter, re-scoring.
    public var probeNs: UInt64 = 0
    public var gatherNs: UInt64 = 0
    public var filterNs: UInt64 = 0
    public var rescoreNs: UInt64 = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case probes, gathered, filtered, rescored
        case probeNs = "probe_ns", gatherNs = "gather_ns", filterNs = "filter_ns", rescoreNs = "rescore_ns"
    }

    /// The monotonic clock in nanoseconds (vDSO: no system call).
    @inline(__always)
    static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
    }
}
