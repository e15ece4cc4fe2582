import EmbedStore
import Foundation
import Ranker
import Recall

/// One recommendation request: recall N candidates, rank them, keep k.
package struct RecommendRequest: Sendable {
    package var user: String
    package var table = RequestDefaults.itemTable
    package var source: UserVectorSource?
    package var userTable = RequestDefaults.userTable
    package var history: [String]?
    package var model: String?
    package var candidates = RequestDefaults.candidates
    package var k = 20
    package var filters: [ItemFilter] = []
    package var includeSeen = false
    /// The stored neighbours behind the default recall and ranking.
    package var neighbours = ItemNeighbours.defaultName

    package init(user: String, table: String = RequestDefaults.itemTable, source: UserVectorSource? = nil, userTable: String = RequestDefaults.userTable,
                 history: [String]? = nil, model: String? = nil, candidates: Int = RequestDefaults.candidates, k: Int = RequestDefaults.recommendK,
                 filters: [ItemFilter] = [], includeSeen: Bool = false) {
        self.user = user
        self.table = table
        self.source = source
        self.userTable = userTable
        self.history = history
        self.model = model
        self.candidates = candidates
        self.k = k
        self.filters = filters
        self.includeSeen = includeSeen
    }
}

package struct RecommendedItem: ItemResult, Encodable {
    package let item: ItemReference
    package let recallScore: Float
    package let rankScore: Float?
    /// The recall sources that proposed the item (multi-source recall only).
    package let sources: [MultiSourceRecall.Source]?

    package init(item: Unmanaged<ItemFields>, recallScore: Float, rankScore: Float?, sources: [MultiSourceRecall.Source]? = nil) {
        self.item = ItemReference(item)
        self.recallScore = recallScore
        self.rankScore = rankScore
        self.sources = sources
    }

    enum CodingKeys: String, CodingKey {
        case id, title, genres, sources, recallScore = "recall_score", rankScore = "rank_score"
    }

    package func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try fields.encode(into: &c, id: .id, title: .title, genres: .genres)
        try c.encode(recallScore, forKey: .recallScore)
        try c.encodeIfPresent(rankScore, forKey: .rankScore)
        try c.encodeIfPresent(sources, forKey: .sources)
    }
}

package struct StageTimings: Encodable {
    package var modelLoadMs: Double
    package var userVectorMs: Double
    package var recallMs: Double
    package var rankMs: Double
    package var totalMs: Double
    enum CodingKeys: String, CodingKey {
        case modelLoadMs = "model_load_ms", userVectorMs = "user_vector_ms", recallMs = "recall_ms", rankMs = "rank_ms", totalMs = "total_ms"
    }
}

package struct RecommendResponse: Encodable {
    package let user: String
    package let from: String
    package let model: String?
    package let recallMethod: String
    package let candidatesRequested: Int
    package let candidatesRecalled: Int
    package let candidatesExamined: Int
    package let note: String?
    package let timings: StageTimings
    package let results: [RecommendedItem]
    /// Keeps the results' items alive.
    package let owner: ItemFieldList.Owner
    /// Multi-source recall: the sources merged, and how the candidates were ranked.
    package var sources: [String]? = nil
    package var ranking: String? = nil

    enum CodingKeys: String, CodingKey {
        case user, from, model, note, timings, results, sources, ranking
        case recallMethod = "recall_method", candidatesRequested = "candidates_requested"
        case candidatesRecalled = "candidates_recalled", candidatesExamined = "candidates_examined"
    }
}

package enum Pipeline {
    package static func recommend(_ r: RecommendRequest, view: ServingView) throws -> RecommendResponse {
        guard (1...SearchOptions.maxK).contains(r.k) else { throw ServingError.invalidParameter(name: "k", rule: "must be in 1...\(SearchOptions.maxK), got \(r.k)") }
        guard (1...SearchOptions.maxK).contains(r.candidates) else { throw ServingError.invalidParameter(name: "candidates", rule: "must be in 1...\(SearchOptions.maxK), got \(r.candidates)") }
        if r.model == nil, r.source != .embedding, let nb = try view.neighbours(r.neighbours),
           let answer = try recommendFromHistory(r, neighbours: nb, view: view) {
            return answer
        }
        let clock = ContinuousClock()
        let tStart = clock.now
        let model = try view.model(r.model) // loaded once per store snapshot in the service
        let t0 = clock.now
        let snapshot = try view.snapshot(r.table)
        let query = try UserQueryRequest(user: r.user, source: r.source, userTable: r.userTable, history: r.history, vector: nil).resolve(snapshot)
        let t1 = clock.now
        let recall = try snapshot.search(query.vector, options: SearchOptions(k: max(r.candidates, r.k), excludedRows: r.includeSeen ? [] : query.seenRows, filters: r.filters))
        let t2 = clock.now
        let rows = recall.hits.map(\.row)
        var notes: [String] = []
        if let n = recall.note { notes.append(n) }
        var order = Array(rows.indices)
        var rankScores: [Float]?
        if let model, !rows.isEmpty {
            // the snapshot's transaction is locked for the feature reads only
            let scored = try model.score(user: r.user, rows: rows, of: view.rowIndex(snapshot, model: model),
                                         ids: { snapshot.ids(ofRows: $0) }) { entity, keys in
                try snapshot.withTransaction { txn in try keys.map { try txn.featureRow(entity, $0) } }
            }
            if !scored.userKnown { notes.append("no stored features for user \(r.user): ranked with empty user features") }
            order = TopK.descendingOrder(scored.scores, limit: r.k)
            rankScores = scored.scores
        } else if model == nil {
            notes.append("no ranking model in the store: results are in recall order")
        }
        let t3 = clock.now
        let top = Array(order.prefix(r.k))
        let fields = view.itemFields(r.table).fields(snapshot, rows: top.map { recall.hits[$0].row })
        let results = zip(top, fields.items).map { i, f in
            RecommendedItem(item: f, recallScore: recall.hits[i].score, rankScore: rankScores?[i])
        }
        return RecommendResponse(user: r.user, from: query.source, model: model?.record.name, recallMethod: recall.method.rawValue,
                                 candidatesRequested: r.candidates, candidatesRecalled: rows.count, candidatesExamined: recall.candidates,
                                 note: notes.isEmpty ? nil : notes.joined(separator: "; "),
                                 timings: StageTimings(modelLoadMs: (t0 - tStart).milliseconds, userVectorMs: (t1 - t0).milliseconds, recallMs: (t2 - t1).milliseconds, rankMs: (t3 - t2).milliseconds, totalMs: (clock.now - tStart).milliseconds),
                                 results: Array(results), owner: fields.owner)
    }
}
