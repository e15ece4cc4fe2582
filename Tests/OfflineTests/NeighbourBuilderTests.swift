import EmbedStore
import Offline
import Recall
import RecsysTestSupport
import XCTest

final class NeighbourBuilderTests: XCTestCase {
    private let names = ["a", "b", "c", "d"]

    /// Cosine of user sets: items 0 and 1 share both their users, 2 shares one of 0's.
    func testCosineByCooccurrenceHistoryExcluded() throws {
        let nb = try NeighbourBuilder.build(sequences: [[0, 1, 2], [0, 1], [3]], itemIDs: names, method: .cosine, neighbours: 2)
        XCTAssertEqual(nb.header.method, .cosine)
        var scratch = [Float](repeating: 0, count: 4)
        let r = nb.recommend(history: [0], k: 10, scratch: &scratch)
        XCTAssertEqual(r.map(\.item), [1, 2])
        XCTAssertEqual(r[0].score, 1, accuracy: 1e-6)               // 2 / sqrt(2 * 2)
        XCTAssertEqual(r[1].score, 1 / Float(2).squareRoot(), accuracy: 1e-6) // 1 / sqrt(2 * 1)
        XCTAssertEqual(scratch, [0, 0, 0, 0], "scratch left zeroed")
        XCTAssertEqual(nb.recommend(history: [0, 1], k: 10, scratch: &scratch).map(\.item), [2], "history items never returned")
        XCTAssertEqual(nb.recommend(history: [3], k: 10, scratch: &scratch).count, 0, "an item with no co-occurrence has no neighbours")
        XCTAssertEqual(nb.header.counts, [2, 2, 1, 1])
        XCTAssertEqual(nb.popular, [0, 1, 2, 3])
    }

    /// EASE^R's weights equal the closed form computed here in Double by
    /// Gauss-Jordan: B(i, j) = -P(i, j) / P(j, j), P = (XᵀX + λI)⁻¹.
    func testEaseMatchesTheClosedForm() throws {
        var rng = SeededRandom(seed: 7)
        let n = 12
        let users: [[Int32]] = (0..<40).map { _ in (0..<n).filter { _ in Double.random(in: 0..<1, using: &rng) < 0.35 }.map(Int32.init) }
        let lambda: Float = 2
        let nb = try NeighbourBuilder.build(sequences: users, itemIDs: (0..<n).map { "i\($0)" }, method: .ease, lambda: lambda, neighbours: n)
        XCTAssertEqual(nb.header.method, .ease)
        let active = (0..<n).filter { i in users.contains { $0.contains(Int32(i)) } }
        let d = active.count
        var g = [[Double]](repeating: [Double](repeating: 0, count: 2 * d), count: d)
        for (a, i) in active.enumerated() {
            for (b, j) in active.enumerated() { g[a][b] = Double(users.filter { $0.contains(Int32(i)) && $0.contains(Int32(j)) }.count) }
            g[a][a] += Double(lambda)
            g[a][d + a] = 1
        }
        for c in 0..<d {
            let p = g[c][c]
            for k in 0..<(2 * d) { g[c][k] /= p }
            for r in 0..<d where r != c { let f = g[r][c]; for k in 0..<(2 * d) { g[r][k] -= f * g[c][k] } }
        }
        var scratch = [Float](repeating: 0, count: n)
        for (a, i) in active.enumerated() {
            let got = nb.score(active.map(Int32.init), history: [Int32(i)], decay: 1, scratch: &scratch)
            for (b, _) in active.enumerated() where b != a {
                let w = -g[a][d + b] / g[b][d + b]
                XCTAssertEqual(Double(got[b]), max(0, w), accuracy: 1e-4, "B(\(i), \(active[b]))")
            }
        }
        XCTAssertEqual(scratch, [Float](repeating: 0, count: n), "scratch left zeroed")
    }

    /// decay^age weights: the latest item counts fully, a repeat counts once at its latest position.
    func testDecayWeighsRecentItems() throws {
        let nb = try NeighbourBuilder.build(sequences: [[0, 1], [2, 3], [0, 1], [2, 3]], itemIDs: names, method: .cosine, neighbours: 3)
        var scratch = [Float](repeating: 0, count: 4)
        XCTAssertEqual(nb.recommend(history: [0, 2], decay: 0.5, k: 1, scratch: &scratch).map(\.item), [3], "2 is the latest")
        XCTAssertEqual(nb.recommend(history: [2, 0], decay: 0.5, k: 1, scratch: &scratch).map(\.item), [1])
        XCTAssertEqual(nb.recommend(history: [0, 2, 0], decay: 0.5, k: 1, scratch: &scratch).map(\.item), [1], "0 again, latest")
        let s = nb.score([1, 3], history: [0, 2], decay: 0.5, scratch: &scratch)
        XCTAssertEqual(s[0], 0.5, accuracy: 1e-6)
        XCTAssertEqual(s[1], 1, accuracy: 1e-6)
    }

    func testStoredRoundTripAndDamageIsReported() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        let nb = try NeighbourBuilder.build(sequences: [[0, 1, 2], [0, 1], [3]], itemIDs: names, method: .ease, lambda: 1, neighbours: 2)
        try store.write { try nb.save($0) }
        let back = try XCTUnwrap(try store.read { try ItemNeighbours.load($0) })
        XCTAssertEqual(back.ids, nb.ids)
        XCTAssertEqual(back.weights, nb.weights)
        XCTAssertEqual(back.header.itemIDs, names)
        XCTAssertEqual(try store.read { try ItemNeighbours.list($0) }, ["neighbours"])
        XCTAssertNil(try store.read { try ItemNeighbours.load($0, name: "other") })
        XCTAssertThrowsError(try NeighbourBuilder.build(sequences: [[0]], itemIDs: names, lambda: 0))
        XCTAssertThrowsError(try NeighbourBuilder.build(sequences: [[0]], itemIDs: names, neighbours: 0))
    }
}
