import EmbedStore
import CBLAS

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
