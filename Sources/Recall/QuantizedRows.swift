import CKernels
import EmbedStore

/// An 8-bit copy of a table's rows kept in its index (scalar quantisation,
/// FAISS's SQ8 with per-dimension ranges): component j of row i is stored as
/// round(y_ij / s_j), where y is the row (made unit-length under cosine) and
/// s_j = max_i |y_ij| / 127. A query's approximate score for a row is
/// sum_j (q_j s_j) x_ij, in integers on the query scaled to 16 bits.
///
/// Why: re-scoring reads each candidate's row at random, and at 1M x 64 a
/// row (four cache lines) costs about 50 ns against 17 ns for one line; the
/// 8-bit copy of a 64-d row is one line, and its order is near exact, so
/// only a few candidates per result need the full row. The 64-bit sketch is
/// as cheap to read but too coarse to order close neighbours.
struct QuantizedRows {
    let scales: UnsafePointer<Float>
    let codes: UnsafePointer<Int8>
    let dimension: Int
    /// Rows covered (the bucket lists' rows).
    let rows: Int

    /// Per-dimension steps for `acc`'s live rows (unit-length under cosine).
    static func scales(_ acc: RowAccessor, cosine: Bool) -> [Float] {
        let d = acc.dimension
        var maxAbs = [Float](repeating: 0, count: d)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: d)
        defer { y.deallocate() }
        for r in 0..<acc.slots where acc.isLive(r) {
            unitRow(acc.row(r), d: d, cosine: cosine, into: y)
            for j in 0..<d { maxAbs[j] = max(maxAbs[j], abs(y[j])) }
        }
        return maxAbs.map { $0 > 0 ? $0 / 127 : 1 }
    }

    /// Writes every row's codes (`slots * dimension` bytes; deleted rows zero).
    static func encode(_ acc: RowAccessor, cosine: Bool, scales: [Float], into out: UnsafeMutablePointer<Int8>) {
        let d = acc.dimension
        let y = UnsafeMutablePointer<Float>.allocate(capacity: d)
        defer { y.deallocate() }
        for r in 0..<acc.slots {
            let dst = out + r * d
            guard acc.isLive(r) else { dst.initialize(repeating: 0, count: d); continue }
            unitRow(acc.row(r), d: d, cosine: cosine, into: y)
            for j in 0..<d { dst[j] = Int8(max(-127, min(127, (y[j] / scales[j]).rounded()))) }
        }
    }

    private static func unitRow(_ row: UnsafePointer<Float>, d: Int, cosine: Bool, into y: UnsafeMutablePointer<Float>) {
        let norm = cosine ? VectorMath.norm(row, d) : 0
        let f: Float = norm > 0 ? 1 / norm : 1
        for j in 0..<d { y[j] = row[j] * f }
    }

    /// The query folded with the steps and scaled to 16-bit integers small
    /// enough that a `d`-term sum against 8-bit codes fits 32 bits.
    func scaleQuery(_ q: UnsafePointer<Float>, into out: UnsafeMutablePointer<Int16>, work: UnsafeMutablePointer<Float>) {
        let d = dimension
        var m: Float = 0
        for j in 0..<d { work[j] = q[j] * scales[j]; m = max(m, abs(work[j])) }
        let limit = Float(min(32767, Int(Int32.max) / (127 * max(1, d))))
        let f = m > 0 ? limit / m : 0
        for j in 0..<d { out[j] = Int16((work[j] * f).rounded()) }
    }

    /// The approximate score of `row` for a query from `scaleQuery`.
    @inline(__always)
    func score(_ query: UnsafePointer<Int16>, row: Int) -> Int32 {
        recsys_dot_i16_i8(query, codes + row * dimension, Int32(dimension))
    }

    @inline(__always)
    func prefetch(row: Int) {
        let p = UnsafeRawPointer(codes + row * dimension)
        var off = 0
        while off < dimension { recsys_prefetch(p + off); off += 64 }
    }
}
