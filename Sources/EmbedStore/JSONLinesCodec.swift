/// JSON Lines: one `{"id": "...", "vector": [...]}` object per line. Other
/// keys are skipped; a numeric id is taken as its text.
///
/// Rules (RFC 8259): numbers follow JSON's grammar (no `+1`, `01`, `.5`,
/// `NaN`); literals are `true`, `false`, `null`; a key that appears twice in
/// one object is an error (the RFC leaves duplicates undefined, and taking
/// either silently would hide a broken producer).
final class JSONLinesReader: VectorReader {
    let input: ByteReader
    var location: String { "\(input.lineNumber)" }

    init(input: ByteReader) { self.input = input }

    func next(id: inout [UInt8], vector: inout [Float]) throws -> Bool {
        while let line = try input.nextLine() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            id.removeAll(keepingCapacity: true)
            vector.removeAll(keepingCapacity: true)
            var parser = JSONLineParser(bytes: UnsafeBufferPointer(line))
            if let reason = parser.parseRecord(id: &id, vector: &vector) { throw fail(reason) }
            return true
        }
        return false
    }
}

/// A minimal JSON scanner for one record line; never traps on any input.
/// Hand-written rather than Foundation's JSONSerialization: that boxes every
/// vector component in an NSNumber, and an import reads millions of them.
struct JSONLineParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var current: UInt8? { i < bytes.count ? bytes[i] : nil }

    mutating func skipSpace() {
        while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1 }
    }

    mutating func expect(_ c: UInt8) -> Bool {
        skipSpace()
        if current == c { i += 1; return true }
        return false
    }

    mutating func parseRecord(id: inout [UInt8], vector: inout [Float]) -> String? {
        guard expect(UInt8(ascii: "{")) else { return "expected a JSON object '{\"id\": ..., \"vector\": [...]}'" }
        var sawID = false, sawVector = false
        var key: [UInt8] = []
        var otherKeys: Set<[UInt8]> = []
        if !expect(UInt8(ascii: "}")) {
            while true {
                skipSpace()
                key.removeAll(keepingCapacity: true)
                if let r = parseString(into: &key) { return r }
                guard expect(UInt8(ascii: ":")) else { return "expected ':' after a key" }
                skipSpace()
                if key.elementsEqual("id".utf8) {
                    if sawID { return "duplicate key \"id\"" }
                    if current == 0x22 {
                        if let r = parseString(into: &id) { return r }
                    } else {
                        let s = i
                        guard let end = numberEnd() else { return "\"id\" must be a string or a JSON number" }
                        id.append(contentsOf: bytes[s..<end])
                    }
                    sawID = true
                } else if key.elementsEqual("vector".utf8) {
                    if sawVector { return "duplicate key \"vector\"" }
                    if let r = parseVector(into: &vector) { return r }
                    sawVector = true
                } else {
                    if !otherKeys.insert(key).inserted { return "duplicate key \"\(String(decoding: key, as: UTF8.self))\"" }
                    if let r = skipValue(depth: 0) { return r }
                }
                if expect(UInt8(ascii: ",")) { continue }
                if expect(UInt8(ascii: "}")) { break }
                return "expected ',' or '}'"
            }
        }
        skipSpace()
        if i != bytes.count { return "unexpected text after the object" }
        if !sawID { return "missing \"id\"" }
        if !sawVector { return "missing \"vector\"" }
        return nil
    }

    mutating func parseString(into out: inout [UInt8]) -> String? {
        guard current == 0x22 else { return "expected a string" }
        i += 1
        let first = out.count
        while let c = current {
            i += 1
            if c == 0x22 {
                // RFC 8259: JSON text is UTF-8; checked only when a string holds non-ASCII bytes
                if out[first...].contains(where: { $0 >= 0x80 }), String(validating: out[first...], as: UTF8.self) == nil { return "string is not valid UTF-8" }
                return nil
            }
            if c < 0x20 { return "control character in a string" }
            if c != 0x5C { out.append(c); continue }
            guard let e = current else { break }
            i += 1
            switch e {
            case 0x22, 0x5C, 0x2F: out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4() else { return "bad \\u escape" }
                if (0xD800..<0xDC00).contains(scalar) {
                    guard current == 0x5C, i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "u") else { return "unpaired surrogate in \\u escape" }
                    i += 2
                    guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return "unpaired surrogate in \\u escape" }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let u = Unicode.Scalar(scalar) else { return "bad \\u escape" }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: return "bad escape '\\\(Character(Unicode.Scalar(e)))'"
            }
        }
        return "unterminated string"
    }

    mutating func hex4() -> UInt32? {
        guard i + 4 <= bytes.count else { return nil }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x37)
            case 0x61...0x66: d = UInt32(c - 0x57)
            default: return nil
            }
            v = v * 16 + d
            i += 1
        }
        return v
    }

    mutating func parseVector(into out: inout [Float]) -> String? {
        guard expect(UInt8(ascii: "[")) else { return "\"vector\" must be an array of numbers" }
        if expect(UInt8(ascii: "]")) { return nil }
        guard let base = bytes.baseAddress else { return "unterminated array" }
        while true {
            skipSpace()
            let s = i
            guard numberEnd() != nil else { return "expected a JSON number in \"vector\", found '\(token(from: s))'" }
            let before = out.count
            if let r = TextScan.floats(base + s, base + i, isSeparator: { _ in false }, into: &out) { return r }
            if out.count != before + 1 { return "expected a number in \"vector\"" }
            if expect(UInt8(ascii: ",")) { continue }
            if expect(UInt8(ascii: "]")) { return nil }
            return "expected ',' or ']' in \"vector\""
        }
    }

    mutating func skipValue(depth: Int) -> String? {
        if depth > 64 { return "nesting too deep" }
        skipSpace()
        guard let c = current else { return "expected a value" }
        switch c {
        case 0x22:
            var sink: [UInt8] = []
            return parseString(into: &sink)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close: UInt8 = c == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            i += 1
            if expect(close) { return nil }
            while true {
                if c == UInt8(ascii: "{") {
                    skipSpace()
                    var sink: [UInt8] = []
                    if let r = parseString(into: &sink) { return r }
                    guard expect(UInt8(ascii: ":")) else { return "expected ':'" }
                }
                if let r = skipValue(depth: depth + 1) { return r }
                if expect(UInt8(ascii: ",")) { continue }
                if expect(close) { return nil }
                return "unterminated \(c == UInt8(ascii: "{") ? "object" : "array")"
            }
        default:
            for literal in ["true", "false", "null"] where bytes[i...].starts(with: literal.utf8) {
                i += literal.utf8.count
                return nil
            }
            let s = i
            return numberEnd() == nil ? "expected a JSON value, found '\(token(from: s))'" : nil
        }
    }

    /// Consumes one number in RFC 8259's grammar,
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, and returns
    /// where it ends; nil (with `i` unspecified) when the text is not one.
    mutating func numberEnd() -> Int? {
        func isDigit(_ c: UInt8?) -> Bool { c.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
        if current == UInt8(ascii: "-") { i += 1 }
        guard isDigit(current) else { return nil }
        if current == UInt8(ascii: "0") { i += 1 } else { while isDigit(current) { i += 1 } }
        if current == UInt8(ascii: ".") {
            i += 1
            guard isDigit(current) else { return nil }
            while isDigit(current) { i += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            i += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { i += 1 }
            guard isDigit(current) else { return nil }
            while isDigit(current) { i += 1 }
        }
        if let c = current, !(c == 0x2C || c == 0x5D || c == 0x7D || c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D) { return nil }
        return i
    }

    /// Up to 40 bytes of the value starting at `s`, for an error message.
    func token(from s: Int) -> String {
        var e = s
        while e < bytes.count, e - s < 40, bytes[e] != 0x2C, bytes[e] != 0x5D, bytes[e] != 0x7D { e += 1 }
        return String(decoding: bytes[s..<e], as: UTF8.self)
    }
}

final class JSONLinesWriter: VectorWriter {
    let out: ByteWriter
    init(out: ByteWriter) { self.out = out }
    func begin(count: Int, dimension: Int) throws {}
    func write(id: UnsafeRawBufferPointer, vector: UnsafeBufferPointer<Float>) throws {
        out.buffer.append(contentsOf: Array("{\"id\": ".utf8))
        JSONText.appendString(id, to: &out.buffer)
        out.buffer.append(contentsOf: Array(", \"vector\": [".utf8))
        for (i, x) in vector.enumerated() {
            if i > 0 { out.buffer.append(contentsOf: [0x2C, 0x20]) }
            TextScan.appendFloat(x, to: &out.buffer)
        }
        out.buffer.append(contentsOf: Array("]}\n".utf8))
        try out.flushIfFull()
    }
    func finish() throws {}
}

/// JSON string escaping.
public enum JSONText {
    /// Whether `b` stands as itself inside a JSON string (no escape needed).
    @inlinable
    public static func isPlain(_ b: UInt8) -> Bool { b >= 0x20 && b != 0x22 && b != 0x5C }

    /// Appends a string as a quoted JSON string.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { appendString(UnsafeRawBufferPointer($0), to: &out) }
    }

    /// Appends `bytes` (UTF-8) as a quoted JSON string: runs that need no
    /// escaping are copied whole.
    public static func appendString(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.append(0x22)
        var runStart = 0
        for i in 0..<bytes.count {
            let b = bytes[i]
            if isPlain(b) { continue }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<i]))
            appendEscaped(b, to: &out)
            runStart = i + 1
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart...]))
        out.append(0x22)
    }

    /// Appends `bytes` (UTF-8) as a quoted JSON string.
    public static func appendString<S: Sequence>(_ bytes: S, to out: inout [UInt8]) where S.Element == UInt8 {
        out.append(0x22)
        for b in bytes {
            if isPlain(b) { out.append(b) } else { appendEscaped(b, to: &out) }
        }
        out.append(0x22)
    }

    private static func appendEscaped(_ b: UInt8, to out: inout [UInt8]) {
        switch b {
        case 0x22: out.append(contentsOf: [0x5C, 0x22])
        case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
        case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        default:
            let hex = Array("0123456789abcdef".utf8)
            out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
        }
    }
}
