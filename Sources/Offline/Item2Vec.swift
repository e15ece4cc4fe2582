import EmbedStore
import Foundation

/// item2vec: each user's positively rated items in time order are a
/// sentence, and skip-gram with negative sampling learns an item's vector
/// from the items rated around it (SparrowRecSys trains it with Spark's
/// Word2Vec: vector size 10, window 5, 10 iterations).
public struct Item2Vec {
    public var options = SkipGramOptions()
    /// Ratings at or above this make an item part of the user's sequence.
    public var minRating: Float = 3.5
    /// Items in fewer positive events are left out of the vocabulary.
    public var minCount = 1

    public init() {}

    /// What training produced: item ids and their vectors (`dimension` floats each, in order).
    public struct Result {
        public var ids: [String]
        public var vectors: [Float]
        public var dimension: Int
        /// Per user (by log index): the vocabulary items of their sequence, oldest first.
        public var sequences: [[Int32]]
        public var users: [String]
        public var tokens: Int
        public var seconds: Double
    }

    /// Each user's last `holdoutLast` positive events are left out of
    /// training (kept for `recall holdout`, which uses them as targets).
    public var holdoutLast = 0
    /// Only events with time before this are learnt from (nil: all). Vectors
    /// meant to initialise a ranker must come from events before its
    /// training window: item2vec sees positive events only, so vectors that
    /// saw the ranker's training events tell its positives apart (a leak
    /// that cost 0.06 test AUC on the movielens time split).
    public var before: Int64?

    /// Each user's positive events in time order as log item indices (those
    /// before `before`, when given), the last `holdoutLast` of each split off.
    public static func positiveSequences(_ log: InteractionLog, minRating: Float, holdoutLast: Int, before: Int64? = nil) -> (train: [[Int32]], heldOut: [[Int32]]) {
        let (order, starts) = log.eventsByUser()
        var train: [[Int32]] = [], heldOut: [[Int32]] = []
        for u in 0..<log.userIDs.count {
            var seq: [Int32] = []
            for i in starts[u]..<starts[u + 1] {
                let e = Int(order[i])
                if let before, log.times[e] >= before { break } // time order: the rest are later
                if log.implicit || log.ratings[e] >= minRating { seq.append(log.items[e]) }
            }
            let cut = max(0, seq.count - holdoutLast)
            train.append(Array(seq[..<cut]))
            heldOut.append(Array(seq[cut...]))
        }
        return (train, heldOut)
    }

    /// Each user's positive events in time order, as vocabulary indices.
    public func sequences(_ log: InteractionLog) -> (vocabulary: [Int32], ids: [String], sequences: [[Int32]]) {
        let raw = Self.positiveSequences(log, minRating: minRating, holdoutLast: holdoutLast, before: before).train
        var counts = [Int](repeating: 0, count: log.itemIDs.count)
        for seq in raw { for item in seq { counts[Int(item)] += 1 } }
        // vocabulary: items seen at least minCount times, most frequent first (ties by first appearance)
        let kept = (0..<counts.count).filter { counts[$0] >= minCount && counts[$0] > 0 }.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
        var index = [Int32](repeating: -1, count: counts.count)
        for (k, item) in kept.enumerated() { index[item] = Int32(k) }
        let sequences = raw.map { seq in seq.compactMap { index[Int($0)] >= 0 ? index[Int($0)] : nil } }
        return (kept.map { Int32($0) }, kept.map { log.itemIDs[$0] }, sequences)
    }

    /// Trains on `log`; `progress` gets (tokens done, total).
    public func train(_ log: InteractionLog, progress: ((Int, Int) -> Void)? = nil) throws -> Result {
        try options.validate()
        guard minCount >= 1 else { throw OfflineError.invalidOption("--min-count must be at least 1, got \(minCount)") }
        let (_, ids, sequences) = self.sequences(log)
        guard !ids.isEmpty else {
            throw OfflineError.unusable(file: log.path, reason: "no item has \(minCount) or more positive events (rating >= \(minRating)): nothing to train on")
        }
        var counts = [Int](repeating: 0, count: ids.count)
        for seq in sequences { for t in seq { counts[Int(t)] += 1 } }
        let model = SkipGram(counts: counts, dimension: options.dimension, seed: options.seed)
        let clock = ContinuousClock(), start = clock.now
        try model.train(sequences.filter { $0.count > 1 }, options: options, progress: progress)
        let elapsed = clock.now - start
        var vectors = [Float]()
        vectors.reserveCapacity(ids.count * options.dimension)
        for i in 0..<ids.count { vectors += model.vector(i) }
        return Result(ids: ids, vectors: vectors, dimension: options.dimension, sequences: sequences, users: log.userIDs,
                      tokens: sequences.reduce(0) { $0 + $1.count } * options.epochs,
                      seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    /// Writes the item vectors as table `table` (kind pretrained) and, with
    /// `userTable`, each user's mean item vector and their histories, in one
    /// write transaction: all of it or nothing. With `userRecent`, a user's
    /// vector is the mean of their last `userRecent` items only (the whole
    /// history is still stored, so it is still excluded from recall).
    public static func store(_ r: Result, into store: Store, table: String, userTable: String?, userRecent: Int? = nil, source: String) throws -> (items: TableInfo, users: TableInfo?) {
        try store.write { txn in
            try txn.requireSoundStructure()
            let items = try TableBuilder(txn: txn, name: table, kind: .pretrained, source: source)
            for (i, id) in r.ids.enumerated() {
                try r.vectors.withUnsafeBufferPointer { v in
                    try items.append(id: id, vector: Array(UnsafeBufferPointer(rebasing: v[(i * r.dimension)..<((i + 1) * r.dimension)])))
                }
            }
            let itemInfo = try items.finish()
            guard let userTable else { return (itemInfo, nil) }
            let what = userRecent.map { "mean of the user's last \($0) item vectors" } ?? "mean of the user's item vectors"
            let users = try TableBuilder(txn: txn, name: userTable, kind: .user, source: source + " (\(what))")
            var mean = [Float](repeating: 0, count: r.dimension)
            for (u, seq) in r.sequences.enumerated() where !seq.isEmpty {
                let recent = seq.suffix(max(1, userRecent ?? seq.count))
                for k in 0..<r.dimension { mean[k] = 0 }
                for t in recent { for k in 0..<r.dimension { mean[k] += r.vectors[Int(t) * r.dimension + k] } }
                for k in 0..<r.dimension { mean[k] /= Float(recent.count) }
                try users.append(id: r.users[u], vector: mean)
                try txn.setHistory(seq.map { r.ids[Int($0)] }, of: r.users[u])
            }
            return (itemInfo, try users.finish())
        }
    }
}
