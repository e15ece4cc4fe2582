import EmbedStore
import Foundation

/// Skip-gram with negative sampling over sequences of token indices, as
/// word2vec trains it (and Spark MLlib's Word2Vec, which SparrowRecSys
/// uses for item2vec): for each token and each context token within a
/// window of random width 1...`window` around it, one logistic update
/// towards the pair and `negative` updates away from tokens drawn from the
/// unigram distribution raised to 3/4. The learning rate falls linearly
/// from `learningRate` to 0.0001 x it over the run.
///
/// Threads train disjoint slices of the sequences on shared weights without
/// locks (Hogwild, as word2vec and gensim do): updates are sparse, and a
/// rare lost update costs nothing measurable. With one thread a run is
/// reproducible bit for bit from its seed.
public struct SkipGramOptions: Sendable {
    public var dimension = 10
    public var window = 5
    public var epochs = 10
    public var negative = 5
    public var learningRate: Float = 0.025
    public var seed: UInt64 = 1
    public var threads = 1

    public init() {}

    func validate() throws {
        guard (1...4096).contains(dimension) else { throw OfflineError.invalidOption("--dim must be in 1...4096, got \(dimension)") }
        guard (1...100).contains(window) else { throw OfflineError.invalidOption("--window must be in 1...100, got \(window)") }
        guard (1...1000).contains(epochs) else { throw OfflineError.invalidOption("--epochs must be in 1...1000, got \(epochs)") }
        guard (0...50).contains(negative) else { throw OfflineError.invalidOption("--negative must be in 0...50, got \(negative)") }
        guard learningRate > 0 && learningRate < 1 else { throw OfflineError.invalidOption("--learning-rate must be in (0, 1), got \(learningRate)") }
        guard (1...256).contains(threads) else { throw OfflineError.invalidOption("--threads must be in 1...256, got \(threads)") }
    }
}

public final class SkipGram: @unchecked Sendable {
    public let vocabulary: Int
    public let dimension: Int
    /// Input vectors (the embeddings), `vocabulary x dimension`.
    let input: UnsafeMutablePointer<Float>
    /// Output vectors of the negative-sampling layer.
    let output: UnsafeMutablePointer<Float>
    private let noise: [Int32]
    private static let sigmoidTableSize = 1000
    private static let maxExp: Float = 6
    private let sigmoid: [Float]

    /// Weights for `counts.count` tokens; `counts` set the noise distribution.
    public init(counts: [Int], dimension: Int, seed: UInt64) {
        vocabulary = counts.count
        self.dimension = dimension
        input = .allocate(capacity: max(1, counts.count * dimension))
        output = .allocate(capacity: max(1, counts.count * dimension))
        output.initialize(repeating: 0, count: max(1, counts.count * dimension))
        var rng = SplitMix64(seed: seed ^ 0x17E3)
        for i in 0..<(counts.count * dimension) { input[i] = (rng.unit() - 0.5) / Float(dimension) }
        // the unigram table: token i fills a share of slots proportional to count^0.75
        let size = max(1, min(1 << 22, 64 * counts.count))
        let weights = counts.map { pow(Double($0), 0.75) }
        let total = weights.reduce(0, +)
        var table = [Int32](repeating: 0, count: size)
        var i = 0, cumulative = weights.first.map { $0 / total } ?? 1
        for slot in 0..<size {
            table[slot] = Int32(i)
            if Double(slot + 1) / Double(size) > cumulative && i < counts.count - 1 {
                i += 1
                cumulative += weights[i] / total
            }
        }
        noise = table
        sigmoid = (0..<Self.sigmoidTableSize).map { k in
            let x = (Float(k) / Float(Self.sigmoidTableSize) * 2 - 1) * Self.maxExp
            return 1 / (1 + exp(-x))
        }
    }

    deinit {
        input.deallocate()
        output.deallocate()
    }

    /// The embedding of token `i`.
    public func vector(_ i: Int) -> [Float] { Array(UnsafeBufferPointer(start: input + i * dimension, count: dimension)) }

    /// Trains on `sequences` (token indices); `progress` gets the tokens done
    /// so far and the total, from the first thread, now and then.
    public func train(_ sequences: [[Int32]], options: SkipGramOptions, progress: ((Int, Int) -> Void)? = nil) throws {
        try options.validate()
        guard options.dimension == dimension else { throw OfflineError.invalidOption("dimension \(options.dimension) differs from the model's \(dimension)") }
        let tokensPerEpoch = sequences.reduce(0) { $0 + $1.count }
        let total = max(1, tokensPerEpoch * options.epochs)
        let threads = min(options.threads, max(1, sequences.count))
        let done = SharedCounter()
        // contiguous slices of sequences, balanced by tokens
        var bounds = [0]
        var acc = 0
        for (s, seq) in sequences.enumerated() {
            acc += seq.count
            if bounds.count < threads && acc >= tokensPerEpoch * bounds.count / threads { bounds.append(s + 1) }
        }
        while bounds.count <= threads { bounds.append(sequences.count) }
        bounds[threads] = sequences.count
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            var rng = SplitMix64(seed: options.seed &+ UInt64(t) &* 0x9E37_79B9_7F4A_7C15)
            let neu1e = UnsafeMutablePointer<Float>.allocate(capacity: dimension)
            defer { neu1e.deallocate() }
            for _ in 0..<options.epochs {
                for s in bounds[t]..<bounds[t + 1] {
                    let seq = sequences[s]
                    let progressSoFar = Float(done.value) / Float(total)
                    let alpha = max(options.learningRate * 0.0001, options.learningRate * (1 - progressSoFar))
                    seq.withUnsafeBufferPointer { tokens in
                        trainSequence(tokens, options: options, alpha: alpha, rng: &rng, neu1e: neu1e)
                    }
                    let now = done.add(seq.count)
                    if t == 0, let progress, now % 4096 < seq.count { progress(now, total) }
                }
            }
        }
        progress?(total, total)
    }

    @inline(__always)
    private func trainSequence(_ tokens: UnsafeBufferPointer<Int32>, options: SkipGramOptions, alpha: Float, rng: inout SplitMix64, neu1e: UnsafeMutablePointer<Float>) {
        let d = dimension, n = tokens.count
        for i in 0..<n {
            let center = Int(tokens[i])
            // word2vec's reduced window: a random width in 1...window
            let b = Int(rng.next() % UInt64(options.window)) + 1
            for j in max(0, i - b)...min(n - 1, i + b) where j != i {
                let context = Int(tokens[j])
                let l1 = input + context * d
                neu1e.initialize(repeating: 0, count: d)
                for k in 0...options.negative {
                    let target: Int, label: Float
                    if k == 0 {
                        target = center; label = 1
                    } else {
                        target = Int(noise[Int(rng.next() % UInt64(noise.count))])
                        if target == center { continue }
                        label = 0
                    }
                    let l2 = output + target * d
                    var f: Float = 0
                    for c in 0..<d { f += l1[c] * l2[c] }
                    let g: Float
                    if f > Self.maxExp { g = (label - 1) * alpha }
                    else if f < -Self.maxExp { g = label * alpha }
                    else { g = (label - sigmoid[Int((f + Self.maxExp) * (Float(Self.sigmoidTableSize) / Self.maxExp / 2))]) * alpha }
                    for c in 0..<d { neu1e[c] += g * l2[c] }
                    for c in 0..<d { l2[c] += g * l1[c] }
                }
                for c in 0..<d { l1[c] += neu1e[c] }
            }
        }
    }
}

/// A count several threads add to, under a lock: it is touched once per
/// sequence, not per token, so a lock costs nothing measurable.
final class SharedCounter: @unchecked Sendable {
    private let lock = AdaptiveLock()
    private var count = 0
    /// Adds `n` and returns the new total.
    func add(_ n: Int) -> Int { lock.withLock { count += n; return count } }
    var value: Int { lock.withLock { count } }
}
