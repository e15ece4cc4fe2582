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
