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
    var input: [Float] = []
    var hidden: [Float] = []
    var weight: [Float] = []
    /// Gradients of the backward pass: of each weight's logit, hidden unit and input.
    var gradLogit: [Float] = []
    var gradHidden: [Float] = []
    var gradInput: [Float] = []

    var pairs: Int { pairItem.count }

    func reset() {
        pairRow.removeAll(keepingCapacity: true)
        pairItem.removeAll(keepingCapacity: true)
        query.removeAll(keepingCapacity: true)
    }

    /// Sets `buffer` to `count` zeros, keeping its capacity.
    static func zeroed(_ buffer: inout [Float], _ count: Int) {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: repeatElement(0, count: count))
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

extension EmbeddingMLP {
    /// DIN's forward pass over `s`'s pairs: adds each pair's weighted
    /// history embedding a(h, q) h to its row's slot at `out + row * stride`.
    func attend(_ s: AttentionScratch, into out: UnsafeMutablePointer<Float>, stride: Int) {
        guard let attention, s.pairs > 0 else { return }
        let k = columnTable[attention.bag], d = tableDimension[k]
        let first = layers[attention.first], second = layers[attention.second], hid = first.outputs, n = s.pairs
        AttentionScratch.zeroed(&s.input, n * 4 * d)
        AttentionScratch.zeroed(&s.hidden, n * hid)
        AttentionScratch.zeroed(&s.weight, n)
        tables[k].withUnsafeBufferPointer { t in
            s.input.withUnsafeMutableBufferPointer { x in
                for p in 0..<n {
                    let h = t.baseAddress! + Int(s.pairItem[p]) * d, row = x.baseAddress! + p * 4 * d
                    let qi = s.query[Int(s.pairRow[p])]
                    for e in 0..<d {
                        let he = h[e], qe = qi >= 0 ? t[Int(qi) * d + e] : 0
                        row[e] = he; row[d + e] = qe; row[2 * d + e] = he - qe; row[3 * d + e] = he * qe
                    }
                }
            }
        }
        s.input.withUnsafeBufferPointer { x in
            s.hidden.withUnsafeMutableBufferPointer { z in
                gemmForward(x.baseAddress!, first, z.baseAddress!, batch: n, relu: true)
            }
        }
        let w2 = second.weights, b2 = second.bias[0]
        tables[k].withUnsafeBufferPointer { t in
            s.hidden.withUnsafeBufferPointer { z in
                w2.withUnsafeBufferPointer { w in
                    for p in 0..<n {
                        var u = b2
                        for j in 0..<hid { u += z[p * hid + j] * w[j] }
                        let a = 1 / (1 + exp(-u))
                        s.weight[p] = a
                        let h = t.baseAddress! + Int(s.pairItem[p]) * d, dst = out + Int(s.pairRow[p]) * stride
                        for e in 0..<d { dst[e] += a * h[e] }
                    }
                }
            }
        }
    }

    /// The attention column's first-layer rows for one user's `history`
    /// against each of `queries` (candidate table rows, -1: none): the pooled
    /// vector of each candidate times the first layer's rows of that slot,
    /// `layers[0].outputs` floats per candidate into `out`.
    func attentionFirstLayer(history: [Int32], queries: [Int32], into out: UnsafeMutablePointer<Float>) {
        guard let attention else { return }
        let d = tableDimension[columnTable[attention.bag]], n = queries.count, h1 = layers[0].outputs
        let s = AttentionScratch()
        for (b, q) in queries.enumerated() { s.addRow(history: history, query: q, row: b) }
        var pooled = [Float](repeating: 0, count: n * d)
        pooled.withUnsafeMutableBufferPointer { attend(s, into: $0.baseAddress!, stride: d) }
        let offset = columnOffset[attention.bag]
        pooled.withUnsafeBufferPointer { x in
            layers[0].weights.withUnsafeBufferPointer { w in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(h1), Int32(d),
                            1, x.baseAddress!, Int32(d), w.baseAddress! + offset * h1, Int32(h1), 0, out, Int32(h1))
            }
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
        AttentionScratch.zeroed(&s.gradLogit, n)
        AttentionScratch.zeroed(&s.gradHidden, n * hid)
        AttentionScratch.zeroed(&s.gradInput, n * width)
        // d loss / d logit of each weight: (g . h) a (1 - a)
        s.input.withUnsafeBufferPointer { x in
            for p in 0..<n {
                let g = gradOut + Int(s.pairRow[p]) * stride, h = x.baseAddress! + p * width
                var ga: Float = 0
                for e in 0..<d { ga += g[e] * h[e] }
                let a = s.weight[p]
                s.gradLogit[p] = ga * a * (1 - a)
            }
        }
        s.hidden.withUnsafeBufferPointer { z in
            s.gradLogit.withUnsafeBufferPointer { gu in
                s.gradHidden.withUnsafeMutableBufferPointer { gz in
                    backwardDense(attention.second, input: z.baseAddress!, gradOut: gu.baseAddress!, gradIn: gz.baseAddress!, batch: n)
                    for i in 0..<(n * hid) where z[i] <= 0 { gz[i] = 0 }
                }
            }
        }
        s.input.withUnsafeBufferPointer { x in
            s.gradHidden.withUnsafeBufferPointer { gz in
                s.gradInput.withUnsafeMutableBufferPointer { gx in
                    backwardDense(attention.first, input: x.baseAddress!, gradOut: gz.baseAddress!, gradIn: gx.baseAddress!, batch: n)
                }
            }
        }
        if model.frozenTables[k] { return }
        var gh = [Float](repeating: 0, count: d), gq = gh
        s.input.withUnsafeBufferPointer { xs in
            s.gradInput.withUnsafeBufferPointer { gxs in
                for p in 0..<n {
                    let row = Int(s.pairRow[p]), g = gradOut + row * stride, a = s.weight[p]
                    let x = xs.baseAddress! + p * width, gx = gxs.baseAddress! + p * width
                    for e in 0..<d {
                        gh[e] = a * g[e] + gx[e] + gx[2 * d + e] + gx[3 * d + e] * x[d + e]
                        gq[e] = gx[d + e] - gx[2 * d + e] + gx[3 * d + e] * x[e]
                    }
                    optimizer.addGradient(table: k, row: Int(s.pairItem[p]), gh, scale: 1, dimension: d)
                    let q = s.query[row]
                    if q >= 0 { optimizer.addGradient(table: k, row: Int(q), gq, scale: 1, dimension: d) }
                }
            }
        }
    }
}
