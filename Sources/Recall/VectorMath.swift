/// Dot products over contiguous Float buffers with explicit SIMD.
public enum VectorMath {
    /// `a · b` over `count` components.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var i = 0
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while i + 16 <= count {
            acc0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            acc1 += ra.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self)
            i += 16
        }
        if i + 8 <= count {
            acc0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        var s = (acc0 + acc1).sum()
        while i < count {
            s += a[i] * b[i]
            i += 1
        }
        return s
    }

    /// `a · b` and `b · b` in one pass over `b`.
    @inline(__always)
    public static func dotAndSquaredNorm(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> (dot: Float, squaredNorm: Float) {
        var i = 0
        var dot0 = SIMD8<Float>(), dot1 = SIMD8<Float>(), sq0 = SIMD8<Float>(), sq1 = SIMD8<Float>()
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while i + 16 <= count {
            let y0 = rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self), y1 = rb.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self)
            dot0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * y0
            dot1 += ra.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self) * y1
            sq0 += y0 * y0
            sq1 += y1 * y1
            i += 16
        }
        if i + 8 <= count {
            let y = rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            dot0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * y
            sq0 += y * y
            i += 8
        }
        var d = (dot0 + dot1).sum(), s = (sq0 + sq1).sum()
        while i < count {
            d += a[i] * b[i]
            s += b[i] * b[i]
            i += 1
        }
        return (d, s)
    }

    /// The Euclidean norm of `count` components.
    @inline(__always)
    public static func norm(_ a: UnsafePointer<Float>, _ count: Int) -> Float {
        dot(a, a, count).squareRoot()
    }
}
