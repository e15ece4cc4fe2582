import Offline
import XCTest

final class ItemKNNTests: XCTestCase {
    /// Cosine of user sets: items 0 and 1 share both their users, 2 shares one of 0's.
    func testNeighboursByCooccurrenceCosineHistoryExcluded() {
        let knn = ItemKNN(sequences: [[0, 1, 2], [0, 1], [3]], itemCount: 4, neighbours: 2)
        var scratch = [Float](repeating: 0, count: 4)
        let r = knn.recommend(history: [0], k: 10, scratch: &scratch)
        XCTAssertEqual(r.map(\.item), [1, 2])
        XCTAssertEqual(r[0].score, 1, accuracy: 1e-6)               // 2 / sqrt(2 * 2)
        XCTAssertEqual(r[1].score, 1 / Float(2).squareRoot(), accuracy: 1e-6) // 1 / sqrt(2 * 1)
        XCTAssertEqual(scratch, [0, 0, 0, 0], "scratch left zeroed")
        XCTAssertEqual(knn.recommend(history: [0, 1], k: 10, scratch: &scratch).map(\.item), [2], "history items never returned")
        XCTAssertEqual(knn.recommend(history: [3], k: 10, scratch: &scratch).count, 0, "an item with no co-occurrence has no neighbours")
    }
}
