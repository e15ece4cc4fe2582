@testable import EmbedStore
import Foundation
import RecsysTestSupport
import XCTest

/// The fast decimal parser must agree with `strtof` bit for bit wherever it
/// answers (imports promise correctly rounded values: exported text reads
/// back exactly), and must answer for the text embedding files hold.
final class DecimalFloatTests: XCTestCase {
    /// `strtof`'s value and how many bytes it read.
    private func reference(_ text: String) -> (Float, Int) {
        text.withCString { s in
            var end: UnsafeMutablePointer<CChar>? = nil
            let v = strtof(s, &end)
            return (v, end! - UnsafeMutablePointer(mutating: s))
        }
    }

    /// DecimalFloat's answer (nil when it declines) and how many bytes it read.
    private func fast(_ text: String) -> (Float, Int)? {
        var text = text
        return text.withUTF8 { b in
            DecimalFloat.withPowersOfTen { DecimalFloat.parse(b.baseAddress!, b.baseAddress! + b.count, powersOfTen: $0) }.map { ($0.value, $0.next - b.baseAddress!) }
        }
    }

    private func assertAgrees(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        guard let (v, n) = fast(text) else { return false }
        let (r, rn) = reference(text)
        XCTAssertEqual(v.bitPattern, r.bitPattern, "'\(text)': \(v) vs strtof \(r)", file: file, line: line)
        XCTAssertEqual(n, rn, "'\(text)': read \(n) bytes, strtof \(rn)", file: file, line: line)
        return true
    }

    /// Shortest-repr and fixed-precision spellings of random floats: the
    /// parser answers for nearly all and agrees with strtof on every one.
    func testAgreesWithStrtofOnPrintedFloats() {
        var rng = SplitMix64(seed: 42)
        var answered = 0, total = 0
        for i in 0..<60_000 {
            // embedding-like magnitudes most of the time, any finite float otherwise
            let x: Float
            if i % 4 == 0 {
                x = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
                if !x.isFinite { continue }
            } else {
                x = (rng.unit() * 2 - 1) * Float(pow(10, Double(Int(rng.next() % 7)) - 4))
            }
            for text in [x.description, String(format: "%.9g", Double(x)), String(format: "%.6f", Double(x)), String(format: "%e", Double(x))] {
                total += 1
                if assertAgrees(text) { answered += 1 }
            }
        }
        XCTAssertGreaterThan(Double(answered) / Double(total), 0.9, "the fast path declined too often: \(answered) of \(total)")
    }

    /// Decimals close to the midpoint between two adjacent floats, where a
    /// double-then-float rounding would go wrong if it were not caught.
    func testNearMidpointsRoundLikeStrtof() {
        var rng = SplitMix64(seed: 7)
        var answered = 0, total = 0
        for _ in 0..<40_000 {
            let f = (rng.unit() + 0.001) * Float(pow(10, Double(Int(rng.next() % 9)) - 4))
            let mid = (Double(f) + Double(f.nextUp)) / 2
            for digits in [9, 12, 15, 17, 19] {
                for t in [mid, mid.nextUp, mid.nextDown] {
                    total += 1
                    if assertAgrees(String(format: "%.\(digits)g", t)) { answered += 1 }
                }
            }
        }
        // the hard cases are the point: the fast path must answer most of them, not leave them to strtof
        XCTAssertGreaterThan(Double(answered) / Double(total), 0.5, "the fast path declined too often near midpoints: \(answered) of \(total)")
        // exact midpoints: 2^24 + 1 ties to even, and a midpoint with a fraction
        XCTAssertEqual(fast("16777217").map { $0.0 } ?? reference("16777217").0, 16_777_216)
        _ = assertAgrees("0.5000000298023223876953125")
    }

    /// Random digit strings with points and exponents, and the forms the
    /// parser must leave to strtof (which the import then accepts or rejects).
    func testRandomDecimalsAndDeclinedForms() {
        var rng = SplitMix64(seed: 3)
        var answered = 0
        for _ in 0..<50_000 {
            var s = rng.next() % 2 == 0 ? "-" : ""
            let digits = 1 + Int(rng.next() % 22)
            let point = Int(rng.next() % UInt64(digits + 1))
            for d in 0..<digits {
                if d == point && d > 0 { s += "." }
                s += String(rng.next() % 10)
            }
            if rng.next() % 3 == 0 { s += "e\(Int(rng.next() % 61) - 30)" }
            if assertAgrees(s) { answered += 1 }
        }
        XCTAssertGreaterThan(Double(answered) / 50_000, 0.55, "the fast path declined too often on random decimals: \(answered) of 50000")
        for declined in ["inf", "-nan", "0x1p3", "1e", "1e+", ".", "-", "+", "1.5x", "2.e5q", "1e99999", "12345678901234567890123"] {
            XCTAssertNil(fast(declined), "'\(declined)' should be left to strtof")
        }
        for text in ["0", "-0", "+1.5", ".5", "5.", "1e22", "1E-22", "007", "1.5e+3", "1e-22", "9007199254740992"] {
            XCTAssertTrue(assertAgrees(text), "'\(text)' should be parsed on the fast path")
        }
        XCTAssertEqual(fast("-0")?.0.sign, .minus)
    }
}
