import EmbedStore

/// Random-hyperplane hashing: L tables of K signed projections each.
///
/// The planes are kept in blocks of 8, dimension-major inside a block, so one
/// pass over the query accumulates 8 projections in one vector register with
/// no horizontal sums (a dot product per plane spent most of its time
/// reducing). Build, upsert and query all project through this type, so a
/// vector hashes to the same buckets whichever path hashed it.
final class SimHash: @unchecked Sendable {
    let tables: Int
    let bits: Int
    let dimension: Int
    /// `ceil(tables * bits / 8)` blocks of `dimension` lanes of 8 planes.
    private let blocks: UnsafeMutablePointer<SIMD8<Float>>
    private let blockCount: Int
    /// Compare-exchange pairs of Batcher's odd-even merge sort over the next
    /// power of two >= `bits` (flattened: lo, hi, lo, hi, ...).
    private let network: UnsafeMutablePointer<Int32>
    private let networkPairs: Int
    private let sortWidth: Int

    /// Regroups `tables * bits` hyperplanes of `dimension` floats (table-major).
    init(tables: Int, bits: Int, dimension: Int, planes: UnsafePointer<Float>) {
        self.tables = tables
        self.bits = bits
        self.dimension = dimension
        let count = tables * bits
        blockCount = (count + 7) / 8
        blocks = .allocate(capacity: max(1, blockCount * dimension))
        for b in 0..<blockCount {
            for j in 0..<dimension {
                var lanes = SIMD8<Float>()
                for lane in 0..<8 where b * 8 + lane < count { lanes[lane] = planes[(b * 8 + lane) * dimension + j] }
                (blocks + b * dimension + j).initialize(to: lanes)
            }
        }
        var width = 1
        while width < bits { width *= 2 }
        sortWidth = width
        let pairs = Self.oddEvenMergeSortPairs(width)
        networkPairs = pairs.count / 2
        network = .allocate(capacity: max(1, pairs.count))
        network.initialize(from: pairs, count: pairs.count)
    }

    deinit {
        blocks.deallocate()
        network.deallocate()
    }

    /// Writes the `tables * bits` projections of `q` (the first `usedTables`
    /// tables' only). `out` holds at least `usedTables * bits` floats.
    @inline(__always)
    func project(_ q: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, tables usedTables: Int) {
        let count = usedTables * bits
        let d = dimension
        var b = 0
        // four blocks at a time: each broadcast of a query component feeds
        // four planes' blocks, and eight accumulators keep the adders busy
        while (b + 4) * 8 <= count {
            let p0 = UnsafePointer(blocks + b * d), p1 = p0 + d, p2 = p1 + d, p3 = p2 + d
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            var c0 = SIMD8<Float>(), c1 = SIMD8<Float>(), c2 = SIMD8<Float>(), c3 = SIMD8<Float>()
            var j = 0
            while j + 2 <= d {
                let x = SIMD8(repeating: q[j]), y = SIMD8(repeating: q[j + 1])
                a0 += x * p0[j]; a1 += x * p1[j]; a2 += x * p2[j]; a3 += x * p3[j]
                c0 += y * p0[j + 1]; c1 += y * p1[j + 1]; c2 += y * p2[j + 1]; c3 += y * p3[j + 1]
                j += 2
            }
            if j < d {
                let x = SIMD8(repeating: q[j])
                a0 += x * p0[j]; a1 += x * p1[j]; a2 += x * p2[j]; a3 += x * p3[j]
            }
            let o = UnsafeMutableRawPointer(out + b * 8)
            o.storeBytes(of: a0 + c0, as: SIMD8<Float>.self)
            o.storeBytes(of: a1 + c1, toByteOffset: 32, as: SIMD8<Float>.self)
            o.storeBytes(of: a2 + c2, toByteOffset: 64, as: SIMD8<Float>.self)
            o.storeBytes(of: a3 + c3, toByteOffset: 96, as: SIMD8<Float>.self)
            b += 4
        }
        while b * 8 < count {
            let p = UnsafePointer(blocks + b * d)
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
            var j = 0
            while j + 2 <= d {
                a0 += SIMD8(repeating: q[j]) * p[j]
                a1 += SIMD8(repeating: q[j + 1]) * p[j + 1]
                j += 2
            }
            if j < d { a0 += SIMD8(repeating: q[j]) * p[j] }
            let sum = a0 + a1
            let valid = count - b * 8
            if valid >= 8 {
                UnsafeMutableRawPointer(out + b * 8).storeBytes(of: sum, as: SIMD8<Float>.self)
            } else {
                for lane in 0..<valid { out[b * 8 + lane] = sum[lane] }
            }
            b += 1
        }
    }

    /// The bucket of table `l` from its projections.
    @inline(__always)
    func code(_ projections: UnsafePointer<Float>, table l: Int) -> UInt32 {
        var c: UInt32 = 0
        let p = projections + l * bits
        // branch-free: a sign is a coin flip, a branch on it mispredicts half the time
        for j in 0..<bits { c |= UInt32(p[j] > 0 ? 1 : 0) &<< UInt32(j) }
        return c
    }

    /// The 64-bit sign sketch from the first 64 projections (`bits` must be 64).
    @inline(__always)
    func sketch(_ projections: UnsafePointer<Float>) -> UInt64 {
        var c: UInt64 = 0
        for j in 0..<64 { c |= UInt64(projections[j] > 0 ? 1 : 0) &<< UInt64(j) }
        return c
    }

    /// Per table, its bit positions by ascending |projection| into `order`
    /// and their squared projections, in that order, into `squares` (both
    /// `usedTables * bits`, table-major). Eight tables are sorted at once: a
    /// sorting network over keys that pack |projection| above the position,
    /// one vector lane per table (no data-dependent branches).
    @inline(__always)
    func orderByMargin(_ projections: UnsafePointer<Float>, tables usedTables: Int,
                       order: UnsafeMutablePointer<Int32>, squares: UnsafeMutablePointer<Float>) {
        let K = bits, width = sortWidth
        withUnsafeTemporaryAllocation(of: SIMD8<UInt32>.self, capacity: width) { columns in
            // column j holds position j's key of 8 tables; written and read as scalars
            let c = columns.baseAddress!
            let keys = UnsafeMutableRawPointer(c).assumingMemoryBound(to: UInt32.self)
            var first = 0
            while first < usedTables {
                let lanes = min(8, usedTables - first)
                for j in 0..<width { c[j] = SIMD8(repeating: .max) }
                for lane in 0..<lanes {
                    let p = projections + (first + lane) * K
                    for j in 0..<K { keys[j * 8 + lane] = (p[j].bitPattern & 0x7FFF_FFE0) | UInt32(j) }
                }
                for e in 0..<networkPairs {
                    let lo = Int(network[2 * e]), hi = Int(network[2 * e + 1])
                    let a = c[lo], b = c[hi]
                    c[lo] = pointwiseMin(a, b)
                    c[hi] = pointwiseMax(a, b)
                }
                for lane in 0..<lanes {
                    let l = first + lane
                    let p = projections + l * K
                    for r in 0..<K {
                        let j = Int(keys[r * 8 + lane] & 31)
                        order[l * K + r] = Int32(j)
                        squares[l * K + r] = p[j] * p[j]
                    }
                }
                first += 8
            }
        }
    }

    /// Batcher's odd-even merge sort network for `n` (a power of two) inputs,
    /// as flattened (lo, hi) compare-exchange pairs.
    static func oddEvenMergeSortPairs(_ n: Int) -> [Int32] {
        var pairs: [Int32] = []
        var p = 1
        while p < n {
            var k = p
            while k > 0 {
                var j = k % p
                while j + k < n {
                    for i in 0..<min(k, n - j - k) where (i + j) / (2 * p) == (i + j + k) / (2 * p) {
                        pairs.append(Int32(i + j))
                        pairs.append(Int32(i + j + k))
                    }
                    j += 2 * k
                }
                k /= 2
            }
            p *= 2
        }
        return pairs
    }

    /// Planes of the per-row sketches: independent of the tables' planes.
    static func sketchPlanes(dimension: Int, seed: UInt64) -> [Float] {
        planes(count: 64 * dimension, seed: seed ^ 0x5CE7_C400_0000_0001)
    }

    /// Gaussian hyperplanes from a seed (Box-Muller over SplitMix64).
    static func planes(count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        func next() -> Double { rng.openUnit() }
        var out = [Float]()
        out.reserveCapacity(count + 1)
        while out.count < count {
            let u = next(), v = next()
            let r = (-2 * log(u)).squareRoot()
            out.append(Float(r * cos(2 * Double.pi * v)))
            out.append(Float(r * sin(2 * Double.pi * v)))
        }
        return Array(out.prefix(count))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
