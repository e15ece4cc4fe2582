import EmbedStore
import Foundation
import Offline
import RecsysTestSupport
import XCTest

final class DeepWalkTests: XCTestCase {
    /// Two chains of items that users walk through in order: walks stay on
    /// their chain, so each item's nearest neighbours are on its own chain.
    func testWalksKeepToTheGraphAndPlantedChainsComeOutNearest() throws {
        let dir = TempDir()
        var rng = SplitMix64(seed: 8)
        var csv = "userId,movieId,rating,timestamp\n"
        for u in 0..<60 {
            let chain = u % 2
            let offset = Int(rng.next() % 5)
            for t in 0..<12 { csv += "u\(u),c\(chain)i\((offset + t) % 15),4.0,\(t)\n" }
        }
        let log = try InteractionLog(path: dir.write("chains.csv", csv))
        var job = DeepWalk()
        job.walks = 2000
        job.options.dimension = 8
        job.options.threads = 1
        let r = try job.train(log)
        XCTAssertEqual(r.ids.count, 30)
        let d = r.dimension
        func v(_ i: Int) -> ArraySlice<Float> { r.vectors[(i * d)..<((i + 1) * d)] }
        func cos(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
            zip(a, b).map(*).reduce(0, +) / (zip(a, a).map(*).reduce(0, +).squareRoot() * zip(b, b).map(*).reduce(0, +).squareRoot())
        }
        var same = 0, total = 0
        for i in 0..<r.ids.count {
            let nearest = (0..<r.ids.count).filter { $0 != i }.sorted { cos(v(i), v($0)) > cos(v(i), v($1)) }.prefix(5)
            same += nearest.filter { r.ids[$0].prefix(2) == r.ids[i].prefix(2) }.count
            total += nearest.count
        }
        XCTAssertGreaterThan(Double(same) / Double(total), 0.95, "\(same) of \(total) neighbours on the item's own chain")
        // the same seed walks and trains the same way
        XCTAssertEqual(try job.train(log).vectors, r.vectors)
    }

    func testALogWithoutEdgesIsAClearError() throws {
        let dir = TempDir()
        let log = try InteractionLog(path: dir.write("one.csv", "userId,movieId,rating,timestamp\na,1,5.0,1\nb,2,5.0,1\n"))
        XCTAssertThrowsError(try DeepWalk().train(log)) { XCTAssertTrue("\($0)".contains("no edge"), "\($0)") }
        var job = DeepWalk()
        job.walkLength = 1
        XCTAssertThrowsError(try job.train(log)) { XCTAssertTrue("\($0)".contains("--walk-length"), "\($0)") }
    }
}
