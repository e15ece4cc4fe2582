import EmbedStore
import Recall

/// `recommend`'s default recall and ranking over a user's history: several
/// sources merged into one candidate list, each candidate tagged with the
/// sources that proposed it, then ranked by the order the user went in.
///
/// Rules:
/// - Sources: `neighbours` (the stored item-item weights over the whole
///   history: long-term interest), `embedding` (the nearest items of the
///   mean of the last `recent` history items in an embedding table, when
///   the store has one) and `popular` (training counts: the fallback that
///   fills short or empty histories).
/// - Merge: rounds of `quota` neighbours then one embedding candidate until
///   both run out or the list is full, then popular fills it; a candidate
///   proposed twice keeps its first place and gains the second tag.
/// - Rank: each candidate's neighbour weights from the history with weights
///   `decay`^age (age 0 for the latest item), ties in recall order. Recall
///   casts the wide net (Recall@800); the ranking puts what follows the
///   user's latest items first (HR and NDCG at 10). Both defaults were chosen
///   on a validation split cut from movielens-small's training events
///   (bench/quality), not on the targets.
/// - History items are never returned; `admit` (filters) is applied to
///   every source before the merge, so a filter never empties the list
///   while admissible candidates remain.
package struct MultiSourceRecall {
    package enum Source: String, Encodable, Sendable { case neighbours, embedding, popular }

    package struct Candidate: Sendable {
        package let id: String
        /// The score of the source that placed it (neighbour weight sum,
        /// embedding similarity, or training count).
        package let recallScore: Float
        package var sources: [Source]
    }

    package static let defaultDecay: Float = 0.8
    package static let defaultRecent = 3
    package static let defaultQuota = 3

    package let neighbours: ItemNeighbours
    package let embedding: RecallSnapshot?
    package var recent = defaultRecent
    package var quota = defaultQuota
    package var decay = defaultDecay
    /// Exact embedding search (evaluation) instead of the index.
    package var exact = false

    package init(neighbours: ItemNeighbours, embedding: RecallSnapshot?) {
        self.neighbours = neighbours
        self.embedding = embedding
    }

    /// Up to `count` candidates in recall order.
    package func candidates(history: [String], count: Int, filters: [ItemFilter] = [], admit: (String) -> Bool = { _ in true },
                            scratch: inout [Float]) throws -> [Candidate] {
        let hist = neighbours.indices(of: history)
        let seen = Set(history)
        var byNeighbours = neighbours.scores(history: hist, decay: 1, scratch: &scratch)
        byNeighbours.sort { $0.score != $1.score ? $0.score > $1.score : $0.item < $1.item }
        var first: [(String, Float)] = []
        first.reserveCapacity(min(count, byNeighbours.count))
        for c in byNeighbours where first.count < count {
            let id = neighbours.id(c.item)
            if admit(id) { first.append((id, c.score)) }
        }
        let second = quota > 0 ? try embeddingCandidates(history: history, count: count, filters: filters) : []
        var out: [Candidate] = []
        out.reserveCapacity(count)
        var at: [String: Int] = [:]
        func add(_ id: String, _ score: Float, _ source: Source) {
            if let i = at[id] { if !out[i].sources.contains(source) { out[i].sources.append(source) }; return }
            guard out.count < count else { return }
            at[id] = out.count
            out.append(Candidate(id: id, recallScore: score, sources: [source]))
        }
        var i = 0, j = 0
        while out.count < count && (i < first.count || j < second.count) {
            for _ in 0..<quota where i < first.count { add(first[i].0, first[i].1, .neighbours); i += 1 }
            if j < second.count { add(second[j].0, second[j].1, .embedding); j += 1 }
        }
        // tag later duplicates too, so `sources` says every source that proposed the item
        while i < first.count { if let p = at[first[i].0], !out[p].sources.contains(.neighbours) { out[p].sources.append(.neighbours) }; i += 1 }
        for p in neighbours.popular where out.count < count {
            let id = neighbours.id(p)
            if !seen.contains(id) && at[id] == nil && admit(id) { add(id, Float(neighbours.header.counts[Int(p)]), .popular) }
        }
        return out
    }

    /// The embedding source alone: the nearest items to the mean of the last
    /// `recent` history items, history items left out, best first; empty
    /// without a table or without history items in it.
    package func embeddingCandidates(history: [String], count: Int, filters: [ItemFilter] = []) throws -> [(id: String, score: Float)] {
        guard let embedding, !history.isEmpty, let query = try? embedding.meanVector(of: history, recent: recent) else { return [] }
        let seen = Set(history)
        let k = min(count, max(1, embedding.table.count - query.seenRows.count))
        let hits = try embedding.search(query.vector, options: SearchOptions(k: k, exact: exact, excludedRows: query.seenRows, filters: filters)).hits
        return zip(embedding.ids(ofRows: hits.map(\.row)), hits).filter { !seen.contains($0.0) }.map { ($0.0, $0.1.score) }
    }

    /// Indices of `candidates` best first, with their ranking scores.
    package func rank(_ candidates: [Candidate], history: [String], scratch: inout [Float]) -> (order: [Int], scores: [Float]) {
        let hist = neighbours.indices(of: history)
        let items = neighbours.indices(of: candidates.map(\.id))
        // candidates the model does not know (embedding only) score 0
        var known: [String: Float] = [:]
        let scored = neighbours.score(items, history: hist, decay: decay, scratch: &scratch)
        for (i, s) in zip(items, scored) { known[neighbours.id(i)] = s }
        let scores = candidates.map { known[$0.id] ?? 0 }
        let order = candidates.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        return (order, scores)
    }
}
