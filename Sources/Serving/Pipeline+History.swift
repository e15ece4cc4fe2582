import EmbedStore
import Foundation
import Recall

extension Pipeline {
    /// The default path when the store holds neighbours: multi-source recall
    /// over the user's history, ranked by recency (`MultiSourceRecall`).
    /// Nil when the user has no history but a stored embedding, which the
    /// embedding path serves better than the most-popular fallback.
    static func recommendFromHistory(_ r: RecommendRequest, neighbours nb: ItemNeighbours, view: ServingView) throws -> RecommendResponse? {
        // history items are never this path's candidates
        if r.includeSeen { return nil }
        let clock = ContinuousClock()
        let tStart = clock.now
        let embedding: RecallSnapshot?
        do { embedding = try view.snapshot(r.table) } catch StoreError.unknownTable { embedding = nil }
        let (history, hasEmbedding) = try view.store.read { txn -> ([String], Bool) in
            let h = try r.history ?? txn.history(of: r.user)
            let e = try txn.tableInfo(r.userTable).map { try txn.table($0.name).row(of: r.user) != nil } ?? false
            return (h, e)
        }
        if history.isEmpty && hasEmbedding { return nil }
        let t1 = clock.now
        let recall = MultiSourceRecall(neighbours: nb, embedding: embedding)
        var scratch = [Float](repeating: 0, count: nb.itemCount)
        return try view.store.read { txn in
            let columns = r.filters.isEmpty ? [] : try txn.requireFilterColumns(r.filters)
            func admit(_ id: String) -> Bool {
                guard !r.filters.isEmpty else { return true }
                guard let item = try? txn.item(id, columns: columns) else { return false }
                return r.filters.allSatisfy { item.matches(column: $0.column, value: $0.value) }
            }
            let pool = try recall.candidates(history: history, count: max(r.candidates, r.k), filters: r.filters, admit: admit, scratch: &scratch)
            let t2 = clock.now
            let (order, scores) = recall.rank(pool, history: history, scratch: &scratch)
            let t3 = clock.now
            let top = order.prefix(r.k)
            let fields = try top.map { i -> ItemFields in
                let item = try txn.item(pool[i].id)
                return ItemFields(id: pool[i].id, title: item?.title, genres: item?.genres)
            }
            let list = ItemFieldList(owning: fields)
            let results = zip(top, list.items).map { i, f in
                RecommendedItem(item: f, recallScore: pool[i].recallScore, rankScore: scores[i], sources: pool[i].sources)
            }
            var notes: [String] = []
            if history.isEmpty { notes.append("no history for user \(r.user): most popular items") }
            let known = nb.indices(of: history).count
            if known < history.count { notes.append("\(history.count - known) of \(history.count) history items unknown to neighbours '\(r.neighbours)'") }
            let sources = ["neighbours '\(r.neighbours)' (\(nb.header.method.rawValue))"] + (embedding.map { ["embedding '\($0.table.name)'"] } ?? []) + ["popular"]
            return RecommendResponse(user: r.user, from: "history (\(history.count) items)", model: nil, recallMethod: "sources",
                                     candidatesRequested: r.candidates, candidatesRecalled: pool.count, candidatesExamined: pool.count,
                                     note: notes.isEmpty ? nil : notes.joined(separator: "; "),
                                     timings: StageTimings(modelLoadMs: 0, userVectorMs: (t1 - tStart).milliseconds, recallMs: (t2 - t1).milliseconds,
                                                           rankMs: (t3 - t2).milliseconds, totalMs: (clock.now - tStart).milliseconds),
                                     results: Array(results), owner: list.owner, sources: sources, ranking: "recency-weighted neighbours (decay \(recall.decay))")
        }
    }
}
