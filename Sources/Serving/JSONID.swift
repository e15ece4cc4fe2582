import Foundation

/// An id in a JSON body: a string, or a number as a JavaScript client sends
/// it (`10292` is the id "10292"; integral numbers are written without a
/// fraction).
package struct JSONID: Decodable, Sendable {
    package let value: String

    package init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { value = s; return }
        if let i = try? c.decode(Int64.self) { value = String(i); return }
        if let d = try? c.decode(Double.self), d.isFinite { value = String(d); return }
        throw DecodingError.typeMismatch(String.self, .init(codingPath: decoder.codingPath, debugDescription: "an id must be a string or a number"))
    }
}
