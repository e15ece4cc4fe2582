import EmbedStore
import Ranker

/// Ranking given items for a user: the one implementation behind
/// `POST /v1/rank`.
///
/// Rule for unknown ids, as on every route: the id a request is about (a
/// path id, the user here) must be known to the store, else 404; ids in a
/// list (items to rank, ids to batch-get) that the store does not know are
/// listed in `unknown` and left out of the results, never scored as if they
/// were real. A user is known by a stored feature row or history; an item
/// by its feature row (the model has nothing else to score it from).
extension ServingView {
    package func rank(user: String, items: [String], model name: String?) throws -> RankResponseJSON {
        guard let model = try model(name) else {
            if let name { throw RankerError.unknownModel(name) }
            throw StoreError.notFound("the store has no ranking model", remedy: Remedy(commandLine: "train one with `recsys train`"))
        }
        return try store.read { txn in
            let scored = try model.score(txn, user: user, items: items)
            let scores = scored.scores
            var note: String?
            if !scored.userKnown {
                guard try !txn.history(of: user).isEmpty else {
                    throw StoreError.notFound("unknown user '\(user)': no stored features and no history")
                }
                note = "no stored features for user \(user): ranked with empty user features"
            }
            let unknownItems = Set(scored.unknownItems)
            let kept = items.indices.filter { !unknownItems.contains(items[$0]) }.sorted { scores[$0] > scores[$1] }
            let columns = try txn.itemColumns()
            let results = try kept.map { RankHitJSON(id: items[$0], score: scores[$0], title: try txn.item(items[$0], columns: columns)?.title) }
            var seen = Set<String>()
            let unknownList = items.filter { unknownItems.contains($0) && seen.insert($0).inserted }
            return RankResponseJSON(model: model.record.name, user: user, unknown: unknownList, note: note, results: results)
        }
    }
}
