import EmbedStore
import Foundation
import XCTest

final class JSONObjectReaderTests: XCTestCase {
    struct Body { var table: String?; var vector: [Float] = []; var k: Int?; var filters: [String: String] = [:]; var ids: [String] = [] }

    func read(_ text: String) throws -> Body { try read(bytes: Array(text.utf8)) }

    func read(bytes: [UInt8]) throws -> Body {
        var b = Body()
        try bytes.withUnsafeBytes { bytes in
            try JSONObjectReader.fields(of: bytes) { key, v in
                if v.readNull() { return }
                switch key {
                case "table": b.table = try v.string()
                case "vector": b.vector = try v.floats()
                case "k": b.k = try v.int()
                case "where": b.filters = try v.stringMap()
                case "ids": b.ids = try v.ids()
                default: break
                }
            }
        }
        return b
    }

    func error(_ text: String) -> JSONFieldError? {
        do { _ = try read(text); return nil } catch { return error as? JSONFieldError }
    }

    func testReadsFieldsNumbersAsIDsAndSkipsUnknownKeys() throws {
        let b = try read(#" {"table": "t\u00e9", "vector": [1, -2.5e1, 0.125], "k": 7, "x": {"deep": [1, {"a": null}]}, "where": {"genre": "Drama"}, "ids": ["a", 10292, 1.5], "n": null} "#)
        XCTAssertEqual(b.table, "té")
        XCTAssertEqual(b.vector, [1, -25, 0.125])
        XCTAssertEqual(b.k, 7)
        XCTAssertEqual(b.filters, ["genre": "Drama"])
        XCTAssertEqual(b.ids, ["a", "10292", "1.5"])
        XCTAssertNil(try read(#"{"table": null}"#).table, "null is absent")
    }

    func testErrorsNameTheFieldAndTheKindOfProblem() {
        XCTAssertEqual(error(#"{"vector": [1, "x"]}"#), JSONFieldError(path: "vector[1]", problem: "expected a number", wrongType: true))
        XCTAssertEqual(error(#"{"where": {"genre": 1}}"#), JSONFieldError(path: "where.genre", problem: "expected a string", wrongType: true))
        XCTAssertEqual(error(#"{"ids": [true]}"#), JSONFieldError(path: "ids[0]", problem: "expected a string or a number", wrongType: true))
        XCTAssertEqual(error(#"{"k": 1.5}"#), JSONFieldError(path: "k", problem: "expected an integer", wrongType: true))
        XCTAssertEqual(error(#"{"k": 1, "k": 2}"#)?.problem, "appears twice")
        XCTAssertEqual(error(#"{"vector": [01]}"#)?.path, "vector[0]", "RFC 8259 numbers only")
        XCTAssertEqual(error(#"{"k": 1} {"#)?.problem, "unexpected text after the object")
        XCTAssertEqual(error("[1]")?.problem, "expected a JSON object")
        XCTAssertEqual(error(#"{"table": "a"#)?.problem, "unterminated string")
        XCTAssertEqual(error(#"{"x": "# + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "}")?.problem, "nesting too deep")
    }

    /// Fuzz: mutated and random bodies never trap, and every body the reader
    /// accepts is JSON that Foundation's parser accepts too.
    func testFuzzedBodiesNeverTrapAndAcceptedOnesAreJSON() {
        var rng = SystemRandomNumberGenerator()
        let seeds = [#"{"table": "item2vec", "vector": [1.5, -2e3, 0], "k": 10, "where": {"genre": "Comedy"}, "ids": ["1", 2]}"#,
                     #"{"x": [true, false, null, {"y": "\n\u0041\ud83d\ude00"}], "vector": []}"#]
        let alphabet = Array(#"{}[]":,-+.eE0123456789 truefalsn\u"#.utf8) + [0x00, 0xFF, 0x0A]
        var accepted = 0
        for round in 0..<20_000 {
            var bytes = Array(seeds[round % seeds.count].utf8)
            if round % 10 == 9 {
                bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            } else {
                for _ in 0...Int.random(in: 0...3, using: &rng) where !bytes.isEmpty {
                    let at = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: bytes[at] = alphabet.randomElement(using: &rng)!
                    case 1: bytes.remove(at: at)
                    default: bytes.insert(alphabet.randomElement(using: &rng)!, at: at)
                    }
                }
            }
            if (try? read(bytes: bytes)) != nil {
                accepted += 1
                // Foundation also refuses numbers beyond Double's range, which
                // RFC 8259 grammar allows: judge the grammar with long exponents
                // zeroed (same length, so escapes such as \u0E041 stay valid)
                let text = String(decoding: bytes, as: UTF8.self)
                let inRange = text.replacing(try! Regex(#"([0-9][eE][+-]?)([0-9]{3,})"#)) { m in
                    (m.output[1].substring ?? "") + String(repeating: "0", count: m.output[2].substring?.count ?? 0)
                }
                XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(inRange.utf8)) as? [String: Any], text)
            }
        }
        XCTAssertGreaterThan(accepted, 100, "the mutations should leave some bodies valid")
    }
}
