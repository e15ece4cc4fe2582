import Foundation

/// Request counters and a latency histogram, rendered as Prometheus text.
final class ServiceMetrics: @unchecked Sendable {
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
    private let lock = NSLock()
    private var requests: [String: Int] = [:] // "route\u{0}status"
    private var histogram: [String: [Int]] = [:] // route -> cumulative-free bucket counts (+Inf last)
    private var sums: [String: Double] = [:]

    func record(route: String, status: Int, seconds: Double) {
        lock.lock(); defer { lock.unlock() }
        requests["\(route)\u{0}\(status)", default: 0] += 1
        var h = histogram[route] ?? [Int](repeating: 0, count: ServiceMetrics.buckets.count + 1)
        h[ServiceMetrics.buckets.firstIndex { seconds <= $0 } ?? ServiceMetrics.buckets.count] += 1
        histogram[route] = h
        sums[route, default: 0] += seconds
    }

    /// The Prometheus exposition, with `tables` as (name, version, rows) gauges.
    func render(tables: [(String, UInt32, Int)]) -> String {
        lock.lock(); defer { lock.unlock() }
        var out = "# HELP recsys_requests_total HTTP requests by route and status.\n# TYPE recsys_requests_total counter\n"
        for key in requests.keys.sorted() {
            let p = key.split(separator: "\u{0}", omittingEmptySubsequences: false)
            out += "recsys_requests_total{route=\"\(p[0])\",status=\"\(p[1])\"} \(requests[key]!)\n"
        }
        out += "# HELP recsys_request_duration_seconds Request latency.\n# TYPE recsys_request_duration_seconds histogram\n"
        for route in histogram.keys.sorted() {
            let h = histogram[route]!
            var cumulative = 0
            for (i, b) in ServiceMetrics.buckets.enumerated() {
                cumulative += h[i]
                out += "recsys_request_duration_seconds_bucket{route=\"\(route)\",le=\"\(b)\"} \(cumulative)\n"
            }
            cumulative += h.last!
            out += "recsys_request_duration_seconds_bucket{route=\"\(route)\",le=\"+Inf\"} \(cumulative)\n"
            out += "recsys_request_duration_seconds_sum{route=\"\(route)\"} \(sums[route]!)\n"
            out += "recsys_request_duration_seconds_count{route=\"\(route)\"} \(cumulative)\n"
        }
        out += "# HELP recsys_table_version Current version of each embedding table.\n# TYPE recsys_table_version gauge\n"
        for (name, version, _) in tables { out += "recsys_table_version{table=\"\(name)\"} \(version)\n" }
        out += "# HELP recsys_table_rows Vectors in each embedding table.\n# TYPE recsys_table_rows gauge\n"
        for (name, _, rows) in tables { out += "recsys_table_rows{table=\"\(name)\"} \(rows)\n" }
        return out
    }
}
