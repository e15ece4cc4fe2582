import Foundation
@testable import Ranker
import XCTest

extension XCTestCase {
    /// Compares the trainer's analytic gradients of the mean loss over every
    /// row of `data` with central finite differences: three weights and a
    /// bias of every layer, every entry of the first touched rows of every
    /// table.
    func assertGradients(_ spec: FeatureSpec, _ data: SampleSet, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let model: EmbeddingMLP
        do { model = try EmbeddingMLP(spec: spec, seed: 11) } catch { return XCTFail("\(error)", file: file, line: line) }
        model.fitNumericStatistics(data)
        let trainer = Trainer(model: model)
        let n = data.count
        _ = trainer.accumulateGradients(data, rows: Array(0..<n)[...])
        let opt = trainer.optimizer
        func loss() -> Double {
            let p = model.predict(data)
            return (0..<n).reduce(0.0) { s, i in
                let q = Double(min(max(p[i], 1e-7), 1 - 1e-7))
                return s - (data.labels[i] > 0.5 ? log(q) : log(1 - q))
            } / Double(n)
        }
        let eps: Float = 1e-2
        func check(_ analytic: Float, _ bump: (Float) -> Void, _ name: String) {
            bump(eps); let up = loss()
            bump(-2 * eps); let down = loss()
            bump(eps)
            let numeric = (up - down) / Double(2 * eps)
            XCTAssertEqual(Double(analytic), numeric, accuracy: 2e-3 + 0.05 * abs(numeric), "\(name) \(what)", file: file, line: line)
        }
        for l in 0..<model.layers.count {
            for i in [0, model.layers[l].weights.count / 2, model.layers[l].weights.count - 1] {
                check(opt.gradW[l][i], { model.layers[l].weights[i] += $0 }, "layer \(l) weight \(i)")
            }
            check(opt.gradB[l][0], { model.layers[l].bias[0] += $0 }, "layer \(l) bias")
        }
        for k in 0..<model.tables.count {
            let d = model.tableDimension[k]
            XCTAssertFalse(opt.touched[k].isEmpty, "table \(k) got no gradient \(what)", file: file, line: line)
            for r in opt.touched[k].prefix(3) {
                for e in 0..<d {
                    let i = Int(r) * d + e
                    check(opt.gradTables[k][i], { model.tables[k][i] += $0 }, "table \(k) row \(r) entry \(e)")
                }
            }
        }
    }
}
