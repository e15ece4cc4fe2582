import EmbedStore
import Foundation
import Ranker
import Recall

/// The store as seen by one LMDB snapshot: recall snapshots per table and
/// loaded models, built lazily and shared by every request until a write
/// commits. Recall and Ranker stay unaware of each other: this joins them.
final class ServingView: @unchecked Sendable {
    let store: Store
    let snapshotID: Int
    private let models: ModelCache
    private let lock = AdaptiveLock()
    private var snapshots: [String: RecallSnapshot] = [:]
    private var fieldCaches: [String: ItemFieldCache] = [:]
    private var chosen: [String: RankerModel?] = [:]
    /// By table and model (a view keeps the models it chose alive, so their identities stay unique).
    private var rowIndexes: [RowIndexKey: ItemRowIndex] = [:]
    private struct RowIndexKey: Hashable { let table: String; let model: ObjectIdentifier }

    init(store: Store, snapshotID: Int, models: ModelCache = ModelCache()) {
        self.store = store
        self.snapshotID = snapshotID
        self.models = models
    }

    func snapshot(_ table: String) throws -> RecallSnapshot {
        lock.lock(); defer { lock.unlock() }
        if let s = snapshots[table] { return s }
        let s = try RecallSnapshot(store: store, table: table)
        snapshots[table] = s
        return s
    }

    /// Item fields of `table`'s rows as of this snapshot, rendered once.
    func itemFields(_ table: String) -> ItemFieldCache {
        lock.lock(); defer { lock.unlock() }
        if let c = fieldCaches[table] { return c }
        let c = ItemFieldCache()
        fieldCaches[table] = c
        return c
    }

    /// `model`'s cached item parts addressed by the rows of `snapshot`.
    func rowIndex(_ snapshot: RecallSnapshot, model: RankerModel) -> ItemRowIndex {
        lock.lock(); defer { lock.unlock() }
        let key = RowIndexKey(table: snapshot.table.name, model: ObjectIdentifier(model))
        if let index = rowIndexes[key] { return index }
        let index = model.rowIndex(count: snapshot.table.count)
        rowIndexes[key] = index
        return index
    }

    /// `name`, or the most recently trained model when nil; nil when the store has none.
    func model(_ name: String?) throws -> RankerModel? {
        lock.lock(); defer { lock.unlock() }
        let key = name ?? ""
        if let m = chosen[key] { return m }
        let m = try store.read { try models.model(name, in: $0) }
        chosen[key] = m
        return m
    }
}

/// Loaded ranker models shared across store snapshots. A model instance (and
/// the per-item first-layer parts it has cached) is reused while every stored
/// model record is unchanged: feature rows are written only by `train`, which
/// always writes a model record too, so an unchanged set of records means
/// unchanged feature rows. A commit elsewhere (an import, an upsert) thus does
/// not make the next request rank against a cold cache.
final class ModelCache: @unchecked Sendable {
    private let lock = AdaptiveLock()
    private var stamp = ""
    private var loaded: [String: RankerModel] = [:]

    /// `name`, or the most recently trained model when nil, as of `txn`.
    func model(_ name: String?, in txn: Transaction) throws -> RankerModel? {
        let records = try RankerModel.list(txn).map { try RankerModel.record(txn, name: $0) }
        let pick: ModelRecord?
        if let name {
            guard let r = records.first(where: { $0.name == name }) else { throw RankerError.unknownModel(name) }
            pick = r
        } else {
            pick = records.max { $0.createdAt < $1.createdAt }
        }
        guard let pick else { return nil }
        let current = records.map { "\($0.name)@\($0.createdAt.timeIntervalSince1970)/\($0.dataFingerprint)" }.joined(separator: ",")
        lock.lock()
        if current != stamp { stamp = current; loaded = [:] }
        if let m = loaded[pick.name] { lock.unlock(); return m }
        lock.unlock()
        let m = try RankerModel.load(txn, name: pick.name)
        lock.lock(); defer { lock.unlock() }
        if stamp == current { loaded[pick.name] = m }
        return m
    }
}

/// Hands out the current `ServingView`, replacing it when a write commits.
final class ServingState: @unchecked Sendable {
    let store: Store
    private let models = ModelCache()
    private let lock = AdaptiveLock()
    private var current: ServingView?

    init(store: Store) { self.store = store }

    func view() throws -> ServingView {
        let id = store.latestSnapshotID
        lock.lock(); defer { lock.unlock() }
        if let c = current, c.snapshotID == id { return c }
        let v = ServingView(store: store, snapshotID: id, models: models)
        current = v
        return v
    }

    /// The snapshot the current view serves, nil when there is none.
    var currentSnapshotID: Int? {
        lock.lock(); defer { lock.unlock() }
        return current?.snapshotID
    }

    /// Lets go of the current view when a write has committed since it was
    /// made; its read transactions end once the requests using it finish.
    /// LMDB reuses no page freed after the oldest open reader, so a view kept
    /// by an idle service made every later import grow the store file (by a
    /// whole table per import: 3 MiB to 540 MiB in 20 s of back-to-back
    /// imports while only /healthz was served). Returns whether it let go.
    @discardableResult
    func releaseIfStale() -> Bool {
        let id = store.latestSnapshotID
        lock.lock(); defer { lock.unlock() }
        guard let c = current, c.snapshotID != id else { return false }
        current = nil
        return true
    }
}

/// One recommendation request: recall N candidates, rank them, keep k.
struct RecommendRequest: Sendable {
    var user: String
    var table = "item2vec"
    var source: UserVectorSource?
    var userTable = "user"
    var history: [String]?
    var model: String?
    var candidates = 800
    var k = 20
    var filters: [ItemFilter] = []
    var includeSeen = false
}

struct RecommendedItem: Encodable {
    let item: ItemReference
    let recallScore: Float
    let rankScore: Float?

    init(item: Unmanaged<ItemFields>, recallScore: Float, rankScore: Float?) {
        self.item = ItemReference(item)
        self.recallScore = recallScore
        self.rankScore = rankScore
    }
    var rendered: RenderedFields { item.rendered }
    var fields: ItemFields { item.fields }
    var id: String { fields.id }
    var title: String? { fields.title }
    var genres: [String]? { fields.genres }

    enum CodingKeys: String, CodingKey {
        case id, title, genres, recallScore = "recall_score", rankScore = "rank_score"
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try fields.encode(into: &c, id: .id, title: .title, genres: .genres)
        try c.encode(recallScore, forKey: .recallScore)
        try c.encodeIfPresent(rankScore, forKey: .rankScore)
    }
}

struct StageTimings: Encodable {
    var modelLoadMs: Double
    var userVectorMs: Double
    var recallMs: Double
    var rankMs: Double
    var totalMs: Double
    enum CodingKeys: String, CodingKey {
        case modelLoadMs = "model_load_ms", userVectorMs = "user_vector_ms", recallMs = "recall_ms", rankMs = "rank_ms", totalMs = "total_ms"
    }
}

struct RecommendResponse: Encodable {
    let user: String
    let from: String
    let model: String?
    let recallMethod: String
    let candidatesRequested: Int
    let candidatesRecalled: Int
    let candidatesExamined: Int
    let note: String?
    let timings: StageTimings
    let results: [RecommendedItem]
    /// Keeps the results' items alive.
    let owner: ItemFieldList.Owner

    enum CodingKeys: String, CodingKey {
        case user, from, model, note, timings, results
        case recallMethod = "recall_method", candidatesRequested = "candidates_requested"
        case candidatesRecalled = "candidates_recalled", candidatesExamined = "candidates_examined"
    }
}

enum Pipeline {
    static func recommend(_ r: RecommendRequest, view: ServingView) throws -> RecommendResponse {
        guard r.k > 0, r.candidates > 0 else { throw CLIError("k and candidates must be positive") }
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
            let (scores, unknown) = try model.score(user: r.user, rows: rows, of: view.rowIndex(snapshot, model: model),
                                                    ids: { snapshot.ids(ofRows: $0) }) { entity, keys in
                try snapshot.withTransaction { txn in try keys.map { try txn.featureRow(entity, $0) } }
            }
            if !unknown.isEmpty && unknown.contains(where: { $0.hasPrefix("user ") }) { notes.append("no stored features for user \(r.user): ranked with empty user features") }
            order = TopK.descendingOrder(scores, limit: r.k)
            rankScores = scores
        } else if model == nil {
            notes.append("no ranking model in the store: results are in recall order (train one with `recsys train`)")
        }
        let t3 = clock.now
        let top = Array(order.prefix(r.k))
        let fields = view.itemFields(r.table).fields(snapshot, rows: top.map { recall.hits[$0].row })
        let results = zip(top, fields.items).map { i, f in
            RecommendedItem(item: f, recallScore: recall.hits[i].score, rankScore: rankScores?[i])
        }
        return RecommendResponse(user: r.user, from: query.source, model: model?.record.name, recallMethod: recall.method,
                                 candidatesRequested: r.candidates, candidatesRecalled: rows.count, candidatesExamined: recall.candidates,
                                 note: notes.isEmpty ? nil : notes.joined(separator: "; "),
                                 timings: StageTimings(modelLoadMs: ms(t0 - tStart), userVectorMs: ms(t1 - t0), recallMs: ms(t2 - t1), rankMs: ms(t3 - t2), totalMs: ms(clock.now - tStart)),
                                 results: Array(results), owner: fields.owner)
    }
}
