import EmbedStore
import Foundation
@testable import Ranker
import RecsysTestSupport
import XCTest

/// Multi-valued columns (bags pooled by a combiner) and DIN's attention over
/// the user's history.
final class BagAndAttentionTests: XCTestCase {
    let dir = TempDir()

    func write(_ name: String, _ text: String) -> String { dir.write(name, text) }

    /// Item genres "A|B" in one field, the user's last three items in three
    /// columns (some empty), the item id through the same table as the history.
    static func spec(_ combiner: Combiner, attention: Bool = false) -> FeatureSpec {
        FeatureSpec(
            categorical: [CategoricalFeature(name: "iid", identity: 50, dimension: 3, table: "item", entity: .item),
                          CategoricalFeature(name: "recent", identity: 50, dimension: 3, table: "item", entity: .user, columns: ["h1", "h2", "h3"],
                                             multi: MultiValue(combiner: combiner), attention: attention ? Attention(query: "iid", hidden: 5) : nil),
                          CategoricalFeature(name: "genres", vocabulary: ["A", "B", "C"], dimension: 2, entity: .item, multi: MultiValue(separator: "|", combiner: combiner)),
                          CategoricalFeature(name: "uid", hashBuckets: 7, dimension: 2, entity: .user)],
            numeric: [NumericFeature(name: "x", transform: .standardize, entity: .item)],
            label: "label", userID: "uid", itemID: "iid", hidden: [6, 5])
    }

    /// Label: the item was among the user's recent ones, or x > 0.5.
    static func samples(_ n: Int, seed: UInt64) -> String {
        var rng = SplitMix64(seed: seed)
        var csv = "uid,iid,genres,h1,h2,h3,x,label\n"
        for i in 0..<n {
            let item = Int(rng.next() % 40), x = rng.unit() * 2 - 1
            let recent = (0..<3).map { k in k <= i % 3 ? String((item + Int(rng.next() % 3) * (k + 1)) % 40) : "" }
            let genres = ["A|B", "C", "", "B|C|A", "A|Z"][i % 5]
            let label = recent.contains(String(item)) || x > 0.5
            csv += "u\(i % 13),\(item),\(genres),\(recent.joined(separator: ",")),\(x),\(label ? 1 : 0)\n"
        }
        return csv
    }

    func testFiniteDifferenceGradientsOfEachCombinerAndOfAttention() throws {
        let path = write("g.csv", Self.samples(16, seed: 3))
        for combiner in Combiner.allCases {
            let spec = BagAndAttentionTests.spec(combiner)
            assertGradients(spec, try SampleSet.load(path, spec: spec), "combiner \(combiner)")
        }
        let din = BagAndAttentionTests.spec(.sum, attention: true)
        assertGradients(din, try SampleSet.load(path, spec: din), "attention")
    }

    /// The activation unit's backward pass alone, against finite differences
    /// of a linear objective of the pooled slots (smooth but for the unit's
    /// ReLU, so the check can be tight): both layers of the unit, every
    /// history row and every candidate row.
    func testFiniteDifferenceGradientsOfTheActivationUnit() throws {
        let spec = BagAndAttentionTests.spec(.sum, attention: true)
        let data = try SampleSet.load(write("a.csv", Self.samples(16, seed: 3)), spec: spec)
        let model = try EmbeddingMLP(spec: spec, seed: 11)
        let trainer = Trainer(model: model)
        let a = try XCTUnwrap(model.attention)
        let width = spec.inputWidth, off = model.columnOffset[a.bag], d = spec.categorical[a.bag].dimension, n = data.count
        var rng = SplitMix64(seed: 8)
        let c = (0..<(n * width)).map { _ in rng.unit() * 2 - 1 }
        let scratch = AttentionScratch()
        var x = [Float](repeating: 0, count: n * width)
        func objective() -> Double {
            x.withUnsafeMutableBufferPointer { model.stack(data, rows: 0..<n, into: $0.baseAddress!, scratch: scratch) }
            return (0..<n).reduce(0.0) { s, r in (0..<d).reduce(s) { $0 + Double(c[r * width + off + $1]) * Double(x[r * width + off + $1]) } }
        }
        _ = objective()
        XCTAssertGreaterThan(scratch.pairs, n)
        c.withUnsafeBufferPointer { trainer.attentionBackward(scratch, gradOut: $0.baseAddress! + off, stride: width) }
        let opt = trainer.optimizer, eps: Float = 1e-3
        func check(_ analytic: Float, _ bump: (Float) -> Void, _ what: String) {
            bump(eps); let up = objective()
            bump(-2 * eps); let down = objective()
            bump(eps)
            let numeric = (up - down) / Double(2 * eps)
            XCTAssertEqual(Double(analytic), numeric, accuracy: 1e-3 + 0.02 * abs(numeric), what)
        }
        for l in [a.first, a.second] {
            for i in stride(from: 0, to: model.layers[l].weights.count, by: 7) {
                check(opt.gradW[l][i], { model.layers[l].weights[i] += $0 }, "unit layer \(l) weight \(i)")
            }
            check(opt.gradB[l][0], { model.layers[l].bias[0] += $0 }, "unit layer \(l) bias")
        }
        let k = model.columnTable[a.bag]
        let candidates = Set((0..<n).compactMap { data.bag($0, a.query).first.map { Int(data.bagValues[$0]) } })
        XCTAssertTrue(candidates.isSubset(of: Set(opt.touched[k].map(Int.init))), "candidate rows get gradients")
        for r in opt.touched[k] {
            for e in 0..<d {
                let i = Int(r) * d + e
                check(opt.gradTables[k][i], { model.tables[k][i] += $0 }, "table row \(r) entry \(e)")
            }
        }
    }

    /// A bag's slot is the combiner's pool of its rows; empty and unknown
    /// values are skipped (an empty bag is a zero vector), unknown ones counted.
    func testBagsPoolTheirRowsSkippingEmptyAndUnknownValues() throws {
        let csv = "uid,iid,genres,h1,h2,h3,x,label\nu1,4,A|B,7,,9,0.5,1\nu2,5,,,,,0.1,0\nu3,6,Z|C,99,8,,0.2,1\n"
        for combiner in Combiner.allCases {
            let spec = BagAndAttentionTests.spec(combiner)
            let data = try SampleSet.load(write("b.csv", csv), spec: spec)
            XCTAssertEqual(data.unknownValues, 2) // genre Z, item 99 (outside identity 50)
            let m = try EmbeddingMLP(spec: spec, seed: 2)
            var x = [Float](repeating: .nan, count: spec.inputWidth)
            func slot(_ row: Int, _ column: Int) -> [Float] {
                x.withUnsafeMutableBufferPointer { m.stack(data, row: row, into: $0.baseAddress!) }
                return Array(x[m.columnOffset[column]..<(m.columnOffset[column] + spec.categorical[column].dimension)])
            }
            func pooled(_ table: Int, _ rows: [Int]) -> [Float] {
                let d = m.tableDimension[table], w = EmbeddingMLP.poolWeight(combiner, rows.count)
                return (0..<d).map { e in rows.reduce(Float(0)) { $0 + w * m.tables[table][$1 * d + e] } }
            }
            let genreTable = m.columnTable[2], itemTable = m.columnTable[1]
            for (a, b) in zip(slot(0, 1), pooled(itemTable, [7, 9])) { XCTAssertEqual(a, b, accuracy: 1e-6, "\(combiner)") }
            for (a, b) in zip(slot(0, 2), pooled(genreTable, [0, 1])) { XCTAssertEqual(a, b, accuracy: 1e-6, "\(combiner)") }
            XCTAssertEqual(slot(1, 1), [0, 0, 0])
            XCTAssertEqual(slot(1, 2), [0, 0])
            for (a, b) in zip(slot(2, 1), pooled(itemTable, [8])) { XCTAssertEqual(a, b, accuracy: 1e-6, "\(combiner)") }
            for (a, b) in zip(slot(2, 2), pooled(genreTable, [2])) { XCTAssertEqual(a, b, accuracy: 1e-6, "\(combiner)") }
        }
    }

    /// Serving a DIN model from the store (user part once, item parts
    /// cached, attention per candidate) gives the plain forward pass's scores.
    func testAttentionModelServesTheForwardPassScores() throws {
        let spec = BagAndAttentionTests.spec(.mean, attention: true)
        let data = try SampleSet.load(write("s.csv", Self.samples(400, seed: 5)), spec: spec)
        let model = try EmbeddingMLP(spec: spec, seed: 4)
        let reports = try Trainer(model: model).train(data, options: TrainingOptions(epochs: 4, batchSize: 16, learningRate: 0.01, seed: 4))
        XCTAssertLessThan(reports.last!.loss, reports.first!.loss)
        let store = try Store(path: dir.file("s.lmdb"))
        try store.write { txn in try RankerModel.save(txn, name: "din", model: model, options: TrainingOptions(), metrics: [:], data: data) }
        let loaded = try store.read { txn in try RankerModel.load(txn, name: "din") }
        let user = try XCTUnwrap(try store.read { txn in try txn.featureRow(.user, "u1") })
        XCTAssertNotNil(user["h1"], "the history bag's columns are stored in the user's feature row")
        let items = (0..<40).map(String.init)
        for pass in 0..<2 { // cold, then from the item part cache
            let scores = try store.read { txn in try loaded.score(txn, user: "u1", items: items) }.scores
            let merged = try store.read { txn in
                try items.map { i in user.merging(try txn.featureRow(.item, i) ?? [:]) { $1 }.merging(["iid": i, "uid": "u1"]) { $1 } }
            }
            let plain = loaded.model.predict(SampleSet(spec: spec, rows: merged))
            for (i, (a, b)) in zip(scores, plain).enumerated() { XCTAssertEqual(a, b, accuracy: 1e-5, "item \(i) pass \(pass)") }
            XCTAssertGreaterThan(Set(scores.map { ($0 * 1e4).rounded() }).count, 10, "scores should depend on the candidate")
        }
        // the row-keyed path the service uses (item parts and query rows by catalogue row), cold and warm
        let catalogue = items.reversed().map { $0 }
        let byID = try store.read { txn in try loaded.score(txn, user: "u1", items: catalogue) }.scores
        let fresh = try store.read { txn in try RankerModel.load(txn, name: "din") } // nothing cached
        let index = fresh.rowIndex(count: catalogue.count)
        for pass in 0..<2 {
            let byRow = try store.read { txn in
                try fresh.score(user: "u1", rows: Array(catalogue.indices), of: index, ids: { $0.map { catalogue[$0] } }) { entity, keys in
                    try keys.map { try txn.featureRow(entity, $0) }
                }
            }
            XCTAssertEqual(byRow.scores, byID, "pass \(pass)")
        }
        // concurrent requests (the service's threads) each get their own working memory
        let users = (0..<13).map { "u\($0)" }, candidates = (0..<800).map { String($0 % 40) }, requests = 20 * users.count
        let serial = try users.map { u in try store.read { txn in try loaded.score(txn, user: u, items: candidates) }.scores }
        let results = ConcurrentResults(count: requests)
        DispatchQueue.concurrentPerform(iterations: requests) { i in
            let scores = try? store.read { txn in try loaded.score(txn, user: users[i % users.count], items: candidates) }.scores
            results.set(i, scores)
        }
        let differing = results.value.indices.filter { results.value[$0] != serial[$0 % users.count] }
        XCTAssertEqual(differing, [], "concurrent requests whose scores differ from the same user's serial ones")
    }

    func testSpecMistakesAreNamed() {
        func refused(_ change: (inout FeatureSpec) -> Void, _ message: String, line: UInt = #line) {
            var spec = BagAndAttentionTests.spec(.sum, attention: true)
            change(&spec)
            XCTAssertThrowsError(try spec.validate(), line: line) { XCTAssertTrue("\($0)".contains(message), "\($0)", line: line) }
        }
        refused({ $0.categorical[1].columns = nil; $0.categorical[1].multi = nil }, "attention needs a user bag")
        refused({ $0.categorical[1].attention = Attention(query: "genres") }, "must be a single-valued item column sharing table 'item'")
        refused({ $0.categorical[1].attention = Attention(query: "iid", hidden: 0) }, "hidden units")
        refused({ $0.categorical[2].multi = MultiValue(separator: "", combiner: .sum) }, "separator")
        refused({ $0.categorical[1].columns = ["h1", "h1"] }, "distinct")
        refused({ s in
            var second = s.categorical[1]
            second.name = "again"
            s.categorical.append(second)
        }, "at most one attention column")
    }
}

/// Results written from concurrent iterations.
private final class ConcurrentResults: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var value: [[Float]?]
    init(count: Int) { value = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ scores: [Float]?) { lock.withLock { value[i] = scores } }
}
