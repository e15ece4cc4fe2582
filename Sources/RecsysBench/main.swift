// In-process measurements for bench/ scripts (run on demand, not in CI).
//
//   recsys-bench store-reads STORE TABLE     random point gets, 800-id batches, full scan
//   recsys-bench rank-latency STORE MODEL USER ITEMS_TABLE [calls]
//
// Prints one JSON object per workload on stdout.
import EmbedStore
import Foundation
import ProcessSetup
import Ranker
import Recall

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
func emit(_ fields: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

OpenBLASSetup.reexecWithDetectedCoreTypeIfNeeded()
let args = CommandLine.arguments
guard args.count >= 4 else {
    FileHandle.standardError.write(Data("usage: recsys-bench store-reads STORE TABLE | rank-latency STORE MODEL USER ITEMS_TABLE [calls]\n".utf8))
    exit(2)
}
let store = try Store(path: args[2])
let clock = ContinuousClock()

switch args[1] {
case "store-reads":
    try store.read { txn in
        let t = try txn.table(args[3])
        var ids: [String] = []
        ids.reserveCapacity(t.count)
        try t.forEachID { _, id in ids.append(String(decoding: id, as: UTF8.self)) }
        var rng = SystemRandomNumberGenerator()
        let gets = 1_000_000
        let picks = (0..<gets).map { _ in ids[Int.random(in: 0..<ids.count, using: &rng)] }
        var sink: Float = 0
        var t0 = clock.now
        for id in picks { sink += try t.vector(of: id)[0] }
        let getNs = seconds(clock.now - t0) / Double(gets) * 1e9
        emit(["workload": "point get (random id, single thread)", "ns_per_op": getNs, "ops": gets])
        let batches = 2000
        t0 = clock.now
        for b in 0..<batches {
            let batch = Array(picks[(b * 800 % (gets - 800))..<(b * 800 % (gets - 800) + 800)])
            for v in try t.vectors(of: batch) { sink += v![1] }
        }
        let batchUs = seconds(clock.now - t0) / Double(batches) * 1e6
        emit(["workload": "batch get (800 random ids)", "us_per_batch": batchUs, "ns_per_vector": batchUs * 1000 / 800])
        let q = [Float](repeating: 0.125, count: t.dimension)
        var scans: [Double] = []
        for _ in 0..<5 {
            t0 = clock.now
            var best: Float = -.infinity
            try q.withUnsafeBufferPointer { qb in
                try t.forEachBlock { _, rows in
                    let d = t.dimension
                    for r in 0..<(rows.count / d) { best = max(best, VectorMath.dot(qb.baseAddress!, rows.baseAddress! + r * d, d)) }
                }
            }
            sink += best
            scans.append(seconds(clock.now - t0))
        }
        emit(["workload": "full scan, dot product per row", "seconds": scans.min()!, "rows": t.count, "rows_per_second": Double(t.count) / scans.min()!])
        if sink == 42 { print("") }
    }
case "rank-latency":
    guard args.count >= 6 else { exit(2) }
    let calls = args.count > 6 ? Int(args[6])! : 200
    try store.read { txn in
        let model = try RankerModel.load(txn, name: args[3])
        let items = try txn.table(args[5])
        var ids: [String] = []
        try items.forEachID { _, id in ids.append(String(decoding: id, as: UTF8.self)) }
        var rng = SystemRandomNumberGenerator()
        var lat: [Double] = []
        for _ in 0..<(calls + 10) {
            let cand = (0..<800).map { _ in ids[Int.random(in: 0..<ids.count, using: &rng)] }
            let t0 = clock.now
            let s = try model.score(txn, user: args[4], items: cand).scores
            lat.append(seconds(clock.now - t0) * 1000)
            precondition(s.count == 800)
        }
        lat = Array(lat.dropFirst(10)).sorted()  // the first calls fill the item-row cache
        emit(["workload": "score 800 candidates for one user (features from the store)", "p50_ms": lat[lat.count / 2], "p99_ms": lat[min(lat.count - 1, lat.count * 99 / 100)], "calls": calls])
    }
default:
    FileHandle.standardError.write(Data("unknown workload \(args[1])\n".utf8))
    exit(2)
}
