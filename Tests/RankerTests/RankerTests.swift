import EmbedStore
import Foundation
@testable import Ranker
import RecsysTestSupport
import XCTest

final class RankerTests: XCTestCase {
    var dir: URL!

    override func setUp() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("recsys-ranker-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ text: String) -> String {
        let p = dir.appendingPathComponent(name).path
        FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        return p
    }

    static let smallSpec = FeatureSpec(
        categorical: [CategoricalFeature(name: "g", vocabulary: ["A", "B", "C"], dimension: 3, table: "shared", entity: .item),
                      CategoricalFeature(name: "h", vocabulary: ["A", "B", "C"], dimension: 3, table: "shared", entity: .user),
                      CategoricalFeature(name: "uid", hashBuckets: 7, dimension: 2, entity: .user),
                      CategoricalFeature(name: "iid", identity: 50, dimension: 2, entity: .item)],
        numeric: [NumericFeature(name: "x", transform: .standardize, entity: .item), NumericFeature(name: "y", transform: .log1p, entity: .user)],
        label: "label", userID: "uid", itemID: "iid", hidden: [6, 6])

    /// A data set where the label is x > 0 (x is informative, the rest noise).
    func separable(_ n: Int, seed: UInt64) -> String {
        var rng = SplitMix64(seed: seed)
        var csv = "uid,iid,g,h,x,y,label\n"
        for i in 0..<n {
            let x = rng.unit() * 2 - 1
            csv += "u\(i % 13),\(i % 40),\(["A", "B", "C", ""][i % 4]),\(["A", "B", "C"][i % 3]),\(x),\(rng.unit() * 100),\(x > 0 ? 1 : 0)\n"
        }
        return csv
    }

    func testFiniteDifferenceGradientsOfEveryLayerAndTheLoss() throws {
        for residual in [false, true] {
            var spec = RankerTests.smallSpec
            spec.residual = residual
            let data = try SampleSet.load(write("g.csv", separable(16, seed: 3)), spec: spec)
            assertGradients(spec, data, "residual=\(residual)")
        }
    }

    func testLearnsASeparableDataSet() throws {
        let train = try SampleSet.load(write("train.csv", separable(2000, seed: 1)), spec: RankerTests.smallSpec)
        let test = try SampleSet.load(write("test.csv", separable(500, seed: 2)), spec: RankerTests.smallSpec)
        let model = try EmbeddingMLP(spec: RankerTests.smallSpec, seed: 5)
        try Trainer(model: model).train(train, options: TrainingOptions(epochs: 30, batchSize: 32, learningRate: 0.01, seed: 5))
        let m = Metrics.compute(labels: test.labels, predictions: model.predict(test))
        XCTAssertGreaterThan(m.rocAUC, 0.99)
        XCTAssertGreaterThan(m.accuracy, 0.9)
    }

    func testAUCAndPRAUCAgainstHandComputedExamplesWithTies() {
        // scores 0.9(+) 0.8(-) 0.8(+) 0.3(-) 0.1(+): pairs (pos,neg) ordered right:
        // 0.9>0.8, 0.9>0.3, 0.8 tie 0.8 (1/2), 0.8>0.3, 0.1<both -> (1+1+0.5+1+0+0)/6
        let m = Metrics.compute(labels: [1, 0, 1, 0, 1], predictions: [0.9, 0.8, 0.8, 0.3, 0.1])
        XCTAssertEqual(m.rocAUC, 3.5 / 6, accuracy: 1e-12)
        // AP: threshold 0.9 -> R 1/3 P 1; 0.8 (tied group) -> R 2/3 P 2/3; 0.3 -> no recall gain; 0.1 -> R 1 P 3/5
        XCTAssertEqual(m.prAUC, 1.0 / 3 + (1.0 / 3) * (2.0 / 3) + (1.0 / 3) * 0.6, accuracy: 1e-12)
        XCTAssertEqual(m.accuracy, 0.6, accuracy: 1e-12) // 0.9 right, 0.8(-) wrong, 0.8(+) right, 0.3 right, 0.1 wrong
        let allTied = Metrics.compute(labels: [1, 0, 1, 0], predictions: [0.5, 0.5, 0.5, 0.5])
        XCTAssertEqual(allTied.rocAUC, 0.5, accuracy: 1e-12)
        XCTAssertEqual(allTied.prAUC, 0.5, accuracy: 1e-12)
        XCTAssertEqual(Metrics.compute(labels: [0, 1], predictions: [0.2, 0.7]).rocAUC, 1)
        XCTAssertEqual(Metrics.compute(labels: [1, 0], predictions: [0.5, 0.5]).logloss, log(2), accuracy: 1e-6)
    }

    /// Keras's EmbeddingMLP.py: 8 x 19 x 10 genre + 1001 x 10 + 30001 x 10
    /// embedding weights; (107*128+128) + (128*128+128) + (128+1) dense.
    func testSparrowPresetHasTheKerasModelsParameterCount() throws {
        let m = try EmbeddingMLP(spec: .sparrow, seed: 1)
        XCTAssertEqual(m.parameterCount.embeddings, 8 * 19 * 10 + 1001 * 10 + 30001 * 10)
        XCTAssertEqual(m.parameterCount.dense, 107 * 128 + 128 + 128 * 128 + 128 + 128 + 1)
        XCTAssertEqual(FeatureSpec.sparrow.inputWidth, 107)
    }

    /// With a validation set and patience, training stops once validation
    /// AUC has not improved for `patience` epochs and keeps the best epoch's weights.
    func testEarlyStoppingKeepsTheBestEpoch() throws {
        // labels independent of the features: validation AUC wanders, so it stops early
        var rng = SplitMix64(seed: 5)
        var csv = "uid,iid,g,h,x,y,label\n"
        for i in 0..<400 { csv += "u\(i % 13),\(i % 40),A,B,\(rng.unit()),\(rng.unit()),\(rng.next() % 2)\n" }
        let all = try SampleSet.load(write("noise.csv", csv), spec: RankerTests.smallSpec)
        let (train, validation) = all.splitEvery(4)
        let m = try EmbeddingMLP(spec: RankerTests.smallSpec, seed: 3)
        let reports = try Trainer(model: m).train(train, validation: validation,
                                                  options: TrainingOptions(epochs: 30, batchSize: 8, learningRate: 0.01, seed: 3, patience: 2))
        XCTAssertLessThan(reports.count, 30, "no improvement for 2 epochs should stop training")
        let aucs = reports.compactMap { $0.validation?.rocAUC }
        let best = try XCTUnwrap(aucs.max())
        XCTAssertEqual(reports.count - (aucs.firstIndex(of: best)! + 1), 2, "it stops exactly `patience` epochs after the best")
        let kept = Metrics.compute(labels: validation.labels, predictions: m.predict(validation)).rocAUC
        XCTAssertEqual(kept, best, accuracy: 1e-9, "the model keeps the best epoch's weights")
    }

    func testTrainingIsReproducibleAndSaveLoadGivesIdenticalScores() throws {
        let path = write("s.csv", separable(300, seed: 9))
        let data = try SampleSet.load(path, spec: RankerTests.smallSpec)
        func trained() throws -> EmbeddingMLP {
            let m = try EmbeddingMLP(spec: RankerTests.smallSpec, seed: 42)
            try Trainer(model: m).train(data, options: TrainingOptions(epochs: 3, batchSize: 16, seed: 42))
            return m
        }
        let a = try trained(), b = try trained()
        XCTAssertEqual(a.predict(data), b.predict(data))
        XCTAssertEqual(a.layers.map(\.weights), b.layers.map(\.weights))

        let store = try Store(path: dir.appendingPathComponent("s.lmdb").path)
        try store.write { txn in try RankerModel.save(txn, name: "m", model: a, options: TrainingOptions(), metrics: [:], data: data) }
        let (loaded, learned, row) = try store.read { txn in
            (try RankerModel.load(txn, name: "m"), try txn.table("ranker/m/shared"), try txn.featureRow(.item, "7"))
        }
        XCTAssertEqual(loaded.model.predict(data), a.predict(data))
        XCTAssertEqual(learned.info.kind, .learned)
        XCTAssertEqual(learned.count, 3)
        XCTAssertNotNil(row?["x"])
        // scoring by ids through the stored feature rows
        let scored = try store.read { txn in try loaded.score(txn, user: "u1", items: ["7", "nope"]) }
        let scores = scored.scores
        XCTAssertEqual(scores.count, 2)
        XCTAssertEqual(scored.unknownItems, ["nope"])
        XCTAssertTrue(scored.userKnown)
        XCTAssertFalse(try store.read { txn in try loaded.score(txn, user: "stranger", items: ["7"]) }.userKnown)
        XCTAssertTrue(scores.allSatisfy { $0 > 0 && $0 < 1 })
        // the row-keyed serving path gives the same scores, cold and warm
        let catalogue = ["7", "nope", "3"]
        let index = loaded.rowIndex(count: catalogue.count)
        for pass in 0..<2 {
            let byRow = try store.read { txn in
                try loaded.score(user: "u1", rows: [2, 0, 1], of: index, ids: { $0.map { catalogue[$0] } }) { entity, keys in
                    try keys.map { try txn.featureRow(entity, $0) }
                }
            }
            let byID = try store.read { txn in try loaded.score(txn, user: "u1", items: ["3", "7", "nope"]) }
            XCTAssertEqual(byRow.scores, byID.scores, "pass \(pass)")
            XCTAssertEqual(Set(byRow.unknownItems), Set(byID.unknownItems), "pass \(pass)")
            XCTAssertEqual(byRow.unknownItems, ["nope"], "pass \(pass)")
        }
        // the serving path (first layer split into user and item parts) equals the plain forward pass
        let merged = try store.read { txn -> [[String: String]] in
            let u = try txn.featureRow(.user, "u1") ?? [:]
            return [u.merging(try txn.featureRow(.item, "7")!) { $1 }.merging(["iid": "7", "uid": "u1"]) { $1 },
                    u.merging(["iid": "nope", "uid": "u1"]) { $1 }]
        }
        let plain = loaded.model.predict(SampleSet(spec: loaded.model.spec, rows: merged))
        XCTAssertEqual(scores[0], plain[0], accuracy: 1e-5)
        XCTAssertEqual(scores[1], plain[1], accuracy: 1e-5)
    }

    /// Serving's inference pass (bias-accumulating sgemm, ReLU fused into the
    /// output layer's dot product) gives the training forward pass's
    /// probabilities, for shapes it fuses and ones it hands back.
    func testInferenceMatchesForward() throws {
        for (hidden, residual) in [([24, 20], false), ([16, 16], false), ([9], false), ([8, 8], true)] {
            var spec = RankerTests.smallSpec
            spec.hidden = hidden
            spec.residual = residual
            let m = try EmbeddingMLP(spec: spec, seed: 7)
            var rng = SplitMix64(seed: 3)
            for l in m.layers.indices { m.layers[l].bias = m.layers[l].bias.map { _ in rng.unit() - 0.5 } }
            let batch = 37
            let a = Workspace(model: m, batch: batch), b = Workspace(model: m, batch: batch)
            for i in a.x.indices { a.x[i] = (rng.unit() * 2 - 1) * 3 }
            b.x = a.x
            a.x[5] = .nan; b.x[5] = .nan  // a NaN input reaches ReLU as NaN in both passes
            let plain = Array(m.forward(a, batch: batch))
            let fused = Array(m.infer(b, batch: batch, fromStage: 0))
            XCTAssertEqual(plain.count, fused.count)
            for r in 0..<batch {
                XCTAssertEqual(fused[r], plain[r], accuracy: 1e-5, "hidden \(hidden) residual \(residual) row \(r)")
            }
            XCTAssertGreaterThan(Set(plain.map { ($0 * 1e4).rounded() }).count, batch / 2, "probabilities should vary by row")
        }
    }

    func testBadSampleFilesNameFileLineAndReason() throws {
        let spec = RankerTests.smallSpec
        let cases: [(String, String)] = [
            ("uid,iid,g,h,x,label\nu,1,A,A,1,1\n", "no column 'y'"),
            ("uid,iid,g,h,x,y,label\nu,1,A,A,1,2,1\nu,1,A,A,1,2,7\n", ":3: label '7'"),
            ("uid,iid,g,h,x,y,label\nu,1,A,A,abc,2,1\n", ":2: 'abc' in numeric column 'x'"),
            ("uid,iid,g,h,x,y,label\nu,1,A,A,1\n", ":2: 5 fields, the header has 7"),
            ("uid,iid,g,h,x,y,label\n", "no rows"),
            ("", "empty file"),
            ("uid,iid,g,h,x,y,label\nu,1,\"A,A,1,2,1\n", ":2: unterminated"),
        ]
        for (i, (text, expected)) in cases.enumerated() {
            let p = write("bad\(i).csv", text)
            XCTAssertThrowsError(try SampleSet.load(p, spec: spec)) { e in
                XCTAssertTrue("\(e)".contains(expected), "case \(i): \(e)")
                XCTAssertTrue("\(e)".hasPrefix(p), "case \(i): \(e)")
            }
        }
        // empty fields are missing values, not errors
        let ok = try SampleSet.load(write("ok.csv", "uid,iid,g,h,x,y,label\nu,1,,,,,1\n"), spec: spec)
        XCTAssertEqual(ok.count, 1)
    }
}

extension RankerTests {
    /// Spark's CSV output: a header in every part file, read in part order.
    func testSamplesFromASparkOutputDirectory() throws {
        let out = dir.appendingPathComponent("samples").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        let header = "uid,iid,g,h,x,y,label\n"
        _ = write("samples/part-00000-a.csv", header + "u1,1,A,A,1,2,1\nu2,2,B,B,3,4,0\n")
        _ = write("samples/part-00001-a.csv", header + "u3,3,C,C,5,6,1\n")
        XCTAssertThrowsError(try SampleSet.load(out, spec: RankerTests.smallSpec)) { e in XCTAssertTrue("\(e)".contains("_SUCCESS"), "\(e)") }
        _ = write("samples/_SUCCESS", "")
        let set = try SampleSet.load(out, spec: RankerTests.smallSpec)
        XCTAssertEqual(set.count, 3)
        XCTAssertEqual(set.users, ["u1", "u2", "u3"])
        XCTAssertEqual(set.labels, [1, 0, 1])
        _ = write("samples/part-00002-a.csv", "uid,iid,g,h,x,label,y\nu4,4,A,A,1,1,2\n")
        XCTAssertThrowsError(try SampleSet.load(out, spec: RankerTests.smallSpec)) { e in
            XCTAssertTrue("\(e)".contains("part-00002-a.csv:1: its header differs"), "\(e)")
        }
    }
}

extension RankerTests {
    /// --init copies a stored table's vectors into a column's rows by id;
    /// --freeze keeps them through training while the other tables learn.
    func testInitialisingAndFreezingAColumnFromAStoredTable() throws {
        let store = try Store(path: dir.appendingPathComponent("s.lmdb").path)
        try writeTable(store, "pre", [[0.5, -0.5], [0.25, 0.75], [9, 9]], id: { ["1", "2", "77"][$0] })
        try writeTable(store, "wide", [[1, 2, 3, 4]], id: { _ in "1" })
        let mlp = try EmbeddingMLP(spec: RankerTests.smallSpec, seed: 3)
        let iid = RankerTests.smallSpec.categorical.firstIndex { $0.name == "iid" }!
        let k = mlp.columnTable[iid]
        let before = mlp.tables[k]
        let report = try store.read { try mlp.initialize(column: "iid", from: $0.table("pre")) }
        XCTAssertEqual(report, PretrainedInit(column: "iid", source: "pre", found: 2, rows: 50))
        XCTAssertEqual(Array(mlp.tables[k][2..<6]), [0.5, -0.5, 0.25, 0.75])
        XCTAssertEqual(Array(mlp.tables[k][0..<2]), Array(before[0..<2]), "row 0 has no vector in the table: its random start stays")
        XCTAssertEqual(Array(mlp.tables[k][6...]), Array(before[6...]))

        try store.read { txn in
            XCTAssertThrowsError(try mlp.initialize(column: "iid", from: txn.table("wide"))) { XCTAssertTrue("\($0)".contains("dimension 4, column 'iid' embeds in 2"), "\($0)") }
            XCTAssertThrowsError(try mlp.initialize(column: "uid", from: txn.table("pre"))) { XCTAssertTrue("\($0)".contains("hashed"), "\($0)") }
            XCTAssertThrowsError(try mlp.initialize(column: "nope", from: txn.table("pre"))) { XCTAssertTrue("\($0)".contains("no categorical column 'nope'"), "\($0)") }
        }

        try mlp.freeze(column: "iid")
        let initialised = mlp.tables[k]
        let shared = mlp.columnTable[RankerTests.smallSpec.categorical.firstIndex { $0.name == "g" }!]
        let sharedBefore = mlp.tables[shared]
        let train = try SampleSet.load(write("train.csv", separable(300, seed: 4)), spec: RankerTests.smallSpec)
        try Trainer(model: mlp).train(train, options: TrainingOptions(epochs: 1, batchSize: 16))
        XCTAssertEqual(mlp.tables[k], initialised, "a frozen table is left as initialised")
        XCTAssertNotEqual(mlp.tables[shared], sharedBefore, "the other tables learn")
    }
}
