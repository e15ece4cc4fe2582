import EmbedStore
import CBLAS
import Foundation

/// The (history item, candidate) pairs of one attention pass and what its
/// backward pass needs: per pair the unit's input [h, q, h - q, h * q], its
/// hidden activations and its weight. Buffers keep their capacity between
/// batches, so a pass allocates nothing once they have grown.
final class AttentionScratch {
    /// Per pair: the batch row it pools into and the history item's table row.
    private(set) var pairRow: [Int32] = []
    private(set) var pairItem: [Int32] = []
    /// Per batch row: the candidate's table row (-1: none, a zero vector).
    private(set) var query: [Int32] = []
    let input = ScratchBuffer<Float>(), hidden = ScratchBuffer<Float>(), weight = ScratchBuffer<Float>()
    /// Gradients of the backward pass: of each weight's logit, hidden unit and input.
    let gradLogit = ScratchBuffer<Float>(), gradHidden = ScratchBuffer<Float>(), gradInput = ScratchBuffer<Float>()
    /// Scoring: each candidate's pooled history vector.
    let pooled = ScratchBuffer<Float>()

    var pairs: Int { pairItem.count }

    func reset() {
        pairRow.removeAll(keepingCapacity: true)
        pairItem.removeAll(keepingCapacity: true)
        query.removeAll(keepingCapacity: true)
    }

    /// Adds batch row `row` (rows must come in order 0, 1, ...).
    func addRow(history: some Collection<Int32>, query q: Int32, row: Int) {
        query.append(q)
        for h in history {
            pairRow.append(Int32(row))
            pairItem.append(h)
        }
    }
}

/// Runs `body` with one OpenBLAS thread. The unit's products are small
/// (pairs x 40 x 32): with a second thread each call woke and waited for it,
/// and training spent about a quarter of its time in the kernel's scheduler.
@inline(__always)
func withOneBLASThread<T>(_ body: () -> T) -> T {
    let threads = openblas_get_num_threads()
    if threads == 1 { return body() }
    openblas_set_num_threads(1)
    defer { openblas_set_num_threads(threads) }
    return body()
}

extension EmbeddingMLP {
    /// DIN's forward pass over `s`'s pairs: adds each pair's weighted
    /// history embedding a(h, q) h to its row's slot at `out + row * stride`.
    func attend(_ s: AttentionScratch, into out: UnsafeMutablePointer<Float>, stride: Int) {
        guard let attention, s.pairs > 0 else { return }
        let k = columnTable[attention.bag], d = tableDimension[k]
        let first = layers[attention.first], second = layers[attention.second], hid = first.outputs, n = s.pairs
        let x = s.input.room(for: n * 4 * d), z = s.hidden.room(for: n * hid), weight = s.weight.room(for: n)
        let zeros = [Float](repeating: 0, count: d)
        s.pairRow.withUnsafeBufferPointer { pairRow in
            s.pairItem.withUnsafeBufferPointer { pairItem in
                tables[k].withUnsafeBufferPointer { t in
                    s.query.withUnsafeBufferPointer { query in
                        zeros.withUnsafeBufferPointer { zero in
                            for p in 0..<n {
                                let h = t.baseAddress! + Int(pairItem[p]) * d, row = x + p * 4 * d
                                let qi = Int(query[Int(pairRow[p])])
                                let q = qi >= 0 ? t.baseAddress! + qi * d : zero.baseAddress!
                                for e in 0..<d {
                                    row[e] = h[e]; row[d + e] = q[e]; row[2 * d + e] = h[e] - q[e]; row[3 * d + e] = h[e] * q[e]
                                }
                            }
                        }
                    }
                    withOneBLASThread { gemmForward(x, first, z, batch: n, relu: true) }
                    let b2 = second.bias[0]
                    second.weights.withUnsafeBufferPointer { w in
                        for p in 0..<n {
                            var u = b2
                            for j in 0..<hid { u += z[p * hid + j] * w[j] }
                            let a = 1 / (1 + exp(-u))
                            weight[p] = a
                            let h = t.baseAddress! + Int(pairItem[p]) * d, dst = out + Int(pairRow[p]) * stride
                            for e in 0..<d { dst[e] += a * h[e] }
                        }
                    }
                }
            }
        }
    }

    /// The attention column's first-layer rows for one user's `history`
    /// against each of `queries` (candidate table rows, -1: none): the pooled
    /// vector of each candidate times the first layer's rows of that slot,
    /// `layers[0].outputs` floats per candidate into `out`.
    func attentionFirstLayer(history: [Int32], queries: [Int32], into out: UnsafeMutablePointer<Float>, scratch s: AttentionScratch) {
        guard let attention else { return }
        let d = tableDimension[columnTable[attention.bag]], n = queries.count, h1 = layers[0].outputs
        s.reset()
        for (b, q) in queries.enumerated() { s.addRow(history: history, query: q, row: b) }
        let pooled = s.pooled.room(for: n * d)
        pooled.initialize(repeating: 0, count: n * d)
        attend(s, into: pooled, stride: d)
        let offset = columnOffset[attention.bag]
        layers[0].weights.withUnsafeBufferPointer { w in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(h1), Int32(d),
                        1, pooled, Int32(d), w.baseAddress! + offset * h1, Int32(h1), 0, out, Int32(h1))
        }
    }
}

extension Trainer {
    /// DIN's backward pass. From the gradient of each row's pooled slot
    /// (`gradOut + row * stride`) adds the gradients of the unit's two
    /// layers and of every history and candidate table row:
    /// d/dh = a g + (d/dx)[h] + (d/dx)[h - q] + q * (d/dx)[h * q], and
    /// d/dq = (d/dx)[q] - (d/dx)[h - q] + h * (d/dx)[h * q].
    func attentionBackward(_ s: AttentionScratch, gradOut: UnsafePointer<Float>, stride: Int) {
        guard let attention = model.attention, s.pairs > 0 else { return }
        let k = model.columnTable[attention.bag], d = model.tableDimension[k]
        let hid = model.layers[attention.first].outputs, n = s.pairs, width = 4 * d
        // the forward pass's buffers, at the sizes it used (their contents kept)
        let x = s.input.room(for: n * width), z = s.hidden.room(for: n * hid), weight = s.weight.room(for: n)
        let gu = s.gradLogit.room(for: n), gz = s.gradHidden.room(for: n * hid), gx = s.gradInput.room(for: n * width)
        s.pairRow.withUnsafeBufferPointer { pairRow in
            // d loss / d logit of each weight: (g . h) a (1 - a)
            for p in 0..<n {
                let g = gradOut + Int(pairRow[p]) * stride, h = x + p * width
                var ga: Float = 0
                for e in 0..<d { ga += g[e] * h[e] }
                let a = weight[p]
                gu[p] = ga * a * (1 - a)
            }
            withOneBLASThread {
                backwardDense(attention.second, input: z, gradOut: gu, gradIn: gz, batch: n)
                for i in 0..<(n * hid) where z[i] <= 0 { gz[i] = 0 }
                backwardDense(attention.first, input: x, gradOut: gz, gradIn: gx, batch: n)
            }
            if model.frozenTables[k] { return }
            var gh = [Float](repeating: 0, count: d), gq = gh
            s.pairItem.withUnsafeBufferPointer { pairItem in
                s.query.withUnsafeBufferPointer { query in
                    for p in 0..<n {
                        let row = Int(pairRow[p]), g = gradOut + row * stride, a = weight[p]
                        let xp = x + p * width, gxp = gx + p * width
                        for e in 0..<d {
                            gh[e] = a * g[e] + gxp[e] + gxp[2 * d + e] + gxp[3 * d + e] * xp[d + e]
                            gq[e] = gxp[d + e] - gxp[2 * d + e] + gxp[3 * d + e] * xp[e]
                        }
                        optimizer.addGradient(table: k, row: Int(pairItem[p]), gh, scale: 1, dimension: d)
                        let q = query[row]
                        if q >= 0 { optimizer.addGradient(table: k, row: Int(q), gq, scale: 1, dimension: d) }
                    }
                }
            }
        }
    }
}
