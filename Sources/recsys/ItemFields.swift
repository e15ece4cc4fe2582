import Foundation
import Recall

/// An item's id, title and genres as results show them, with the JSON the
/// service writes for them rendered once: a result is then its cached bytes
/// around its scores (fields in sorted-key order: genres, id, scores, title).
final class ItemFields: @unchecked Sendable {
    let id: String
    let title: String?
    let genres: [String]?
    /// `"genres":[...],"id":"..."` (no genres when the item has no metadata).
    let head: [UInt8]
    /// `,"title":"..."`, or nothing.
    let tail: [UInt8]

    init(id: String, title: String?, genres: [String]?) {
        self.id = id
        self.title = title
        self.genres = genres
        var w = JSONWriter(capacity: 128)
        if let genres { w.key("genres"); w.strings(genres) }
        w.key("id"); w.string(id)
        head = w.bytes
        w = JSONWriter(capacity: 64)
        if let title { w.raw(","); w.raw("\"title\":"); w.string(title) }
        tail = w.bytes
    }

    /// Encodes id, title and genres (title and genres when present) under
    /// the given keys, for the command line's Encodable results.
    func encode<Key: CodingKey>(into c: inout KeyedEncodingContainer<Key>, id idKey: Key, title titleKey: Key, genres genresKey: Key) throws {
        try c.encode(id, forKey: idKey)
        try c.encodeIfPresent(title, forKey: titleKey)
        try c.encodeIfPresent(genres, forKey: genresKey)
    }

    /// The fields of the items at `rows`, read through the snapshot.
    static func lookup(_ snapshot: RecallSnapshot, rows: [Int]) -> [ItemFields] {
        let ids = snapshot.ids(ofRows: rows)
        let items = snapshot.items(ids)
        return zip(ids, items).map { ItemFields(id: $0, title: $1?.title, genres: $1?.genres) }
    }
}

/// `ItemFields` by row for one table of one store snapshot, shared by the
/// requests served from it. Bounded: past `limit` rows it starts over, so a
/// huge catalogue cannot grow it without end.
final class ItemFieldCache: @unchecked Sendable {
    private let lock = NSLock()
    private var byRow: [Int: ItemFields] = [:]
    let limit: Int

    init(limit: Int = 200_000) { self.limit = limit }

    func fields(_ snapshot: RecallSnapshot, rows: [Int]) -> [ItemFields] {
        var out: [ItemFields?] = []
        out.reserveCapacity(rows.count)
        var missing: [Int] = []
        lock.lock()
        for (i, r) in rows.enumerated() {
            let f = byRow[r]
            out.append(f)
            if f == nil { missing.append(i) }
        }
        lock.unlock()
        if !missing.isEmpty {
            let found = ItemFields.lookup(snapshot, rows: missing.map { rows[$0] })
            lock.lock()
            if byRow.count + found.count > limit { byRow.removeAll(keepingCapacity: true) }
            for (i, f) in zip(missing, found) {
                out[i] = f
                byRow[rows[i]] = f
            }
            lock.unlock()
        }
        return out.map { $0! }
    }
}
