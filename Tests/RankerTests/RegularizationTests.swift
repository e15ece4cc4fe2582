import EmbedStore
import Foundation
@testable import Ranker
import RecsysTestSupport
import XCTest

/// DIN's mini-batch aware regularisation of the embedding rows.
final class RegularizationTests: XCTestCase {
    let dir = TempDir()

    /// The penalty of a row is lambda over the samples that look it up, in
    /// any column of a shared table and any position of a bag.
    func testPenaltyIsLambdaOverTheSamplesUsingTheRow() throws {
        let spec = BagAndAttentionTests.spec(.mean)
        let csv = "uid,iid,genres,h1,h2,h3,x,label\n" +
            "u1,3,A|B,3,7,,0.1,1\n" +   // item row 3 twice, 7 once
            "u2,7,B,,,,0.2,0\n" +       // 7
            "u1,9,,3,3,9,0.3,1\n"       // 9, 3, 3, 9
        let data = try SampleSet.load(dir.write("p.csv", csv), spec: spec)
        let model = try EmbeddingMLP(spec: spec, seed: 1)
        let penalty = Trainer(model: model).rowPenalties(data, lambda: 6)
        let item = model.columnTable[0], genres = model.columnTable[2]
        XCTAssertEqual(penalty[item][3], 6 / 4)
        XCTAssertEqual(penalty[item][7], 6 / 2)
        XCTAssertEqual(penalty[item][9], 6 / 2)
        XCTAssertEqual(penalty[item].enumerated().filter { $0.element != 0 }.map(\.offset), [3, 7, 9])
        XCTAssertEqual(Array(penalty[genres]), [6 / 1, 6 / 2, 0]) // A once, B twice, C never
    }

    /// Regularised training pulls the looked-up rows toward zero and leaves
    /// rows no sample uses exactly as initialised (the update stays sparse).
    func testLookedUpRowsShrinkAndUnusedRowsStayPut() throws {
        let spec = BagAndAttentionTests.spec(.mean, attention: true)
        let data = try SampleSet.load(dir.write("t.csv", BagAndAttentionTests.samples(400, seed: 5)), spec: spec)
        func trained(_ lambda: Float) throws -> EmbeddingMLP {
            let model = try EmbeddingMLP(spec: spec, seed: 2)
            try Trainer(model: model).train(data, options: TrainingOptions(epochs: 8, batchSize: 16, learningRate: 0.01, seed: 3, embeddingL2: lambda))
            return model
        }
        let initial = try EmbeddingMLP(spec: spec, seed: 2)
        let plain = try trained(0), regularised = try trained(1e4)
        let k = plain.columnTable[0], d = plain.tableDimension[k]
        func norm(_ m: EmbeddingMLP, rows: Range<Int>) -> Float {
            rows.reduce(0) { s, r in s + (0..<d).reduce(0) { $0 + m.tables[k][r * d + $1] * m.tables[k][r * d + $1] } }
        }
        XCTAssertLessThan(norm(regularised, rows: 0..<40), 0.5 * norm(plain, rows: 0..<40))
        // item ids run 0..<40 in these samples; rows 40..<50 are never looked up
        XCTAssertEqual(Array(regularised.tables[k][(40 * d)...]), Array(initial.tables[k][(40 * d)...]))
        XCTAssertEqual(Array(plain.tables[k][(40 * d)...]), Array(initial.tables[k][(40 * d)...]))
    }

    /// The spec's strength applies unless the option overrides it; bad values are refused.
    func testSpecStrengthAppliesAndBadValuesAreRefused() throws {
        var spec = BagAndAttentionTests.spec(.sum)
        spec.embeddingL2 = 1e4
        let data = try SampleSet.load(dir.write("s.csv", BagAndAttentionTests.samples(200, seed: 6)), spec: spec)
        func norm(_ options: TrainingOptions) throws -> Float {
            let model = try EmbeddingMLP(spec: spec, seed: 2)
            try Trainer(model: model).train(data, options: options)
            return model.tables[model.columnTable[0]].reduce(0) { $0 + $1 * $1 }
        }
        let fromSpec = try norm(TrainingOptions(epochs: 4, batchSize: 16, learningRate: 0.01))
        let off = try norm(TrainingOptions(epochs: 4, batchSize: 16, learningRate: 0.01, embeddingL2: 0))
        XCTAssertLessThan(fromSpec, 0.5 * off)
        XCTAssertThrowsError(try TrainingOptions(embeddingL2: -1).validate()) { XCTAssertTrue("\($0)".contains("--embedding-l2"), "\($0)") }
        spec.embeddingL2 = .nan
        XCTAssertThrowsError(try spec.validate()) { XCTAssertTrue("\($0)".contains("embeddingL2"), "\($0)") }
    }
}
