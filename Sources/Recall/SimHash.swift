import EmbedStore

/// Random-hyperplane hashing: L tables of K signed projections each.
struct SimHash {
    let tables: Int
    let bits: Int
    let dimension: Int
    /// `tables * bits` hyperplanes of `dimension` floats, table-major.
    let planes: UnsafePointer<Float>

    /// Writes the `tables * bits` projections of `q`.
    @inline(__always)
    func project(_ q: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, tables usedTables: Int) {
        for p in 0..<(usedTables * bits) {
            out[p] = VectorMath.dot(planes + p * dimension, q, dimension)
        }
    }

    /// The bucket of table `l` from its projections.
    @inline(__always)
    func code(_ projections: UnsafePointer<Float>, table l: Int) -> UInt32 {
        var c: UInt32 = 0
        let p = projections + l * bits
        for j in 0..<bits where p[j] > 0 { c |= 1 << UInt32(j) }
        return c
    }

    /// The 64-bit sign sketch from the first 64 projections (`bits` must be 64).
    @inline(__always)
    func sketch(_ projections: UnsafePointer<Float>) -> UInt64 {
        var c: UInt64 = 0
        for j in 0..<64 where projections[j] > 0 { c |= 1 << UInt64(j) }
        return c
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
