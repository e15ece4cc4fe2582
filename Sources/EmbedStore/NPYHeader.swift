/// The header of a NumPy `.npy` file: a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 64), }`,
/// parsed as the literal it is (quotes of either kind, any key order,
/// whitespace anywhere, trailing commas) rather than searched for substrings.
///
/// Rules: keys `descr`, `fortran_order` and `shape` are each required once;
/// anything else is an error that quotes the offending text.
struct NPYHeader: Equatable {
    /// The element type: float32 or float64, either byte order.
    enum ElementType: Equatable {
        case float32(bigEndian: Bool)
        case float64(bigEndian: Bool)

        var byteCount: Int {
            switch self {
            case .float32: return 4
            case .float64: return 8
            }
        }
    }

    var element: ElementType
    var fortranOrder: Bool
    var shape: [Int]

    /// A Python literal value the header may hold.
    private enum Value {
        case string(String)
        case bool(Bool)
        case tuple([Int])
    }

    /// Parses `text`; the error is a reason for the user.
    static func parse(_ text: String) throws(NPYHeaderError) -> NPYHeader {
        var p = Parser(bytes: Array(text.utf8))
        let dict = try p.dictionary()
        guard case .string(let descr)? = dict["descr"] else { throw NPYHeaderError("the header has no 'descr' string") }
        guard case .bool(let fortran)? = dict["fortran_order"] else { throw NPYHeaderError("the header has no 'fortran_order' flag") }
        guard case .tuple(let shape)? = dict["shape"] else { throw NPYHeaderError("the header has no 'shape' tuple") }
        let element: ElementType
        switch descr {
        case "<f4", "=f4": element = .float32(bigEndian: false)
        case ">f4": element = .float32(bigEndian: true)
        case "<f8", "=f8": element = .float64(bigEndian: false)
        case ">f8": element = .float64(bigEndian: true)
        default:
            throw NPYHeaderError("unsupported dtype '\(descr)': recsys reads float32 and float64 (converted to float32); save with np.save(path, arr.astype(np.float32))")
        }
        return NPYHeader(element: element, fortranOrder: fortran, shape: shape)
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
        }

        func unexpected(_ what: String) -> NPYHeaderError {
            let rest = String(decoding: bytes[i...].prefix(20), as: UTF8.self)
            return NPYHeaderError(rest.isEmpty ? "the header ends where \(what) should be" : "the header has '\(rest)' where \(what) should be")
        }

        mutating func expect(_ c: UInt8, _ what: String) throws(NPYHeaderError) {
            skipSpace()
            guard i < bytes.count, bytes[i] == c else { throw unexpected(what) }
            i += 1
        }

        /// True (and consumed) when the next non-space byte is `c`.
        mutating func take(_ c: UInt8) -> Bool {
            skipSpace()
            if i < bytes.count, bytes[i] == c { i += 1; return true }
            return false
        }

        mutating func dictionary() throws(NPYHeaderError) -> [String: Value] {
            try expect(UInt8(ascii: "{"), "'{'")
            var out: [String: Value] = [:]
            while !take(UInt8(ascii: "}")) {
                let key = try string()
                try expect(UInt8(ascii: ":"), "':' after '\(key)'")
                let value = try self.value()
                if out.updateValue(value, forKey: key) != nil { throw NPYHeaderError("the header repeats the key '\(key)'") }
                if take(UInt8(ascii: "}")) { break }
                try expect(UInt8(ascii: ","), "',' or '}'")
            }
            skipSpace()
            guard i == bytes.count else { throw unexpected("the end of the header") }
            return out
        }

        mutating func string() throws(NPYHeaderError) -> String {
            skipSpace()
            guard i < bytes.count, bytes[i] == 0x27 || bytes[i] == 0x22 else { throw unexpected("a quoted key or string") }
            let quote = bytes[i]
            i += 1
            let start = i
            while i < bytes.count, bytes[i] != quote {
                if bytes[i] == 0x5C { throw NPYHeaderError("escapes in header strings are not supported") }
                i += 1
            }
            guard i < bytes.count else { throw NPYHeaderError("unterminated string in the header") }
            defer { i += 1 }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }

        mutating func value() throws(NPYHeaderError) -> Value {
            skipSpace()
            guard i < bytes.count else { throw unexpected("a value") }
            switch bytes[i] {
            case 0x27, 0x22: return .string(try string())
            case UInt8(ascii: "("): return .tuple(try tuple())
            default:
                for (word, flag) in [("True", true), ("False", false)] where bytes[i...].starts(with: word.utf8) {
                    i += word.utf8.count
                    return .bool(flag)
                }
                throw unexpected("a string, True, False or a tuple")
            }
        }

        mutating func tuple() throws(NPYHeaderError) -> [Int] {
            try expect(UInt8(ascii: "("), "'('")
            var out: [Int] = []
            while !take(UInt8(ascii: ")")) {
                skipSpace()
                let start = i
                while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
                if i < bytes.count, bytes[i] == UInt8(ascii: "L") { i += 1 } // Python 2's long suffix
                guard i > start, let n = Int(String(decoding: bytes[start..<i].filter { $0 != UInt8(ascii: "L") }, as: UTF8.self)) else {
                    throw unexpected("a non-negative integer in the shape")
                }
                out.append(n)
                if take(UInt8(ascii: ")")) { break }
                try expect(UInt8(ascii: ","), "',' or ')' in the shape")
            }
            return out
        }
    }
}

/// Why an `.npy` header was refused, in words for the user.
struct NPYHeaderError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
