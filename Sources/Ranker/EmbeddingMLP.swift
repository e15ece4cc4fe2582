import EmbedStore
import CBLAS
import CKernels
import Foundation

/// The Embedding+MLP model (SparrowRecSys / Deep Crossing): categorical
/// columns through embedding tables, numeric columns beside them, stacked,
/// then an MLP with ReLU and a sigmoid output.
public final class EmbeddingMLP: @unchecked Sendable {
    /// The feature spec it was built from.
    public let spec: FeatureSpec
    /// Embedding tables, `rows * dimension` each.
    var tables: [[Float]]
    let tableDimension: [Int]
    /// Per categorical column: its table and its offset in the stacked input.
    let columnTable: [Int]
    let columnOffset: [Int]
    /// Per numeric column: (mean, 1/std) applied after the transform.
    var numericShift: [Float]
    var numericScale: [Float]
    var layers: [DenseLayer]
    let stages: [Stage]
    /// Value -> row maps of the categorical columns.
    let encoders: [CategoryEncoder]
    /// Per embedding table, whether training leaves it as it is (`freeze(column:)`).
    var frozenTables: [Bool]
    /// Per categorical column, how its bag is pooled.
    let combiners: [Combiner]
    /// DIN's activation unit: the history bag column, the query column, and
    /// its two layers in `layers` (after the MLP's: 4d -> hidden -> 1).
    let attention: (bag: Int, query: Int, first: Int, second: Int)?
    /// Scoring's working memory, one per concurrent request.
    let scoringScratch = ScratchPool { ScoringScratch() }

    /// A freshly initialised model (seeded); `randomize: false` leaves zeros
    /// for weights about to be loaded.
    public init(spec: FeatureSpec, seed: UInt64, randomize: Bool = true) throws {
        try spec.validate()
        openblas_set_num_threads(1) // small matrices: threads cost more than they give
        self.spec = spec
        var rng = SplitMix64(seed: seed)
        let tableList = spec.tables
        tableDimension = tableList.map(\.dimension)
        tables = tableList.map { t in
            if !randomize { return [Float](repeating: 0, count: t.rows * t.dimension) }
            // Keras embedding_column: truncated normal, stddev 1/sqrt(dim)
            let sd = 1 / Float(t.dimension).squareRoot()
            return (0..<(t.rows * t.dimension)).map { _ in
                var z: Float
                repeat {
                    let u = max(rng.unit(), 1e-7), v = rng.unit()
                    z = (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
                } while abs(z) > 2
                return z * sd
            }
        }
        let names = tableList.map(\.name)
        columnTable = spec.categorical.map { c in names.firstIndex(of: c.tableName)! }
        var offset = spec.numeric.count
        var offsets: [Int] = []
        for c in spec.categorical { offsets.append(offset); offset += c.dimension }
        columnOffset = offsets
        numericShift = [Float](repeating: 0, count: spec.numeric.count)
        numericScale = [Float](repeating: 1, count: spec.numeric.count)
        var layers: [DenseLayer] = []
        var stages: [Stage] = []
        var width = spec.inputWidth
        for (i, h) in spec.hidden.enumerated() {
            if spec.residual && i > 0 {
                layers.append(DenseLayer(inputs: width, outputs: h, rng: &rng))
                layers.append(DenseLayer(inputs: h, outputs: width, rng: &rng))
                stages.append(.residual(first: layers.count - 2, second: layers.count - 1))
            } else {
                layers.append(DenseLayer(inputs: width, outputs: h, rng: &rng))
                stages.append(.dense(layer: layers.count - 1, relu: true))
                width = h
            }
        }
        layers.append(DenseLayer(inputs: width, outputs: 1, rng: &rng))
        stages.append(.dense(layer: layers.count - 1, relu: false))
        if let (bag, query) = spec.attentionColumns, let a = spec.categorical[bag].attention {
            layers.append(DenseLayer(inputs: 4 * spec.categorical[bag].dimension, outputs: a.hidden, rng: &rng))
            layers.append(DenseLayer(inputs: a.hidden, outputs: 1, rng: &rng))
            attention = (bag, query, layers.count - 2, layers.count - 1)
        } else {
            attention = nil
        }
        combiners = spec.categorical.map(\.combiner)
        self.layers = layers
        self.stages = stages
        encoders = spec.categorical.map(CategoryEncoder.init)
        frozenTables = [Bool](repeating: false, count: tableList.count)
    }

    /// Trainable parameters: embedding entries plus dense weights and biases.
    public var parameterCount: (embeddings: Int, dense: Int) {
        (tables.reduce(0) { $0 + $1.count }, layers.reduce(0) { $0 + $1.weights.count + $1.bias.count })
    }

    /// Sets the numeric transforms' statistics from training rows.
    func fitNumericStatistics(_ data: SampleSet) {
        let m = spec.numeric.count
        for c in 0..<m {
            let t = spec.numeric[c].transform
            if t == .raw { numericShift[c] = 0; numericScale[c] = 1; continue }
            var sum = 0.0, sq = 0.0, n = 0.0
            for r in 0..<data.count {
                let v = data.numeric[r * m + c]
                if v.isNaN { continue }
                let x = Double(EmbeddingMLP.transform(v, t))
                sum += x; sq += x * x; n += 1
            }
            let mean = n > 0 ? sum / n : 0
            let sd = n > 1 ? (max(sq / n - mean * mean, 0)).squareRoot() : 1
            numericShift[c] = Float(mean)
            numericScale[c] = sd > 1e-12 ? Float(1 / sd) : 1
        }
    }

    @inline(__always)
    static func transform(_ v: Float, _ t: NumericTransform) -> Float {
        t == .log1p ? Foundation.log1p(max(v, 0)) : v
    }

    /// The weight of each row in a bag of `n` values pooled by `combiner`.
    @inline(__always)
    static func poolWeight(_ combiner: Combiner, _ n: Int) -> Float {
        switch combiner {
        case .sum: return 1
        case .mean: return 1 / Float(n)
        case .sqrtn: return 1 / Float(n).squareRoot()
        }
    }

    /// Writes the stacked input of row `r` of `data` into `x`. The attention
    /// column's slot is left zero (`attend` fills it for a batch).
    @inline(__always)
    func stack(_ data: SampleSet, row r: Int, into x: UnsafeMutablePointer<Float>) {
        let m = spec.numeric.count, c = spec.categorical.count
        for j in 0..<m {
            let v = data.numeric[r * m + j]
            x[j] = v.isNaN ? 0 : (EmbeddingMLP.transform(v, spec.numeric[j].transform) - numericShift[j]) * numericScale[j]
        }
        data.bagValues.withUnsafeBufferPointer { values in
            for j in 0..<c {
                let d = tableDimension[columnTable[j]]
                let dst = x + columnOffset[j]
                let bag = data.bag(r, j)
                if bag.count == 1 && j != attention?.bag {
                    tables[columnTable[j]].withUnsafeBufferPointer { t in dst.update(from: t.baseAddress! + Int(values[bag.lowerBound]) * d, count: d) }
                    continue
                }
                dst.update(repeating: 0, count: d)
                if bag.isEmpty || j == attention?.bag { continue }
                let w = EmbeddingMLP.poolWeight(combiners[j], bag.count)
                tables[columnTable[j]].withUnsafeBufferPointer { t in
                    for v in bag {
                        let src = t.baseAddress! + Int(values[v]) * d
                        for e in 0..<d { dst[e] += w * src[e] }
                    }
                }
            }
        }
    }

    /// Stacks `rows` of `data` into `x` (`inputWidth` floats per row) and
    /// pools the attention column over them, keeping what the backward
    /// pass needs in `scratch`.
    func stack(_ data: SampleSet, rows: some Collection<Int>, into x: UnsafeMutablePointer<Float>, scratch: AttentionScratch) {
        let width = spec.inputWidth
        for (b, r) in rows.enumerated() { stack(data, row: r, into: x + b * width) }
        guard let attention else { return }
        scratch.reset()
        for (b, r) in rows.enumerated() {
            let q = data.bag(r, attention.query)
            scratch.addRow(history: data.bagValues[data.bag(r, attention.bag)], query: q.isEmpty ? -1 : data.bagValues[q.lowerBound], row: b)
        }
        attend(scratch, into: x + columnOffset[attention.bag], stride: width)
    }

    /// Probabilities for every row of `data`.
    public func predict(_ data: SampleSet, batchSize: Int = 1024) -> [Float] {
        recsys_flush_denormals()
        var out = [Float](repeating: 0, count: data.count)
        let ws = Workspace(model: self, batch: min(batchSize, max(1, data.count)))
        let scratch = AttentionScratch()
        var start = 0
        while start < data.count {
            let n = min(batchSize, data.count - start)
            ws.x.withUnsafeMutableBufferPointer { x in stack(data, rows: start..<(start + n), into: x.baseAddress!, scratch: scratch) }
            let p = forward(ws, batch: n)
            for b in 0..<n { out[start + b] = p[b] }
            start += n
        }
        return out
    }

    /// Runs the MLP on the `batch` rows in `ws.x`; returns probabilities (in `ws`).
    /// With `fromStage` > 0 the activations of stage `fromStage - 1` must
    /// already be in `ws` (the serving path fills the first layer itself).
    /// Keeps every stage's activations, as the backward pass needs them.
    @discardableResult
    func forward(_ ws: Workspace, batch: Int, fromStage: Int = 0) -> UnsafeMutableBufferPointer<Float> {
        let last = run(ws, batch: batch, stages: fromStage..<stages.count)
        let p = ws.probabilities
        for b in 0..<batch { p[b] = 1 / (1 + exp(-last[b])) }
        return UnsafeMutableBufferPointer(start: p, count: batch)
    }

    /// Runs `range` of the stages from the input (`ws.x` when the range starts
    /// at 0, else the activations before it); returns the last output.
    func run(_ ws: Workspace, batch: Int, stages range: Range<Int>) -> UnsafeMutablePointer<Float> {
        var input = range.lowerBound == 0 ? ws.x.withUnsafeMutableBufferPointer { $0.baseAddress! } : ws.activation(range.lowerBound - 1)
        for s in range {
            switch stages[s] {
            case let .dense(l, relu):
                let out = ws.activation(s)
                gemmForward(input, layers[l], out, batch: batch, relu: relu)
                input = out
            case let .residual(first, second):
                let inner = ws.inner(s), out = ws.activation(s)
                gemmForward(input, layers[first], inner, batch: batch, relu: true)
                gemmForward(inner, layers[second], out, batch: batch, relu: true, adding: input)
                input = out
            }
        }
        return input
    }

    /// out = input W + b (+ skip), then ReLU when `relu`: the bias, the skip
    /// connection and the activation in one pass over the output.
    func gemmForward(_ input: UnsafePointer<Float>, _ layer: DenseLayer, _ out: UnsafeMutablePointer<Float>, batch: Int,
                     relu: Bool, adding skip: UnsafePointer<Float>? = nil) {
        let o = layer.outputs
        layer.multiply(input, rows: batch, into: out)
        layer.bias.withUnsafeBufferPointer { b in
            for r in 0..<batch {
                let row = out + r * o
                switch (skip.map { $0 + r * o }, relu) {
                case let (s?, true): for j in 0..<o { let v = row[j] + b[j] + s[j]; row[j] = v > 0 ? v : 0 }
                case let (s?, false): for j in 0..<o { row[j] += b[j] + s[j] }
                case (nil, true): for j in 0..<o { let v = row[j] + b[j]; row[j] = v > 0 ? v : 0 }
                case (nil, false): for j in 0..<o { row[j] += b[j] }
                }
            }
        }
    }
}
