/// Top-N quality of ranked lists against held-out targets, as the field
/// reports it (full ranking: the lists rank the whole catalogue less the
/// user's training items, no sampled negatives).
///
/// Per user, with T the targets and r the 1-based rank of each hit:
/// HR@K = 1 if a target is in the top K; Recall@K = hits / |T|;
/// NDCG@K = sum 1/log2(r+1) / sum_{i<=min(|T|,K)} 1/log2(i+1);
/// MRR@K = 1/r of the first hit. Each is averaged over users; coverage@K is
/// the share of the catalogue that appears in some user's top K.
public struct RankingMetrics: Sendable {
    public let ks: [Int]
    public let catalogue: Int
    private(set) var users = 0
    private var hr: [Double], recall: [Double], ndcg: [Double], mrr: [Double]
    /// Per K, a flag per catalogue key (keys outside 0..<catalogue are not counted).
    private var covered: [[Bool]]
    private var coveredCount: [Int]

    public init(ks: [Int], catalogue: Int) {
        self.ks = ks.sorted()
        self.catalogue = catalogue
        hr = Array(repeating: 0, count: ks.count)
        recall = hr; ndcg = hr; mrr = hr
        covered = Array(repeating: Array(repeating: false, count: catalogue), count: ks.count)
        coveredCount = Array(repeating: 0, count: ks.count)
    }

    /// Adds one user's ranked list (item keys, best first) and targets.
    public mutating func add(ranked: [Int], targets: Set<Int>) {
        guard !targets.isEmpty else { return }
        users += 1
        for (n, k) in ks.enumerated() {
            var hits = 0, dcg = 0.0, first = 0
            for (i, item) in ranked.prefix(k).enumerated() {
                if item >= 0 && item < catalogue && !covered[n][item] { covered[n][item] = true; coveredCount[n] += 1 }
                if targets.contains(item) {
                    hits += 1
                    dcg += 1 / log2(Double(i + 2))
                    if first == 0 { first = i + 1 }
                }
            }
            let ideal = (0..<min(targets.count, k)).reduce(0.0) { $0 + 1 / log2(Double($1 + 2)) }
            if hits > 0 { hr[n] += 1; mrr[n] += 1 / Double(first) }
            recall[n] += Double(hits) / Double(targets.count)
            ndcg[n] += dcg / ideal
        }
    }

    /// One row per K.
    public struct Row: Sendable, Codable, Equatable {
        public var k: Int
        public var hr: Double
        public var ndcg: Double
        public var recall: Double
        public var mrr: Double
        public var coverage: Double
    }

    public var rows: [Row] {
        let u = Double(max(1, users))
        return ks.indices.map { n in
            Row(k: ks[n], hr: hr[n] / u, ndcg: ndcg[n] / u, recall: recall[n] / u, mrr: mrr[n] / u, coverage: Double(coveredCount[n]) / Double(max(1, catalogue)))
        }
    }

    public var userCount: Int { users }

    /// Adds another accumulator's users (the same ks and catalogue): lists
    /// scored in parallel chunks give the figures one pass would.
    public mutating func merge(_ other: RankingMetrics) {
        precondition(ks == other.ks && catalogue == other.catalogue, "merging metrics of different cut-offs or catalogues")
        users += other.users
        for n in ks.indices {
            hr[n] += other.hr[n]; recall[n] += other.recall[n]; ndcg[n] += other.ndcg[n]; mrr[n] += other.mrr[n]
            for i in 0..<catalogue where other.covered[n][i] && !covered[n][i] { covered[n][i] = true; coveredCount[n] += 1 }
        }
    }
}

import Foundation
