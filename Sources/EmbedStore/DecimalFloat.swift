/// Decimal text to `Float`, correctly rounded, for the numbers embedding
/// files hold (up to 19 significant digits, decimal exponents within 10^±22):
/// about a fifth of the cost of `strtof`, which spent most of a text import's
/// CPU in its multi-precision path (perf: 56% of a 1M x 64 import).
///
/// The value is computed in `Double` with one IEEE operation on exact
/// operands (an integer below 2^53 times or over an exact power of ten), so it
/// is the correctly rounded double of the decimal; rounding that to `Float`
/// gives the correctly rounded float unless the double fell exactly on a
/// midpoint between two floats (every such midpoint is a double, and rounding
/// is monotonic, so the decimal and its double lie on the same side of every
/// other midpoint). Anything outside that case returns nil, and the caller
/// falls back to `strtof`: more digits, larger exponents, `inf`, `nan`, hex
/// floats, and any number followed by a letter or a point.
enum DecimalFloat {
    /// 10^0 ... 10^22, each exact in `Double`. Callers hold the buffer for a
    /// whole line (`withPowersOfTen`): a lazy global's access check per number
    /// cost 2% of an import.
    private static let powersOfTen: [Double] = (0...22).map { e in (0..<e).reduce(1.0) { x, _ in x * 10 } }

    /// Runs `body` with the table of powers of ten `parse` needs.
    @inline(__always)
    static func withPowersOfTen<R>(_ body: (UnsafePointer<Double>) throws -> R) rethrows -> R {
        try powersOfTen.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    /// Parses the number at `p` (optional sign, digits with an optional
    /// point, optional exponent), reading no further than `end`. Returns the
    /// value and the first byte after it, or nil when the number needs `strtof`.
    @inline(__always)
    static func parse(_ p: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, powersOfTen: UnsafePointer<Double>) -> (value: Float, next: UnsafePointer<UInt8>)? {
        var q = p
        var negative = false
        if q < end && (q.pointee == UInt8(ascii: "-") || q.pointee == UInt8(ascii: "+")) {
            negative = q.pointee == UInt8(ascii: "-")
            q += 1
        }
        var mantissa: UInt64 = 0
        var significant = 0  // digits in `mantissa`, leading zeros not counted
        var exponent = 0
        var digits = 0       // all digits seen, to reject a bare sign or point
        var afterPoint = false
        while q < end {
            if q.pointee == UInt8(ascii: "."), !afterPoint { afterPoint = true; q += 1; continue }
            let d = q.pointee &- 0x30
            guard d < 10 else { break }
            if significant > 0 || d != 0 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                significant += 1
            }
            if afterPoint { exponent -= 1 }
            digits += 1
            q += 1
        }
        guard digits > 0, significant <= 19 else { return nil }
        if q < end && (q.pointee | 0x20) == UInt8(ascii: "e") {
            q += 1
            var negativeExponent = false
            if q < end && (q.pointee == UInt8(ascii: "-") || q.pointee == UInt8(ascii: "+")) {
                negativeExponent = q.pointee == UInt8(ascii: "-")
                q += 1
            }
            var e = 0, exponentDigits = 0
            while q < end, case let d = q.pointee &- 0x30, d < 10 {
                guard exponentDigits < 4 else { return nil }
                e = e * 10 + Int(d)
                exponentDigits += 1
                q += 1
            }
            guard exponentDigits > 0 else { return nil }
            exponent += negativeExponent ? -e : e
        }
        // a letter or a point here: strtof reads further (hex, inf) or stops; either way it decides
        if q < end, case let c = q.pointee | 0x20, (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || c == UInt8(ascii: ".") { return nil }
        if mantissa == 0 { return (negative ? -0.0 : 0.0, q) }
        guard mantissa <= 1 << 53, exponent >= -22, exponent <= 22 else { return nil }
        let d = exponent < 0 ? Double(mantissa) / powersOfTen[-exponent] : Double(mantissa) * powersOfTen[exponent]
        // values here are within 1e-22...1e38: normal floats, whose midpoints
        // have exactly bit 28 set below the float's 24-bit significand
        if d.bitPattern & 0x1FFF_FFFF == 0x1000_0000 { return nil }
        let f = Float(d)
        return (negative ? -f : f, q)
    }
}
