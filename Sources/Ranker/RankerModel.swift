import EmbedStore
import Foundation

/// The scores of one request, and which of its entities had no stored
/// feature row (they were scored with empty features).
public struct ScoredItems: Sendable {
    /// One probability per requested item, in request order.
    public var scores: [Float]
    /// Whether the user has a stored feature row.
    public var userKnown: Bool
    /// The requested items without a stored feature row (a repeated one may appear more than once).
    public var unknownItems: [String]
}

/// A trained ranker: scores (user, item) pairs from stored feature rows.
public final class RankerModel: @unchecked Sendable {
    public let model: EmbeddingMLP
    public let record: ModelRecord

    init(model: EmbeddingMLP, record: ModelRecord) {
        self.model = model
        self.record = record
        itemParts = ItemPartCache(width: model.layers[0].outputs)
        let columns = model.spec.categorical
        attentionUserBag = model.attention.map { a in (0..<a.bag).filter { columns[$0].entity == .user }.count }
        attentionItemQuery = model.attention.map { a in (0..<a.query).filter { columns[$0].entity == .item }.count }
    }

    /// Loads model `name` from the store.
    public static func load(_ txn: Transaction, name: String) throws -> RankerModel {
        guard let raw = try txn.blob(.models, name) else { throw RankerError.unknownModel(name) }
        let (m, r) = try EmbeddingMLP.decode(raw)
        return RankerModel(model: m, record: r)
    }

    /// The record of model `name` (spec, metrics, provenance) without its weights.
    public static func record(_ txn: Transaction, name: String) throws -> ModelRecord {
        guard let raw = try txn.blob(.models, name) else { throw RankerError.unknownModel(name) }
        return try EmbeddingMLP.decodeRecord(raw).0
    }

    /// Names of the stored models.
    public static func list(_ txn: Transaction) throws -> [String] {
        var names: [String] = []
        try txn.forEachBlob(.models, prefix: "") { k, _ in names.append(k); return true }
        return names
    }

    /// Saves a trained model in one transaction: weights, spec, statistics,
    /// metrics, a fingerprint of the training data, every embedding table as a
    /// `learned` table `ranker/NAME/TABLE`, and the latest feature row per user
    /// and item (plus a history for users without one).
    public static func save(_ txn: Transaction, name: String, model: EmbeddingMLP, options: TrainingOptions, metrics: [String: Metrics], data: SampleSet) throws {
        guard !name.isEmpty, !name.contains("/"), name.utf8.count <= 100 else { throw RankerError.badOption("model name must be 1-100 bytes without '/'") }
        let record = ModelRecord(name: name, spec: model.spec, options: options, numericShift: model.numericShift, numericScale: model.numericScale,
                                 layerShapes: model.layers.map { [$0.inputs, $0.outputs] }, tableShapes: model.spec.tables.map { [$0.rows, $0.dimension] },
                                 metrics: metrics, dataFingerprint: data.fingerprint, trainingRows: data.count, createdAt: Date())
        let bytes = try model.encode(record: record)
        try bytes.withUnsafeBytes { try txn.putBlob(.models, name, $0) }
        // learned embedding tables, exportable like any other
        for (k, t) in model.spec.tables.enumerated() {
            let column = model.spec.categorical.first { $0.tableName == t.name }!
            let builder = try TableBuilder(txn: txn, name: "ranker/\(name)/\(t.name)", kind: .learned, source: "model \(name)", dimension: t.dimension)
            for r in 0..<t.rows {
                let id = column.vocabulary?[r] ?? (column.identity != nil ? String(r) : "bucket\(r)")
                try model.tables[k].withUnsafeBufferPointer { w in
                    var idCopy = id
                    try idCopy.withUTF8 { try builder.append(id: UnsafeRawBufferPointer($0), vector: UnsafeBufferPointer(rebasing: w[(r * t.dimension)..<((r + 1) * t.dimension)])) }
                }
            }
            try builder.finish()
        }
        // latest feature rows
        let spec = model.spec
        let userColumns = Set(spec.categorical.filter { $0.entity == .user }.flatMap(\.sourceColumns) + spec.numeric.filter { $0.entity == .user }.map(\.name) + spec.history)
        let itemColumns = Set(spec.categorical.filter { $0.entity == .item }.flatMap(\.sourceColumns) + spec.numeric.filter { $0.entity == .item }.map(\.name))
        var latestUser: [String: Int] = [:], latestItem: [String: Int] = [:]
        for r in 0..<data.count {
            if let p = latestUser[data.users[r]], data.times[p] > data.times[r] {} else { latestUser[data.users[r]] = r }
            if let p = latestItem[data.items[r]], data.times[p] > data.times[r] {} else { latestItem[data.items[r]] = r }
        }
        func values(_ r: Int, _ columns: Set<String>) -> [(String, String)] {
            zip(data.rawColumns, data.raw[r]).filter { columns.contains($0.0) }.map { ($0.0, $0.1) }
        }
        for (u, r) in latestUser {
            try txn.putFeatureRow(.user, u, values(r, userColumns))
            if !spec.history.isEmpty, try txn.history(of: u).isEmpty {
                let recent = spec.history.compactMap { c in data.rawColumns.firstIndex(of: c).map { data.raw[r][$0] } }.filter { !$0.isEmpty }
                if !recent.isEmpty { try txn.setHistory(recent.reversed(), of: u) }
            }
        }
        for (i, r) in latestItem { try txn.putFeatureRow(.item, i, values(r, itemColumns)) }
    }

    /// Per item: its first-layer part, and whether it has stored features.
    private let itemParts: ItemPartCache

    /// A feature row encoded for this model: a bag of table rows per
    /// categorical column and raw numerics, for the columns one entity owns.
    struct EncodedRow {
        /// Bag k is `values[(k == 0 ? 0 : ends[k - 1])..<ends[k]]`.
        var values: [Int32] = []
        var ends: [Int] = []
        var numeric: [Float] = []
        var known: Bool

        func bag(_ k: Int) -> ArraySlice<Int32> { values[(k == 0 ? 0 : ends[k - 1])..<ends[k]] }
    }

    func encode(_ row: [String: String]?, entity: FeatureEntity, id: String) -> EncodedRow {
        let spec = model.spec
        var r = EncodedRow(known: row != nil)
        for (c, col) in spec.categorical.enumerated() where col.entity == entity {
            let isID = col.name == (entity == .user ? spec.userID : spec.itemID)
            _ = model.encoders[c].encode(fields: col.sourceColumns.count, { k in row?[col.sourceColumns[k]] ?? (isID ? id : "") }, into: &r.values)
            r.ends.append(r.values.count)
        }
        for col in spec.numeric where col.entity == entity {
            r.numeric.append(row?[col.name].flatMap { Float($0) }.flatMap { $0.isFinite ? $0 : nil } ?? .nan)
        }
        return r
    }

    /// Scores `items` for `user` from the stored feature rows. Unknown users or
    /// items are scored with empty rows and reported. Item rows are encoded
    /// once per loaded model and cached.
    public func score(_ txn: Transaction, user: String, items: [String]) throws -> ScoredItems {
        try score(user: user, items: items) { entity, ids in try ids.map { try txn.featureRow(entity, $0) } }
    }

    /// Scores `items` for `user`, reading feature rows through `features`
    /// (called at most twice: for the user, then for the items not yet cached),
    /// so a caller sharing one transaction between threads holds its lock only
    /// for the reads, not for the arithmetic.
    public func score(user: String, items: [String],
                      features: (FeatureEntity, [String]) throws -> [[String: String]?]) throws -> ScoredItems {
        var unknown: [String] = []
        let user = try userFirstLayerPart(user, features: features)
        let resolved = try itemFirstLayerParts(items, features: features, unknown: &unknown)
        let scores = withExtendedLifetime(resolved) { predict(user, itemParts: resolved.pointers.map { $0! }, queries: resolved.queries) }
        return ScoredItems(scores: scores, userKnown: user.known, unknownItems: unknown)
    }

    /// A dense index over this model's cached item parts for `count` item
    /// keys (the rows of one table snapshot), for `score(user:rows:of:ids:features:)`.
    public func rowIndex(count: Int) -> ItemRowIndex {
        ItemRowIndex(count: count, parts: itemParts)
    }

    /// Scores the items at `rows` of `index`'s key space for `user`. Rows seen
    /// before are found by array index; `ids` names the others (and is called
    /// only for them), whose parts are then computed or found by id.
    public func score(user: String, rows: [Int], of index: ItemRowIndex, ids: ([Int]) -> [String],
                      features: (FeatureEntity, [String]) throws -> [[String: String]?]) throws -> ScoredItems {
        precondition(index.parts === itemParts, "an ItemRowIndex is only valid for the model that made it")
        var unknown: [String] = []
        let user = try userFirstLayerPart(user, features: features)
        let slots = index.slots(of: rows)
        var pointers = slots.map { $0 >= 0 ? itemParts.part($0) : nil }
        var queries = slots.map { $0 >= 0 ? itemParts.query($0) : -1 }
        let missing = slots.indices.filter { slots[$0] < 0 }
        var resolved: ResolvedParts?
        if !missing.isEmpty {
            let missingRows = missing.map { rows[$0] }
            let r = try itemFirstLayerParts(ids(missingRows), features: features, unknown: &unknown)
            for (j, i) in missing.enumerated() { pointers[i] = r.pointers[j]!; queries[i] = r.queries[j] }
            index.record(rows: missingRows, slots: r.slots)
            resolved = r
        }
        let unknownRows = slots.indices.filter { slots[$0] >= 0 && !itemParts.isKnown(slots[$0]) }.map { rows[$0] }
        if !unknownRows.isEmpty { unknown += ids(unknownRows) }
        let scores = withExtendedLifetime(resolved) { predict(user, itemParts: pointers.map { $0! }, queries: queries) }
        return ScoredItems(scores: scores, userKnown: user.known, unknownItems: unknown)
    }

    /// A user's first-layer part, whether it has a stored feature row, and
    /// for an attention model the table rows of its history bag.
    private func userFirstLayerPart(_ user: String, features: (FeatureEntity, [String]) throws -> [[String: String]?])
        throws -> (part: [Float], known: Bool, history: [Int32]) {
        let row = encode(try features(.user, [user])[0], entity: .user, id: user)
        return (model.firstLayerPart(row, entity: .user), row.known, attentionUserBag.map { Array(row.bag($0)) } ?? [])
    }

    /// Positions of the attention bag among the user's categorical columns
    /// and of its query among the item's (see `EncodedRow.bag`).
    private let attentionUserBag: Int?
    private let attentionItemQuery: Int?

    /// Scores from the user's and the items' parts, plus for an attention
    /// model each candidate's pooled history (`queries`: candidate table rows).
    private func predict(_ user: (part: [Float], known: Bool, history: [Int32]), itemParts: [UnsafePointer<Float>], queries: [Int32]) -> [Float] {
        model.scoringScratch.withScratch { s in
            guard model.attention != nil else { return model.predict(userPart: user.part, itemParts: itemParts, scratch: s) }
            let pairs = s.pairs.room(for: max(1, queries.count * model.layers[0].outputs))
            model.attentionFirstLayer(history: user.history, queries: queries, into: pairs, scratch: s.attention)
            return model.predict(userPart: user.part, itemParts: itemParts, pairs: pairs, scratch: s)
        }
    }

    /// First-layer parts of some items: pointers into the cache, or into
    /// `scratch` for the parts this request computed.
    final class ResolvedParts {
        var pointers: [UnsafePointer<Float>?] = []
        var slots: [Int32] = []
        /// Each item's attention query row (-1: none or no attention).
        var queries: [Int32] = []
        var scratch: UnsafeMutablePointer<Float>?
        deinit { scratch?.deallocate() }
    }

    /// The parts of `items`: cached ones in place; the others computed from
    /// their feature rows (read through `features` in one call) and cached.
    private func itemFirstLayerParts(_ items: [String], features: (FeatureEntity, [String]) throws -> [[String: String]?],
                                     unknown: inout [String]) throws -> ResolvedParts {
        let r = ResolvedParts()
        r.slots = itemParts.lookup(items)
        let missing = r.slots.indices.filter { r.slots[$0] < 0 }
        for (i, slot) in r.slots.enumerated() where slot >= 0 && !itemParts.isKnown(slot) { unknown.append(items[i]) }
        r.pointers = r.slots.map { $0 >= 0 ? itemParts.part($0) : nil }
        r.queries = r.slots.map { $0 >= 0 ? itemParts.query($0) : -1 }
        if !missing.isEmpty {
            let width = itemParts.width
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: missing.count * width)
            r.scratch = buffer
            let ids = missing.map { items[$0] }
            let rows = try features(.item, ids)
            let encoded = zip(missing, rows).map { i, raw in encode(raw, entity: .item, id: items[i]) }
            model.firstLayerParts(encoded, entity: .item, into: buffer)
            let queryBag = attentionItemQuery
            let queries = encoded.map { row in queryBag.flatMap { row.bag($0).first } ?? -1 }
            for (j, (i, row)) in zip(missing, encoded).enumerated() {
                if !row.known { unknown.append(items[i]) }
                r.pointers[i] = UnsafePointer(buffer + j * width)
                r.queries[i] = queries[j]
            }
            let known = encoded.map(\.known)
            for (i, slot) in zip(missing, itemParts.insert(ids, parts: buffer, known: known, queries: queries)) { r.slots[i] = slot }
        }
        return r
    }
}

extension SampleSet {
    /// Encodes rows given as column -> value (missing columns are missing values).
    init(spec: FeatureSpec, rows: [[String: String]]) {
        self.init(spec: spec)
        let encoders = spec.categorical.map(CategoryEncoder.init)
        for row in rows {
            appendBags(encoders) { j, k in row[spec.categorical[j].sourceColumns[k]] ?? "" }
            for col in spec.numeric { numeric.append(row[col.name].flatMap { Float($0) }.flatMap { $0.isFinite ? $0 : nil } ?? .nan) }
            labels.append(0)
        }
        count = rows.count
    }
}
