import CBLAS
import Foundation
import Recall

/// Learns `ItemNeighbours` from users' positive histories.
///
/// Rules:
/// - `ease` solves EASE^R in closed form: G = XᵀX + λI over the items with a
///   training positive, P = G⁻¹ (LAPACK Cholesky on OpenBLAS), and
///   B(i, j) = -P(i, j) / P(j, j). It needs items² floats of memory and
///   items³ flops, so `auto` uses it up to `maxDenseItems` and cosine above.
/// - `cosine` is |U(i) ∩ U(j)| / sqrt(|U(i)| |U(j)|); sparse, any size.
/// - Either way each item keeps its `neighbours` largest positive weights;
///   the negative ones EASE^R learns only push items down, which top-N over
///   a sum of positives never needs.
/// - A user counts each item once, however often it recurs.
public enum NeighbourBuilder {
    public enum Choice: String, CaseIterable, Sendable {
        case auto, ease, cosine
    }

    /// Items above which `auto` picks cosine: G alone is 1.6 GB at 20,000.
    public static let maxDenseItems = 20_000
    public static let defaultLambda: Float = 300
    /// Chosen on movielens-small's validation split (bench/quality: 200 and
    /// 400 beat 100 on recommend's NDCG@10, 400 by little); the weights take
    /// items x 200 x 8 bytes (1.6 GB at 1M items: lower it for such catalogues).
    public static let defaultNeighbours = 200

    /// `sequences` hold vocabulary indices into `itemIDs`.
    public static func build(sequences: [[Int32]], itemIDs: [String], method: Choice = .auto, lambda: Float = defaultLambda,
                             neighbours: Int = defaultNeighbours, progress: (String) -> Void = { _ in }) throws -> ItemNeighbours {
        guard neighbours >= 1 else { throw OfflineError.invalidOption("--neighbours must be at least 1, got \(neighbours)") }
        guard lambda > 0, lambda.isFinite else { throw OfflineError.invalidOption("--lambda must be positive, got \(lambda)") }
        let n = itemIDs.count
        var counts = [Int32](repeating: 0, count: n)
        var distinct: [[Int32]] = []
        distinct.reserveCapacity(sequences.count)
        var events = 0
        for seq in sequences {
            var seen = Set<Int32>()
            let items = seq.filter { Int($0) < n && seen.insert($0).inserted }
            for i in items { counts[Int(i)] += 1 }
            events += items.count
            if !items.isEmpty { distinct.append(items) }
        }
        let active = (0..<Int32(n)).filter { counts[Int($0)] > 0 }
        let useEase: Bool
        switch method {
        case .ease:
            guard active.count <= 4 * maxDenseItems else {
                throw OfflineError.invalidOption("--method ease: \(active.count) items need \(active.count * active.count * 4 >> 30) GiB; use --method cosine")
            }
            useEase = true
        case .cosine: useEase = false
        case .auto: useEase = active.count <= maxDenseItems
        }
        let m = neighbours
        var ids = [Int32](repeating: -1, count: n * m)
        var weights = [Float](repeating: 0, count: n * m)
        if useEase {
            progress("EASE^R over \(active.count) items (λ \(lambda))")
            try ease(distinct, active: active, itemCount: n, lambda: lambda, m: m, ids: &ids, weights: &weights)
        } else {
            progress("cosine over \(active.count) items")
            cosine(distinct, itemCount: n, m: m, ids: &ids, weights: &weights)
        }
        let header = ItemNeighbours.Header(method: useEase ? .ease : .cosine, lambda: useEase ? lambda : nil, neighbours: m, itemIDs: itemIDs,
                                           counts: counts, users: distinct.count, events: events, createdAt: Date())
        return ItemNeighbours(header: header, ids: ids, weights: weights)
    }

    private static func ease(_ users: [[Int32]], active: [Int32], itemCount: Int, lambda: Float, m: Int, ids: inout [Int32], weights: inout [Float]) throws {
        let d = active.count
        var dense = [Int32](repeating: -1, count: itemCount)
        for (k, i) in active.enumerated() { dense[Int(i)] = Int32(k) }
        // G = XᵀX + λI, accumulated from each user's item pairs (X is sparse)
        var g = [Float](repeating: 0, count: d * d)
        g.withUnsafeMutableBufferPointer { g in
            var cols: [Int] = []
            for items in users {
                cols.removeAll(keepingCapacity: true)
                for i in items { cols.append(Int(dense[Int(i)])) }
                for a in cols {
                    let row = a * d
                    for b in cols { g[row + b] += 1 }
                }
            }
            for k in 0..<d { g[k * d + k] += lambda }
        }
        var n = Int32(d), lda = Int32(d), info: Int32 = 0
        var uplo = Int8(UInt8(ascii: "U"))
        spotrf_(&uplo, &n, &g, &lda, &info)
        guard info == 0 else { throw OfflineError.invalidOption("EASE^R: XᵀX + λI is not positive definite (LAPACK info \(info)); raise --lambda") }
        spotri_(&uplo, &n, &g, &lda, &info)
        guard info == 0 else { throw OfflineError.invalidOption("EASE^R: inverting XᵀX + λI failed (LAPACK info \(info)); raise --lambda") }
        // column-major 'U' is the row-major lower triangle: P(i, j) for j <= i at g[i * d + j]
        g.withUnsafeMutableBufferPointer { p in
            for i in 0..<d { for j in 0..<i { p[j * d + i] = p[i * d + j] } }
            var row = [(Int32, Float)]()
            row.reserveCapacity(d)
            for i in 0..<d {
                row.removeAll(keepingCapacity: true)
                let base = i * d
                for j in 0..<d where j != i {
                    let w = -p[base + j] / p[j * d + j]
                    if w > 0 { row.append((Int32(j), w)) }
                }
                keepBest(&row, m: m, into: Int(active[i]), active: active, ids: &ids, weights: &weights)
            }
        }
    }

    private static func cosine(_ users: [[Int32]], itemCount: Int, m: Int, ids: inout [Int32], weights: inout [Float]) {
        var usersOf = [[Int32]](repeating: [], count: itemCount)
        for (u, items) in users.enumerated() { for i in items { usersOf[Int(i)].append(Int32(u)) } }
        var co = [Float](repeating: 0, count: itemCount)
        var touched: [Int32] = []
        var row = [(Int32, Float)]()
        for i in 0..<itemCount where !usersOf[i].isEmpty {
            for u in usersOf[i] {
                for j in users[Int(u)] where Int(j) != i {
                    if co[Int(j)] == 0 { touched.append(j) }
                    co[Int(j)] += 1
                }
            }
            let ni = Float(usersOf[i].count)
            row.removeAll(keepingCapacity: true)
            for j in touched { row.append((j, co[Int(j)] / (ni * Float(usersOf[Int(j)].count)).squareRoot())); co[Int(j)] = 0 }
            touched.removeAll(keepingCapacity: true)
            keepBest(&row, m: m, into: i, active: nil, ids: &ids, weights: &weights)
        }
    }

    /// Writes the `m` largest of `row` (ties by index) as item `item`'s
    /// neighbours; `active` maps row indices back to vocabulary indices.
    private static func keepBest(_ row: inout [(Int32, Float)], m: Int, into item: Int, active: [Int32]?, ids: inout [Int32], weights: inout [Float]) {
        // the m largest, best first (ties by position in the row)
        row = TopK.descendingOrder(row.map(\.1), limit: m).map { row[$0] }
        for (k, (j, w)) in row.enumerated() {
            ids[item * m + k] = active.map { $0[Int(j)] } ?? j
            weights[item * m + k] = w
        }
    }
}
