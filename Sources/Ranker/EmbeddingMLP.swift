import EmbedStore
import CBLAS
import CKernels
import Foundation

/// A dense layer: `y = x W + b`, W row-major `inputs x outputs`.
struct DenseLayer: Sendable {
    var inputs: Int
    var outputs: Int
    var weights: [Float]
    var bias: [Float]

    init(inputs: Int, outputs: Int, rng: inout SplitMix64) {
        self.inputs = inputs
        self.outputs = outputs
        let limit = (6 / Float(inputs + outputs)).squareRoot() // Glorot uniform, as Keras
        weights = (0..<(inputs * outputs)).map { _ in (rng.unit() * 2 - 1) * limit }
        bias = [Float](repeating: 0, count: outputs)
    }

    /// out = input W for `rows` rows (row-major, `inputs` and `outputs`
    /// floats per row); with `accumulate`, out += input W (no zeroing pass).
    func multiply(_ input: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        weights.withUnsafeBufferPointer { w in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(outputs), Int32(inputs),
                        1, input, Int32(inputs), w.baseAddress!, Int32(outputs), accumulate ? 1 : 0, out, Int32(outputs))
        }
    }
}

/// One step of the MLP.
enum Stage: Sendable {
    /// A dense layer with or without ReLU.
    case dense(layer: Int, relu: Bool)
    /// Deep Crossing's residual unit: relu(x + W2 relu(W1 x + b1) + b2).
    case residual(first: Int, second: Int)
}

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
    func predict(userPart: [Float], itemParts: [UnsafePointer<Float>], pairs: UnsafePointer<Float>? = nil) -> [Float] {
        recsys_flush_denormals()
        var out = [Float](repeating: 0, count: itemParts.count)
        let batch = 1024
        let ws = Workspace(model: self, batch: min(batch, max(1, itemParts.count)), stackedInput: false)
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

    /// Runs `range` of the stages from the input (`ws.x` when the range starts
    /// at 0, else the activations before it); returns the last output.
    private func run(_ ws: Workspace, batch: Int, stages range: Range<Int>) -> UnsafeMutablePointer<Float> {
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

/// Buffers for one batch size: activations kept for the backward pass.
final class Workspace {
    let batch: Int
    var x: [Float]
    private var activations: [UnsafeMutablePointer<Float>] = []
    private var inners: [UnsafeMutablePointer<Float>?] = []
    let probabilities: UnsafeMutablePointer<Float>

    /// - Parameter stackedInput: whether the batch starts from stacked input
    ///   rows in `x` (serving starts from the first layer's parts instead).
    init(model: EmbeddingMLP, batch: Int, stackedInput: Bool = true) {
        self.batch = batch
        x = stackedInput ? [Float](repeating: 0, count: batch * model.spec.inputWidth) : []
        for stage in model.stages {
            switch stage {
            case let .dense(l, _):
                activations.append(.allocate(capacity: batch * model.layers[l].outputs))
                inners.append(nil)
            case let .residual(first, second):
                activations.append(.allocate(capacity: batch * model.layers[second].outputs))
                inners.append(.allocate(capacity: batch * model.layers[first].outputs))
            }
        }
        probabilities = .allocate(capacity: batch)
    }

    deinit {
        activations.forEach { $0.deallocate() }
        inners.forEach { $0?.deallocate() }
        probabilities.deallocate()
    }

    func activation(_ s: Int) -> UnsafeMutablePointer<Float> { activations[s] }
    func inner(_ s: Int) -> UnsafeMutablePointer<Float> { inners[s]! }
}
