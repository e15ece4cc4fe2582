import EmbedStore
import Foundation
import Serving
import RecsysTestSupport
import XCTest

final class JSONWriterTests: XCTestCase {
    func written(_ body: (inout JSONWriter) -> Void) -> String {
        var w = JSONWriter(capacity: 8)
        body(&w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// Scores are written as the shortest decimal that reads back to the same
    /// float (Swift's `description`); non-finite values, which JSON cannot
    /// hold, as null.
    func testNumbersRoundTripAndMatchDescription() {
        var rng = SplitMix64(seed: 3)
        var floats: [Float] = [0, -0.0, 1, -1, 0.1, 1e-7, 3.4028235e38, 1.1754944e-38, 1.0e-45, 123456792]
        for _ in 0..<2000 { floats.append(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))) }
        for x in floats where x.isFinite {
            let text = written { $0.number(x) }
            XCTAssertEqual(text, x.description)
            XCTAssertEqual(Float(text)?.bitPattern, x.bitPattern, text)
        }
        for _ in 0..<500 {
            let x = Double(bitPattern: rng.next())
            guard x.isFinite else { continue }
            let text = written { $0.number(x) }
            XCTAssertEqual(text, x.description)
            XCTAssertEqual(Double(text)?.bitPattern, x.bitPattern, text)
        }
        for x in [Float.nan, .infinity, -.infinity] { XCTAssertEqual(written { $0.number(x) }, "null") }
        XCTAssertEqual(written { $0.number(Double.nan) }, "null")
        // many numbers grow the buffer past its first capacity
        let many = written { w in for i in 0..<100 { if i > 0 { w.raw(",") }; w.number(Float(i) / 7) } }
        XCTAssertEqual(many, (0..<100).map { (Float($0) / 7).description }.joined(separator: ","))
    }
}
