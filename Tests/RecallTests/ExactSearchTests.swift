import EmbedStore
import Foundation
@testable import Recall
import RecsysTestSupport
import XCTest

/// Exact search is the ground truth of `recall eval` and the fallback for
/// stale indexes: both of its scans (the 8-row SIMD layout of small tables,
/// the row-major scan of large ones) and both selections (histogram, heap)
/// must return the true top k, best first, honouring exclusions and deletions.
final class ExactSearchTests: XCTestCase {
    /// The top k by a plain double-precision cosine over all rows.
    private func reference(_ rows: [[Float]], _ q: [Float], k: Int, skip: Set<Int>) -> [(row: Int, score: Double)] {
        func norm(_ v: [Float]) -> Double { v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
        let qn = norm(q)
        var scored: [(row: Int, score: Double)] = []
        for (i, v) in rows.enumerated() where !skip.contains(i) {
            let n = norm(v)
            if n == 0 { continue }
            scored.append((i, zip(q, v).reduce(0) { $0 + Double($1.0) * Double($1.1) } / (n * qn)))
        }
        scored.sort { $0.score > $1.score || ($0.score == $1.score && $0.row < $1.row) }
        return Array(scored.prefix(k))
    }

    private func check(n: Int, dim: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let t = try TempStore()
        var rng = SplitMix64(seed: UInt64(n))
        var rows = (0..<n).map { _ in (0..<dim).map { _ in Float(rng.openUnit() * 2 - 1) } }
        rows[3] = [Float](repeating: 0, count: dim) // no direction: never a result
        try t.store.write { txn in
            let b = try TableBuilder(txn: txn, name: "v", kind: .pretrained, source: "test")
            for (i, v) in rows.enumerated() { try b.append(id: String(i), vector: v) }
            try b.finish()
        }
        try t.store.write { txn in _ = try txn.deleteVector(table: "v", id: "5") }
        let s = try RecallSnapshot(store: t.store, table: "v")
        for trial in 0..<3 {
            let q = rows[17 + trial].map { $0 + 0.01 }
            let excluded: Set<Int> = trial == 0 ? [] : [17 + trial, 40, 41]
            for k in [1, 10, 100, n / 3] {
                let got = try s.search(q, options: SearchOptions(k: k, exact: true, excludedRows: excluded))
                let want = reference(rows, q, k: k, skip: excluded.union([5]))
                XCTAssertEqual(got.hits.count, want.count, "n=\(n) k=\(k)", file: file, line: line)
                for (g, w) in zip(got.hits, want) {
                    XCTAssertEqual(Double(g.score), w.score, accuracy: 1e-4, "n=\(n) k=\(k)", file: file, line: line)
                }
                // rows may swap only where scores tie within float rounding
                XCTAssertEqual(Set(got.hits.map(\.row)).symmetricDifference(want.map(\.row)).count <= 2, true, file: file, line: line)
                XCTAssertEqual(got.hits.map(\.score), got.hits.map(\.score).sorted(by: >), file: file, line: line)
                XCTAssertFalse(got.hits.contains { [3, 5].contains($0.row) || excluded.contains($0.row) }, file: file, line: line)
            }
        }
    }

    func testSmallTableScanFromTheSIMDLayout() throws {
        try check(n: 881, dim: 10)
    }

    func testLargeTableScanRowByRow() throws {
        // over ScanLayout.maxFloats: the row-major scan with cached norms
        let n = ScanLayout.maxFloats / 64 + 1000
        try check(n: n, dim: 64)
    }

    func testHistogramSelectionMatchesASort() {
        var rng = SplitMix64(seed: 7)
        for n in [1, 7, 64, 881, 5000] {
            var scores = (0..<n).map { _ in Float(rng.openUnit()) }
            if n > 10 {
                scores[2] = -.infinity
                scores[4] = .nan
                for i in 20..<min(n, 60) { scores[i] = 0.5 } // a run of ties
            }
            var admitted = [UInt64](repeating: ~0, count: (n + 63) / 64)
            if n > 10 { admitted[0] &= ~(1 << 1) }
            for k in [1, 5, n / 2 + 1, n + 3] {
                var masked = scores
                let got = masked.withUnsafeMutableBufferPointer { p in
                    admitted.withUnsafeBufferPointer { a in HistogramSelection.best(k, of: p.baseAddress!, count: n, admitted: a.baseAddress!) }
                }
                let want = (0..<n).filter { scores[$0] > -.infinity && !(n > 10 && $0 == 1) }
                    .sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
                    .prefix(k)
                XCTAssertEqual(got.map(\.row), Array(want), "n=\(n) k=\(k)")
            }
        }
    }

    func testHeapMatchesASortForAnyInsertOrder() {
        var rng = SplitMix64(seed: 11)
        var heap = TopK(k: 1)
        for k in [1, 3, 50] {
            heap.reset(k: k)
            let scores = (0..<500).map { _ in Float(Int(rng.openUnit() * 100)) / 100 } // many ties
            for (row, s) in scores.enumerated() { heap.insert(score: s, row: row) }
            let want = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }.prefix(k)
            XCTAssertEqual(heap.sorted().map(\.row), Array(want))
            XCTAssertEqual(heap.threshold, scores[want.last!])
        }
    }
}
