/// Reads the fields of one JSON object (a request body) by name, on the
/// same scanner as JSON Lines import, without Foundation.
///
/// Why not JSONDecoder: decoding a vector-recall body (a 10-number vector
/// and two scalars) took 16 us with it, a fifth of the whole request's CPU
/// under load; this reads one in about a microsecond.
///
/// Rules: the body is exactly one object (RFC 8259; anything after it is an
/// error); a key may appear once; unknown keys are skipped, as JSONDecoder
/// skips them; `null` reads as absent for every optional field. Errors name
/// the field path (`vector[1]`) and whether the value had the wrong type.
public enum JSONObjectReader {
    /// Calls `field` with each key and a cursor on its value; a value the
    /// callback does not read is skipped.
    public static func fields(of bytes: UnsafeRawBufferPointer, _ field: (String, inout JSONValueCursor) throws -> Void) throws {
        try bytes.withMemoryRebound(to: UInt8.self) { b in
            var cursor = JSONValueCursor(parser: JSONLineParser(bytes: b), path: "")
            cursor.parser.skipSpace()
            try cursor.object(field)
            cursor.parser.skipSpace()
            guard cursor.parser.i == b.count else { throw JSONFieldError(path: "", problem: "unexpected text after the object", wrongType: false) }
        }
    }
}

/// What was wrong with a body, and in which field (`""`: the body itself).
public struct JSONFieldError: ClassifiedError, Equatable, Sendable {
    public var kind: ErrorKind { .invalid }
    public var code: String { wrongType ? "wrong_type" : "invalid_body" }
    public let path: String
    public let problem: String
    /// The value is well-formed JSON of another type than the field takes.
    public let wrongType: Bool

    public init(path: String, problem: String, wrongType: Bool) {
        self.path = path
        self.problem = problem
        self.wrongType = wrongType
    }
}

/// A position on one field's value; each read consumes the value.
public struct JSONValueCursor {
    var parser: JSONLineParser
    var path: String

    private func wrongType(_ expected: String, at path: String? = nil) -> JSONFieldError {
        JSONFieldError(path: path ?? self.path, problem: "expected \(expected)", wrongType: true)
    }

    /// True (and consumed) when the value is `null`.
    public mutating func readNull() -> Bool {
        guard parser.bytes[parser.i...].starts(with: "null".utf8) else { return false }
        parser.i += 4
        return true
    }

    public mutating func string() throws -> String {
        guard parser.current == 0x22 else { throw wrongType("a string") }
        var out: [UInt8] = []
        if let r = parser.parseString(into: &out) { throw JSONFieldError(path: path, problem: r, wrongType: false) }
        return String(decoding: out, as: UTF8.self)
    }

    /// A string, or a number as a JavaScript client sends an id: integral
    /// numbers without a fraction (`10292` is "10292").
    public mutating func id() throws -> String {
        if parser.current == 0x22 { return try string() }
        let s = parser.i
        guard let end = parser.numberEnd() else { throw wrongType("a string or a number") }
        let text = String(decoding: parser.bytes[s..<end], as: UTF8.self)
        if let i = Int64(text) { return String(i) }
        guard let d = Double(text), d.isFinite else { throw wrongType("a string or a finite number") }
        return String(d)
    }

    public mutating func int() throws -> Int {
        let s = parser.i
        guard let end = parser.numberEnd(), let v = Int(String(decoding: parser.bytes[s..<end], as: UTF8.self)) else { throw wrongType("an integer") }
        return v
    }

    /// An array of numbers as 32-bit floats.
    public mutating func floats() throws -> [Float] {
        guard parser.expect(UInt8(ascii: "[")) else { throw wrongType("an array of numbers") }
        var out: [Float] = []
        if parser.expect(UInt8(ascii: "]")) { return out }
        guard let base = parser.bytes.baseAddress else { throw wrongType("an array of numbers") }
        while true {
            parser.skipSpace()
            let s = parser.i, element = "\(path)[\(out.count)]"
            guard parser.numberEnd() != nil else { throw wrongType("a number", at: element) }
            if let r = TextScan.floats(base + s, base + parser.i, isSeparator: { _ in false }, into: &out) {
                throw JSONFieldError(path: element, problem: r, wrongType: false)
            }
            if parser.expect(UInt8(ascii: ",")) { continue }
            if parser.expect(UInt8(ascii: "]")) { return out }
            throw JSONFieldError(path: path, problem: "expected ',' or ']'", wrongType: false)
        }
    }

    /// An array of ids (`id()` each).
    public mutating func ids() throws -> [String] {
        var out: [String] = []
        try array { _, value in out.append(try value.id()) }
        return out
    }

    /// An object: calls `field` with each key and a cursor on its value
    /// (path `outer.key`); a value the callback does not read is skipped.
    public mutating func object(_ field: (String, inout JSONValueCursor) throws -> Void) throws {
        guard parser.expect(UInt8(ascii: "{")) else { throw path.isEmpty ? JSONFieldError(path: "", problem: "expected a JSON object", wrongType: false) : wrongType("an object") }
        let outer = path
        defer { path = outer }
        if parser.expect(UInt8(ascii: "}")) { return }
        var seen = Set<String>()
        while true {
            parser.skipSpace()
            var key: [UInt8] = []
            if let r = parser.parseString(into: &key) { throw JSONFieldError(path: outer, problem: r, wrongType: false) }
            let name = String(decoding: key, as: UTF8.self)
            path = outer.isEmpty ? name : "\(outer).\(name)"
            guard seen.insert(name).inserted else { throw JSONFieldError(path: path, problem: "appears twice", wrongType: false) }
            guard parser.expect(UInt8(ascii: ":")) else { throw JSONFieldError(path: path, problem: "expected ':' after the key", wrongType: false) }
            parser.skipSpace()
            let start = parser.i
            try field(name, &self)
            if parser.i == start, let r = parser.skipValue(depth: 0) { throw JSONFieldError(path: path, problem: r, wrongType: false) }
            if parser.expect(UInt8(ascii: ",")) { continue }
            if parser.expect(UInt8(ascii: "}")) { return }
            throw JSONFieldError(path: path, problem: "expected ',' or '}' after the value", wrongType: false)
        }
    }

    /// An array: calls `element` with each index and a cursor on it (path `outer[i]`).
    public mutating func array(_ element: (Int, inout JSONValueCursor) throws -> Void) throws {
        guard parser.expect(UInt8(ascii: "[")) else { throw wrongType("an array") }
        let outer = path
        defer { path = outer }
        if parser.expect(UInt8(ascii: "]")) { return }
        var i = 0
        while true {
            parser.skipSpace()
            path = "\(outer)[\(i)]"
            let start = parser.i
            try element(i, &self)
            if parser.i == start, let r = parser.skipValue(depth: 0) { throw JSONFieldError(path: path, problem: r, wrongType: false) }
            i += 1
            if parser.expect(UInt8(ascii: ",")) { continue }
            if parser.expect(UInt8(ascii: "]")) { return }
            throw JSONFieldError(path: outer, problem: "expected ',' or ']'", wrongType: false)
        }
    }

    /// An object whose values are strings.
    public mutating func stringMap() throws -> [String: String] {
        var out: [String: String] = [:]
        try object { name, value in out[name] = try value.string() }
        return out
    }
}
