import ArgumentParser
import Foundation
import Offline

/// The skip-gram options `item2vec train` and `graph-embedding train` share.
struct SkipGramFlags: ParsableArguments {
    @Option(help: "Vector dimension.") var dim: Int = 10
    @Option(help: "Context window (a random width up to this, as word2vec).") var window: Int = 5
    @Option(help: "Passes over the sentences.") var epochs: Int = 10
    @Option(help: "Negative samples per positive pair.") var negative: Int = 5
    @Option(name: .customLong("learning-rate"), parsing: .unconditional, help: "Starting learning rate (falls linearly to 0.01% of it).") var learningRate: Float = 0.025
    @Option(help: "Seed of the initial vectors, windows and negatives (and of the walks).") var seed: UInt64 = 1
    @Option(help: "Training threads (default: one per core; one thread reproduces a run from its seed).") var threads: Int?

    var options: SkipGramOptions {
        var o = SkipGramOptions()
        o.dimension = dim
        o.window = window
        o.epochs = epochs
        o.negative = negative
        o.learningRate = learningRate
        o.seed = seed
        o.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        return o
    }

    /// The parameters, for a table's source note.
    var summary: String { "dim=\(dim) window=\(window) epochs=\(epochs) negative=\(negative) seed=\(seed)" }
}
