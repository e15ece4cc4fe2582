import CKernels
import Foundation

/// Scoring one user against many items, the first layer split into a user
/// part, cached item parts and (for an attention model) a per-candidate part.
extension EmbeddingMLP {
    /// The first layer's pre-activation contributions (without bias) of rows
    /// that hold one entity's columns, written `layers[0].outputs` floats per
    /// row into `out`: the stacked input is a sum of disjoint column slots, so
    /// x W1 = x_user W1 + x_item W1. Serving computes the user's part once per
    /// request and caches each item's part; the rows go through one sgemm.
    func firstLayerParts(_ rows: [RankerModel.EncodedRow], entity: FeatureEntity, into out: UnsafeMutablePointer<Float>) {
        let m = spec.numeric.count, c = spec.categorical.count, n = rows.count, width = spec.inputWidth
        guard n > 0 else { return }
        var set = SampleSet(spec: spec)
        set.count = n
        set.numeric = [Float](repeating: .nan, count: n * m)
        let owner = (0..<c).map { (spec.categorical[$0].entity == .user) == (entity == .user) }
        let ownNumeric = (0..<m).filter { (spec.numeric[$0].entity == .user) == (entity == .user) }
        for (r, row) in rows.enumerated() {
            var k = 0
            for j in 0..<c {
                if owner[j] { set.bagValues.append(contentsOf: row.bag(k)); k += 1 }
                set.closeBag()
            }
            for (k, j) in ownNumeric.enumerated() { set.numeric[r * m + j] = row.numeric[k] }
        }
        let x = UnsafeMutablePointer<Float>.allocate(capacity: n * width)
        defer { x.deallocate() }
        for r in 0..<n { stack(set, row: r, into: x + r * width) }
        layers[0].multiply(x, rows: n, into: out)
    }

    /// The first-layer part of one row (see `firstLayerParts`).
    func firstLayerPart(_ row: RankerModel.EncodedRow, entity: FeatureEntity) -> [Float] {
        [Float](unsafeUninitializedCapacity: layers[0].outputs) { buffer, initialized in
            firstLayerParts([row], entity: entity, into: buffer.baseAddress!)
            initialized = layers[0].outputs
        }
    }

    /// Probabilities of one user against many items from their first-layer
    /// parts: h1 = relu(user + item + b1 [+ pairs]), then the rest of the
    /// MLP; `pairs` holds one first-layer row per item for what depends on
    /// both (the attention column).
    func predict(userPart: [Float], itemParts: [UnsafePointer<Float>], pairs: UnsafePointer<Float>? = nil, scratch: ScoringScratch) -> [Float] {
        recsys_flush_denormals()
        var out = [Float](repeating: 0, count: itemParts.count)
        let batch = ScoringScratch.batch
        let ws = scratch.workspace(self)
        let h = layers[0].outputs
        let h1 = ws.activation(0)
        let userAndBias = zip(userPart, layers[0].bias).map(+)
        var start = 0
        while start < itemParts.count {
            let n = min(batch, itemParts.count - start)
            userAndBias.withUnsafeBufferPointer { u in
                for r in 0..<n {
                    let it = itemParts[start + r]
                    let dst = h1 + r * h
                    if let pairs {
                        let p = pairs + (start + r) * h
                        for j in 0..<h { let v = u[j] + it[j] + p[j]; dst[j] = v > 0 ? v : 0 }
                    } else {
                        for j in 0..<h { let v = u[j] + it[j]; dst[j] = v > 0 ? v : 0 }
                    }
                }
            }
            let p = infer(ws, batch: n, fromStage: 1)
            for b in 0..<n { out[start + b] = p[b] }
            start += n
        }
        return out
    }

    /// `forward` for inference only, the same probabilities up to float
    /// rounding: when the MLP ends in a ReLU dense layer and the one-output
    /// layer, the hidden layer's sgemm accumulates onto its bias (no zeroing
    /// pass, no bias pass) and its ReLU is applied inside the output layer's
    /// dot product (no pass writing it back, no sgemm for a single column).
    /// Serving 800 candidates through [128, 128] spent about 7% of its CPU
    /// in those passes (perf: the bias and ReLU pass, OpenBLAS zeroing the
    /// output, the one-column sgemm); without them a recommend request took
    /// 10% fewer instructions and about 4% less CPU under wrk.
    func infer(_ ws: Workspace, batch: Int, fromStage: Int) -> UnsafeMutableBufferPointer<Float> {
        let outStage = stages.count - 1, hiddenStage = outStage - 1
        guard hiddenStage >= fromStage, case let .dense(outLayer, false) = stages[outStage], layers[outLayer].outputs == 1,
              case let .dense(hiddenLayer, true) = stages[hiddenStage] else {
            return forward(ws, batch: batch, fromStage: fromStage)
        }
        let input = run(ws, batch: batch, stages: fromStage..<hiddenStage)
        let hidden = layers[hiddenLayer], o = hidden.outputs
        let h = ws.activation(hiddenStage)
        hidden.bias.withUnsafeBufferPointer { b in
            for r in 0..<batch { (h + r * o).update(from: b.baseAddress!, count: o) }
        }
        hidden.multiply(input, rows: batch, into: h, accumulate: true)
        let p = ws.probabilities, outBias = layers[outLayer].bias[0]
        layers[outLayer].weights.withUnsafeBufferPointer { w in
            for r in 0..<batch {
                let z = EmbeddingMLP.reluDot(UnsafePointer(h + r * o), w.baseAddress!, count: o) + outBias
                p[r] = 1 / (1 + exp(-z))
            }
        }
        return UnsafeMutableBufferPointer(start: p, count: batch)
    }

    /// sum over j of relu(x[j]) * w[j], sixteen lanes at a time (ReLU as the
    /// training pass has it: NaN counts as 0).
    @inline(__always)
    static func reluDot(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, count n: Int) -> Float {
        let xs = UnsafeRawPointer(x), ws = UnsafeRawPointer(w), zero = SIMD16<Float>()
        var acc = SIMD16<Float>()
        var j = 0
        while j + 16 <= n {
            let v = xs.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
            acc.addProduct(zero.replacing(with: v, where: v .> zero), ws.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self))
            j += 16
        }
        var sum = acc.sum()
        while j < n { let v = x[j]; if v > 0 { sum += v * w[j] }; j += 1 }
        return sum
    }
}
