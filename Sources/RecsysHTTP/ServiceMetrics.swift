import Foundation
import Serving
import EmbedStore

/// Request counters and a latency histogram, rendered as Prometheus text.
package final class ServiceMetrics: @unchecked Sendable {
    package static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
    private let lock = AdaptiveLock()
    private var routes: [String: RouteStats] = [:]

    package init() {}

    /// One route's counters, updated in place (no per-request allocation).
    private final class RouteStats {
        var byStatus: [Int: Int] = [:]
        var buckets = [Int](repeating: 0, count: ServiceMetrics.buckets.count + 1) // not cumulative; +Inf last
        var sum = 0.0
    }

    package func record(route: String, status: Int, seconds: Double) {
        lock.lock(); defer { lock.unlock() }
        let stats: RouteStats
        if let s = routes[route] { stats = s } else { stats = RouteStats(); routes[route] = stats }
        stats.byStatus[status, default: 0] += 1
        stats.buckets[ServiceMetrics.buckets.firstIndex { seconds <= $0 } ?? ServiceMetrics.buckets.count] += 1
        stats.sum += seconds
    }

    /// The Prometheus exposition, with `tables` as (name, version, rows)
    /// gauges, the store file's in-use bytes (`Store.usedBytes`) and the
    /// bytes of it this process has resident (`Store.mappedResidentBytes`).
    package func render(tables: [(String, UInt32, Int)], storeUsedBytes: Int, storeResidentBytes: Int) -> String {
        lock.lock(); defer { lock.unlock() }
        var out = "# HELP recsys_build_info The build serving.\n# TYPE recsys_build_info gauge\n"
        out += "recsys_build_info{version=\"\(BuildInfo.version)\",build=\"\(BuildInfo.configuration)\"} 1\n"
        out += "# HELP recsys_requests_total HTTP requests by route and status.\n# TYPE recsys_requests_total counter\n"
        let sorted = routes.sorted { $0.key < $1.key }
        for (route, stats) in sorted {
            for (status, n) in stats.byStatus.sorted(by: { $0.key < $1.key }) {
                out += "recsys_requests_total{route=\"\(route)\",status=\"\(status)\"} \(n)\n"
            }
        }
        out += "# HELP recsys_request_duration_seconds Request latency.\n# TYPE recsys_request_duration_seconds histogram\n"
        for (route, stats) in sorted {
            var cumulative = 0
            for (i, b) in ServiceMetrics.buckets.enumerated() {
                cumulative += stats.buckets[i]
                out += "recsys_request_duration_seconds_bucket{route=\"\(route)\",le=\"\(b)\"} \(cumulative)\n"
            }
            cumulative += stats.buckets.last!
            out += "recsys_request_duration_seconds_bucket{route=\"\(route)\",le=\"+Inf\"} \(cumulative)\n"
            out += "recsys_request_duration_seconds_sum{route=\"\(route)\"} \(stats.sum)\n"
            out += "recsys_request_duration_seconds_count{route=\"\(route)\"} \(cumulative)\n"
        }
        out += "# HELP recsys_table_version Current version of each embedding table.\n# TYPE recsys_table_version gauge\n"
        for (name, version, _) in tables { out += "recsys_table_version{table=\"\(name)\"} \(version)\n" }
        out += "# HELP recsys_table_rows Vectors in each embedding table.\n# TYPE recsys_table_rows gauge\n"
        for (name, _, rows) in tables { out += "recsys_table_rows{table=\"\(name)\"} \(rows)\n" }
        out += "# HELP recsys_store_used_bytes Bytes of the store file in use; it grows when a long-open reader keeps LMDB from reusing pages.\n# TYPE recsys_store_used_bytes gauge\n"
        out += "recsys_store_used_bytes \(storeUsedBytes)\n"
        out += "# HELP recsys_store_resident_bytes Bytes of the store file mapped into this process (part of its RSS; clean page-cache pages).\n# TYPE recsys_store_resident_bytes gauge\n"
        out += "recsys_store_resident_bytes \(storeResidentBytes)\n"
        return out
    }
}
