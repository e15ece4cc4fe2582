import Foundation

/// Byte-level helpers shared by the text codecs: number lists parsed in place,
/// correctly rounded (`DecimalFloat`, or `strtof` for what it declines), so
/// shortest-repr text round-trips bit-exactly; and a small CSV field splitter.
public enum TextScan {
    @inline(__always)
    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }

    /// Parses numbers in `p..<end`, separated by bytes for which `isSeparator`
    /// holds, appending them to `out`. Returns a reason on failure.
    static func floats(_ p0: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, isSeparator: (UInt8) -> Bool, into out: inout [Float]) -> String? {
        DecimalFloat.withPowersOfTen { powers in floats(p0, end, isSeparator: isSeparator, powersOfTen: powers, into: &out) }
    }

    @inline(__always)
    private static func floats(_ p0: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, isSeparator: (UInt8) -> Bool, powersOfTen: UnsafePointer<Double>, into out: inout [Float]) -> String? {
        var p = p0
        while true {
            while p < end && isSeparator(p.pointee) { p += 1 }
            if p >= end { return nil }
            if let (v, next) = DecimalFloat.parse(p, end, powersOfTen: powersOfTen) {
                if next < end && !isSeparator(next.pointee) { return "unparsable number '\(token(p, end, isSeparator))'" }
                out.append(v)
                p = next
                continue
            }
            var e: UnsafeMutablePointer<CChar>? = nil
            let v = p.withMemoryRebound(to: CChar.self, capacity: 1) { strtof($0, &e) }
            let ep = UnsafeRawPointer(e!).assumingMemoryBound(to: UInt8.self)
            if ep == p || ep > end || (ep < end && !isSeparator(ep.pointee)) || isSpace(p.pointee) {
                return "unparsable number '\(token(p, end, isSeparator))'"
            }
            out.append(v)
            p = ep
        }
    }

    static func token(_ p: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ isSeparator: (UInt8) -> Bool) -> String {
        var q = p
        while q < end && !isSeparator(q.pointee) && q - p < 40 { q += 1 }
        return String(decoding: UnsafeBufferPointer(start: p, count: q - p), as: UTF8.self)
    }

    /// One field of a CSV line: its bytes (quotes removed, `""` unescaped when `quoted`).
    struct Field {
        var start: UnsafePointer<UInt8>
        var end: UnsafePointer<UInt8>
        var quoted: Bool
        var hasEscapes: Bool

        var bytes: [UInt8] {
            let raw = UnsafeBufferPointer(start: start, count: end - start)
            guard hasEscapes else { return Array(raw) }
            var out: [UInt8] = []
            out.reserveCapacity(raw.count)
            var i = 0
            while i < raw.count {
                out.append(raw[i])
                i += (raw[i] == 0x22 && i + 1 < raw.count && raw[i + 1] == 0x22) ? 2 : 1
            }
            return out
        }
        var string: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// Splits one CSV line (RFC 4180 quoting, no embedded newlines) into fields.
    static func csvFields(_ line: UnsafeBufferPointer<UInt8>, into fields: inout [Field]) -> String? {
        fields.removeAll(keepingCapacity: true)
        guard let base = line.baseAddress else { return nil }
        let end = base + line.count
        var p = base
        while true {
            if p < end && p.pointee == 0x22 {
                let s = p + 1
                var q = s
                var escapes = false
                while true {
                    if q >= end { return "unterminated quoted field" }
                    if q.pointee == 0x22 {
                        if q + 1 < end && q[1] == 0x22 { escapes = true; q += 2; continue }
                        break
                    }
                    q += 1
                }
                fields.append(Field(start: s, end: q, quoted: true, hasEscapes: escapes))
                p = q + 1
                if p < end && p.pointee != 0x2C { return "unexpected character after a quoted field" }
            } else {
                let s = p
                while p < end && p.pointee != 0x2C { p += 1 }
                fields.append(Field(start: s, end: p, quoted: false, hasEscapes: false))
            }
            if p >= end { return nil }
            p += 1 // comma
            if p == end { fields.append(Field(start: p, end: p, quoted: false, hasEscapes: false)); return nil }
        }
    }

    /// Splits one CSV line into strings. Throws with `file:line` on malformed quoting.
    public static func csvStrings(_ line: UnsafeBufferPointer<UInt8>, file: String, line number: Int) throws -> [String] {
        var fields: [Field] = []
        if let reason = csvFields(line, into: &fields) {
            throw StoreError.badInput(file: file, location: "\(number)", reason: reason)
        }
        return fields.map(\.string)
    }

    /// Appends the shortest decimal text that reads back as exactly `x`
    /// (`description`'s digits, without a trailing `.0`), written straight
    /// from the standard library's formatting buffer: building the String
    /// first cost a third of an export's CPU.
    @inline(__always)
    static func appendFloat(_ x: Float, to out: inout [UInt8]) {
        withUnsafeMutablePointer(to: &out) { out in
            var sink = ByteSink(out: out)
            x.write(to: &sink)
        }
    }

    /// A `TextOutputStream` appending to a byte array: floats arrive through
    /// `_writeASCII` as the ASCII `description` would hold.
    private struct ByteSink: TextOutputStream {
        let out: UnsafeMutablePointer<[UInt8]>
        mutating func write(_ string: String) {
            var s = string
            s.withUTF8 { _writeASCII($0) }
        }
        mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
            var n = buffer.count
            if n > 2 && buffer[n - 2] == UInt8(ascii: ".") && buffer[n - 1] == UInt8(ascii: "0") { n -= 2 }
            out.pointee.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<n]))
        }
    }
}
