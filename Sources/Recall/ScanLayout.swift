import EmbedStore

/// A copy of a small table laid out for exact scans: rows in groups of 8,
/// component-major inside a group (component j of the 8 rows side by side),
/// scaled to unit length for cosine. A query then scores 8 rows with
/// `dimension` SIMD multiply-adds and no horizontal sum, which is what a
/// row-at-a-time dot product spends most of its time on when rows are short
/// (SparrowRecSys item2vec: 10 components).
///
/// Each group also carries a bias lane: 0 for a row that can be a result,
/// -infinity for padding past the last row and, for cosine, a zero vector
/// (no direction), so such rows never pass any threshold.
final class ScanLayout: @unchecked Sendable {
    /// Tables up to this many floats get a layout (16 MiB of copies).
    static let maxFloats = 1 << 22

    let groups: Int
    let dimension: Int
    /// `groups * (dimension + 1)` vectors: per group, the bias then each component.
    private let data: UnsafeMutablePointer<SIMD8<Float>>

    /// Copies `rows`, unit-scaled when `normalized`.
    init(_ rows: RowAccessor, normalized: Bool) {
        dimension = rows.dimension
        groups = (rows.slots + 7) / 8
        let stride = dimension + 1
        data = .allocate(capacity: max(1, groups * stride))
        data.initialize(repeating: SIMD8(repeating: 0), count: groups * stride)
        for g in 0..<groups { data[g * stride] = SIMD8(repeating: -.infinity) }
        rows.forEachRun { first, base, n in
            for i in 0..<n {
                let row = first + i, x = base + i * dimension
                var scale: Float = 1
                if normalized {
                    let nn = VectorMath.dot(x, x, dimension)
                    if nn == 0 { continue }
                    scale = 1 / nn.squareRoot()
                }
                let group = data + (row >> 3) * stride, lane = row & 7
                group[0][lane] = 0
                for j in 0..<dimension { group[1 + j][lane] = x[j] * scale }
            }
        }
    }

    deinit { data.deallocate() }

    /// The scores of every row against `query` into `out` (`groups * 8`
    /// floats; bias included, so padding and zero rows score -infinity).
    func scores(query: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let stride = dimension + 1
        let results = UnsafeMutableRawPointer(out)
        for g in 0..<groups {
            let group = data + g * stride
            var acc0 = group[0], acc1 = SIMD8<Float>()
            var j = 0
            while j + 2 <= dimension {
                acc0 += group[1 + j] * SIMD8(repeating: query[j])
                acc1 += group[2 + j] * SIMD8(repeating: query[j + 1])
                j += 2
            }
            if j < dimension { acc0 += group[1 + j] * SIMD8(repeating: query[j]) }
            results.storeBytes(of: acc0 + acc1, toByteOffset: g * 32, as: SIMD8<Float>.self)
        }
    }
}
