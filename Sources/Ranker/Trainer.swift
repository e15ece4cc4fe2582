import EmbedStore
import CBLAS
import CKernels
import Foundation

/// Mini-batch training options.
public struct TrainingOptions: Codable, Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    public var seed: UInt64
    /// Stop when validation ROC AUC has not improved for this many epochs (0: never).
    public var patience: Int
    /// DIN's mini-batch aware regularisation (Zhou et al. 2018, eq. 4): each
    /// embedding row a batch looks up gets lambda / n_j * w_j added to its
    /// gradient, n_j counting the training samples that look it up. Only the
    /// rows in the batch pay, so the cost stays with the sparse update, and
    /// rare ids (the ones that overfit) are pulled hardest. 0: off; nil:
    /// the spec's `embeddingL2`.
    public var embeddingL2: Float?

    public init(epochs: Int = 5, batchSize: Int = 12, learningRate: Float = 0.001, seed: UInt64 = 1, patience: Int = 0, embeddingL2: Float? = nil) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.seed = seed
        self.patience = patience
        self.embeddingL2 = embeddingL2
    }

    func validate() throws {
        if epochs < 1 || epochs > 10_000 { throw RankerError.badOption("--epochs must be 1...10000") }
        if batchSize < 1 || batchSize > 1 << 16 { throw RankerError.badOption("--batch-size must be 1...65536") }
        if !(learningRate > 0 && learningRate < 10) { throw RankerError.badOption("--learning-rate must be in (0, 10)") }
        if let l = embeddingL2, !(l >= 0 && l < 1e6) { throw RankerError.badOption("--embedding-l2 must be in [0, 1e6)") }
    }
}

/// What one epoch did.
public struct EpochReport: Codable, Sendable {
    public var epoch: Int
    /// Mean training loss over the epoch's batches.
    public var loss: Double
    /// Validation metrics, when a validation set was given.
    public var validation: Metrics?
    /// Training samples per second.
    public var samplesPerSecond: Double
}

/// Gradients and Adam state of every parameter.
final class Optimizer {
    let beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7
    var step = 0
    // dense
    var gradW: [[Float]], gradB: [[Float]]
    var mW: [[Float]], vW: [[Float]], mB: [[Float]], vB: [[Float]]
    // embeddings: gradient rows accumulated per batch, Adam state per row
    // (lazy). The gradients and touched flags are plain memory: the scatter
    // writes them once per looked-up row, without array checks.
    let gradTables: [UnsafeMutablePointer<Float>]
    let isTouched: [UnsafeMutablePointer<Bool>]
    var mT: [[Float]], vT: [[Float]]
    var touched: [[Int32]]
    /// Per table row: lambda / (training samples looking it up), or empty
    /// when regularisation is off.
    var rowPenalty: [[Float]]

    init(_ model: EmbeddingMLP) {
        rowPenalty = model.tables.map { _ in [] }
        gradW = model.layers.map { [Float](repeating: 0, count: $0.weights.count) }
        gradB = model.layers.map { [Float](repeating: 0, count: $0.bias.count) }
        mW = gradW; vW = gradW; mB = gradB; vB = gradB
        gradTables = model.tables.map { t in
            let g = UnsafeMutablePointer<Float>.allocate(capacity: t.count)
            g.initialize(repeating: 0, count: t.count)
            return g
        }
        mT = model.tables.map { [Float](repeating: 0, count: $0.count) }
        vT = mT
        touched = model.tables.map { _ in [] }
        isTouched = model.tables.enumerated().map { i, t in
            let rows = t.count / model.tableDimension[i]
            let flags = UnsafeMutablePointer<Bool>.allocate(capacity: rows)
            flags.initialize(repeating: false, count: rows)
            return flags
        }
    }

    deinit {
        gradTables.forEach { $0.deallocate() }
        isTouched.forEach { $0.deallocate() }
    }

    /// Adds `scale * gradient` (`dimension` floats) to row `row` of table `k`'s gradient.
    @inline(__always)
    func addGradient(table k: Int, row: Int, _ gradient: UnsafePointer<Float>, scale: Float, dimension d: Int) {
        let dst = gradTables[k] + row * d
        for e in 0..<d { dst[e] += scale * gradient[e] }
        if !isTouched[k][row] {
            isTouched[k][row] = true
            touched[k].append(Int32(row))
        }
    }

    /// One Adam step over the dense layers and the touched embedding rows; clears the gradients.
    func apply(_ model: EmbeddingMLP, learningRate lr: Float) {
        step += 1
        let t = Float(step)
        let lrT = lr * (1 - pow(beta2, t)).squareRoot() / (1 - pow(beta1, t))
        let b1 = beta1, b2 = beta2, eps = epsilon
        func adam(_ p: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>, _ n: Int) {
            for i in 0..<n {
                let gi = g[i]
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                p[i] -= lrT * m[i] / (v[i].squareRoot() + eps)
                g[i] = 0
            }
        }
        for l in 0..<model.layers.count {
            model.layers[l].weights.withUnsafeMutableBufferPointer { p in gradW[l].withUnsafeMutableBufferPointer { g in mW[l].withUnsafeMutableBufferPointer { m in vW[l].withUnsafeMutableBufferPointer { v in
                adam(p.baseAddress!, g.baseAddress!, m.baseAddress!, v.baseAddress!, p.count) } } } }
            model.layers[l].bias.withUnsafeMutableBufferPointer { p in gradB[l].withUnsafeMutableBufferPointer { g in mB[l].withUnsafeMutableBufferPointer { m in vB[l].withUnsafeMutableBufferPointer { v in
                adam(p.baseAddress!, g.baseAddress!, m.baseAddress!, v.baseAddress!, p.count) } } } }
        }
        for k in 0..<model.tables.count {
            let d = model.tableDimension[k]
            let g = gradTables[k], flags = isTouched[k]
            let penalty = rowPenalty[k]
            model.tables[k].withUnsafeMutableBufferPointer { p in mT[k].withUnsafeMutableBufferPointer { m in vT[k].withUnsafeMutableBufferPointer { v in
                for r in touched[k] {
                    let o = Int(r) * d
                    if !penalty.isEmpty {
                        let c = penalty[Int(r)]
                        for e in o..<(o + d) { g[e] += c * p[e] }
                    }
                    adam(p.baseAddress! + o, g + o, m.baseAddress! + o, v.baseAddress! + o, d)
                    flags[Int(r)] = false
                }
            } } }
            touched[k].removeAll(keepingCapacity: true)
        }
    }
}

/// Trains an `EmbeddingMLP` with mini-batch Adam on binary cross-entropy.
public final class Trainer {
    public let model: EmbeddingMLP
    let optimizer: Optimizer
    private var ws: Workspace?
    private let attentionScratch = AttentionScratch()
    private var gradients: [UnsafeMutablePointer<Float>] = []

    public init(model: EmbeddingMLP) {
        self.model = model
        optimizer = Optimizer(model)
    }

    /// Trains on `train`; per epoch reports loss, validation metrics and speed.
    /// Reproducible bit-for-bit with the same seed on the same machine.
    @discardableResult
    public func train(_ train: SampleSet, validation: SampleSet? = nil, options: TrainingOptions, onEpoch: (EpochReport) -> Void = { _ in }) throws -> [EpochReport] {
        try options.validate()
        recsys_flush_denormals()
        // Large batches split their matrix products across cores; small ones stay on one.
        openblas_set_num_threads(options.batchSize >= 128 ? Int32(max(1, ProcessInfo.processInfo.activeProcessorCount)) : 1)
        defer { openblas_set_num_threads(1) }
        model.fitNumericStatistics(train)
        let lambda = options.embeddingL2 ?? model.spec.embeddingL2 ?? 0
        optimizer.rowPenalty = lambda > 0 ? rowPenalties(train, lambda: lambda) : model.tables.map { _ in [] }
        var rng = SplitMix64(seed: options.seed &+ 0x7A11)
        var order = Array(0..<train.count)
        var reports: [EpochReport] = []
        var best = -Double.infinity, bestEpoch = 0
        var bestState: ([[Float]], [DenseLayer])?
        for epoch in 1...options.epochs {
            rng.shuffle(&order)
            let clock = ContinuousClock()
            let start = clock.now
            var lossSum = 0.0
            var i = 0
            while i < order.count {
                let n = min(options.batchSize, order.count - i)
                lossSum += Double(step(train, rows: order[i..<(i + n)], learningRate: options.learningRate)) * Double(n)
                i += n
            }
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            var report = EpochReport(epoch: epoch, loss: lossSum / Double(train.count), validation: nil, samplesPerSecond: Double(train.count) / max(seconds, 1e-9))
            if let validation {
                let m = Metrics.compute(labels: validation.labels, predictions: model.predict(validation))
                report.validation = m
                if m.rocAUC > best {
                    best = m.rocAUC
                    bestEpoch = epoch
                    if options.patience > 0 { bestState = (model.tables, model.layers) }
                }
            }
            reports.append(report)
            onEpoch(report)
            if options.patience > 0, validation != nil, epoch - bestEpoch >= options.patience {
                if let bestState { model.tables = bestState.0; model.layers = bestState.1 }
                break
            }
        }
        return reports
    }

    /// lambda / n_j for every row j of every table, n_j counting the samples
    /// of `data` that look row j up (in any column sharing the table).
    func rowPenalties(_ data: SampleSet, lambda: Float) -> [[Float]] {
        var counts = model.tables.indices.map { k in [Int32](repeating: 0, count: model.tables[k].count / model.tableDimension[k]) }
        let c = model.spec.categorical.count
        for r in 0..<data.count {
            for j in 0..<c {
                let k = model.columnTable[j]
                for v in data.bag(r, j) { counts[k][Int(data.bagValues[v])] &+= 1 }
            }
        }
        return counts.map { $0.map { $0 > 0 ? lambda / Float($0) : 0 } }
    }

    /// One mini-batch: forward, backward, Adam. Returns the batch's mean loss.
    func step(_ data: SampleSet, rows: ArraySlice<Int>, learningRate: Float) -> Float {
        let loss = accumulateGradients(data, rows: rows)
        optimizer.apply(model, learningRate: learningRate)
        return loss
    }

    private func workspace(_ batch: Int) -> Workspace {
        if let ws, ws.batch >= batch { return ws }
        let w = Workspace(model: model, batch: batch)
        ws = w
        gradients.forEach { $0.deallocate() }
        let widest = max(model.spec.inputWidth, model.layers.map { max($0.inputs, $0.outputs) }.max() ?? 1)
        gradients = (0..<3).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: batch * widest) }
        return w
    }

    deinit { gradients.forEach { $0.deallocate() } }

    /// Forward and backward over `rows`, adding gradients of the mean loss to
    /// the optimizer's buffers. Returns the mean loss.
    func accumulateGradients(_ data: SampleSet, rows: ArraySlice<Int>) -> Float {
        let n = rows.count
        let ws = workspace(n)
        let width = model.spec.inputWidth
        ws.x.withUnsafeMutableBufferPointer { x in model.stack(data, rows: rows, into: x.baseAddress!, scratch: attentionScratch) }
        let p = model.forward(ws, batch: n)
        var loss: Float = 0
        // d(mean BCE)/d(logit) = (p - y) / n
        var g = gradients[0]
        for (b, r) in rows.enumerated() {
            let y = data.labels[r]
            let pc = min(max(p[b], 1e-7), 1 - 1e-7)
            loss -= y > 0.5 ? log(pc) : log(1 - pc)
            g[b] = (p[b] - y) / Float(n)
        }
        var spare = [gradients[1], gradients[2]]
        let xPtr = ws.x.withUnsafeMutableBufferPointer { $0.baseAddress! }
        for s in stride(from: model.stages.count - 1, through: 0, by: -1) {
            let input: UnsafeMutablePointer<Float> = s == 0 ? xPtr : ws.activation(s - 1)
            let gIn = spare[0]
            switch model.stages[s] {
            case let .dense(l, relu):
                let layer = model.layers[l]
                if relu {
                    let out = ws.activation(s)
                    for i in 0..<(n * layer.outputs) where out[i] <= 0 { g[i] = 0 }
                }
                backwardDense(l, input: input, gradOut: g, gradIn: gIn, batch: n)
            case let .residual(first, second):
                let out = ws.activation(s), inner = ws.inner(s)
                let l1 = model.layers[first], l2 = model.layers[second]
                for i in 0..<(n * l2.outputs) where out[i] <= 0 { g[i] = 0 }
                let gInner = spare[1]
                backwardDense(second, input: inner, gradOut: g, gradIn: gInner, batch: n)
                for i in 0..<(n * l1.outputs) where inner[i] <= 0 { gInner[i] = 0 }
                backwardDense(first, input: input, gradOut: gInner, gradIn: gIn, batch: n)
                for i in 0..<(n * l2.outputs) { gIn[i] += g[i] } // the skip connection
            }
            spare[0] = g
            g = gIn
        }
        // g is now d loss / d x: scatter the embedding parts into their table
        // rows, each row of a bag weighted as the combiner pooled it
        let c = model.spec.categorical.count
        for (b, r) in rows.enumerated() {
            for j in 0..<c where j != model.attention?.bag {
                let k = model.columnTable[j], bag = data.bag(r, j)
                if bag.isEmpty || model.frozenTables[k] { continue }
                let w = EmbeddingMLP.poolWeight(model.combiners[j], bag.count)
                for v in bag {
                    optimizer.addGradient(table: k, row: Int(data.bagValues[v]), g + b * width + model.columnOffset[j], scale: w, dimension: model.tableDimension[k])
                }
            }
        }
        if let attention = model.attention {
            attentionBackward(attentionScratch, gradOut: g + model.columnOffset[attention.bag], stride: width)
        }
        return loss / Float(n)
    }

    /// dW += input^T gradOut, db += colsum(gradOut), gradIn = gradOut W^T.
    func backwardDense(_ l: Int, input: UnsafePointer<Float>, gradOut: UnsafePointer<Float>, gradIn: UnsafeMutablePointer<Float>, batch n: Int) {
        let layer = model.layers[l]
        let I = Int32(layer.inputs), O = Int32(layer.outputs), B = Int32(n)
        optimizer.gradW[l].withUnsafeMutableBufferPointer { dw in
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, I, O, B, 1, input, I, gradOut, O, 1, dw.baseAddress!, O)
        }
        optimizer.gradB[l].withUnsafeMutableBufferPointer { db in
            for b in 0..<n { for j in 0..<layer.outputs { db[j] += gradOut[b * layer.outputs + j] } }
        }
        layer.weights.withUnsafeBufferPointer { w in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, I, O, 1, gradOut, O, w.baseAddress!, O, 0, gradIn, I)
        }
    }
}
