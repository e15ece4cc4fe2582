import EmbedStore

/// Graph embeddings as SparrowRecSys's Deep Walk builds them: a directed
/// item graph from consecutive positive events of each user (an edge a -> b
/// per time a user rated b right after a, weighted by how often), random
/// walks whose steps follow the edge weights and whose starts follow each
/// item's share of the edges, then skip-gram over the walks as over sentences.
public struct DeepWalk {
    public var options = SkipGramOptions()
    public var minRating: Float = 3.5
    /// Walks to generate, and items per walk.
    public var walks = 20_000
    public var walkLength = 10

    public init() {}

    /// The item graph's weighted adjacency in compressed rows: for item i,
    /// targets `to[start[i]..<start[i+1]]` with cumulative weights `cumulative`.
    struct Graph {
        var start: [Int]
        var to: [Int32]
        var cumulative: [Double]
        /// Items by cumulative out-weight, for the walks' starts.
        var startCumulative: [Double]
    }

    static func graph(_ sequences: [[Int32]], items: Int) -> Graph {
        var edges: [Int: [Int32: Int]] = [:]
        for seq in sequences where seq.count > 1 {
            for i in 1..<seq.count where seq[i - 1] != seq[i] { edges[Int(seq[i - 1]), default: [:]][seq[i], default: 0] += 1 }
        }
        var g = Graph(start: [0], to: [], cumulative: [], startCumulative: [])
        var total = 0.0
        for i in 0..<items {
            var acc = 0.0
            for (target, w) in (edges[i] ?? [:]).sorted(by: { $0.key < $1.key }) {
                acc += Double(w)
                g.to.append(target)
                g.cumulative.append(acc)
            }
            g.start.append(g.to.count)
            total += acc
            g.startCumulative.append(total)
        }
        return g
    }

    /// The first index whose cumulative weight exceeds `x`.
    static func pick(_ cumulative: ArraySlice<Double>, _ x: Double) -> Int {
        var lo = cumulative.startIndex, hi = cumulative.endIndex - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] > x { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// Random walks over the graph of `sequences` (item indices below `items`).
    static func randomWalks(_ sequences: [[Int32]], items: Int, count: Int, length: Int, seed: UInt64) -> [[Int32]] {
        let g = graph(sequences, items: items)
        guard let total = g.startCumulative.last, total > 0 else { return [] }
        var rng = SplitMix64(seed: seed ^ 0xD33B)
        var out: [[Int32]] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            var node = pick(g.startCumulative[...], rng.openUnit() * total)
            var walk: [Int32] = [Int32(node)]
            while walk.count < length && g.start[node + 1] > g.start[node] {
                let row = g.cumulative[g.start[node]..<g.start[node + 1]]
                let k = pick(row, rng.openUnit() * row.last!)
                node = Int(g.to[k])
                walk.append(Int32(node))
            }
            out.append(walk)
        }
        return out
    }

    /// Trains on `log`; the result holds the items that appear in a walk.
    public func train(_ log: InteractionLog, progress: ((Int, Int) -> Void)? = nil) throws -> Item2Vec.Result {
        try options.validate()
        guard (1...10_000_000).contains(walks) else { throw OfflineError.invalidOption("--walks must be in 1...10000000, got \(walks)") }
        guard (2...1000).contains(walkLength) else { throw OfflineError.invalidOption("--walk-length must be in 2...1000, got \(walkLength)") }
        let sequences = Item2Vec.positiveSequences(log, minRating: minRating, holdoutLast: 0).train
        let walks = Self.randomWalks(sequences, items: log.itemIDs.count, count: walks, length: walkLength, seed: options.seed)
        guard !walks.isEmpty else {
            throw OfflineError.unusable(file: log.path, reason: "no user has two consecutive positive events: the item graph has no edge")
        }
        // vocabulary: the items the walks visit, most visited first
        var counts = [Int](repeating: 0, count: log.itemIDs.count)
        for w in walks { for t in w { counts[Int(t)] += 1 } }
        let kept = (0..<counts.count).filter { counts[$0] > 0 }.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
        var index = [Int32](repeating: -1, count: counts.count)
        for (k, item) in kept.enumerated() { index[item] = Int32(k) }
        let sentences = walks.map { $0.map { index[Int($0)] } }
        let model = SkipGram(counts: kept.map { counts[$0] }, dimension: options.dimension, seed: options.seed)
        let clock = ContinuousClock(), t0 = clock.now
        try model.train(sentences.filter { $0.count > 1 }, options: options, progress: progress)
        let elapsed = clock.now - t0
        var vectors: [Float] = []
        for i in 0..<kept.count { vectors += model.vector(i) }
        return Item2Vec.Result(ids: kept.map { log.itemIDs[$0] }, vectors: vectors, dimension: options.dimension, sequences: [], users: [],
                               tokens: sentences.reduce(0) { $0 + $1.count } * options.epochs,
                               seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
