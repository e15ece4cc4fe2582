import Foundation
import EmbedStore
import Recall

/// The JSON bytes of an item's fields, in memory its `ItemFields` owns.
/// Responses copy these plain pointers rather than the shared `ItemFields`
/// reference: every request thread retaining the same objects made their
/// reference counts bounce between cores (a fifth of a recall request's CPU
/// under load, measured with perf).
package struct RenderedFields {
    /// `"genres":[...],"id":"..."` (no genres when the item has no metadata).
    package let head: UnsafeBufferPointer<UInt8>
    /// `,"title":"..."`, or nothing.
    package let tail: UnsafeBufferPointer<UInt8>
}

/// An item's id, title and genres as results show them, with the JSON the
/// service writes for them rendered once: a result is then its cached bytes
/// around its scores (fields in sorted-key order: genres, id, scores, title).
package final class ItemFields: @unchecked Sendable {
    package let id: String
    package let title: String?
    package let genres: [String]?
    /// Valid while this object lives.
    package let rendered: RenderedFields
    private let storage: UnsafeMutableBufferPointer<UInt8>

    package init(id: String, title: String?, genres: [String]?) {
        self.id = id
        self.title = title
        self.genres = genres
        var w = JSONWriter(capacity: 192)
        if let genres { w.key("genres"); w.strings(genres) }
        w.key("id"); w.string(id)
        let split = w.bytes.count
        if let title { w.raw(","); w.raw("\"title\":"); w.string(title) }
        storage = .allocate(capacity: w.bytes.count)
        _ = storage.initialize(fromContentsOf: w.bytes)
        rendered = RenderedFields(head: UnsafeBufferPointer(rebasing: storage[..<split]),
                                  tail: UnsafeBufferPointer(rebasing: storage[split...]))
    }

    deinit { storage.deallocate() }

    /// Encodes id, title and genres (title and genres when present) under
    /// the given keys, for the command line's Encodable results.
    package func encode<Key: CodingKey>(into c: inout KeyedEncodingContainer<Key>, id idKey: Key, title titleKey: Key, genres genresKey: Key) throws {
        try c.encode(id, forKey: idKey)
        try c.encodeIfPresent(title, forKey: titleKey)
        try c.encodeIfPresent(genres, forKey: genresKey)
    }

    /// The fields of the items at `rows`, read through the snapshot.
    package static func lookup(_ snapshot: RecallSnapshot, rows: [Int]) -> [ItemFields] {
        let ids = snapshot.ids(ofRows: rows)
        let items = snapshot.items(ids)
        return zip(ids, items).map { ItemFields(id: $0, title: $1?.title, genres: $1?.genres) }
    }
}

/// The `ItemFields` of a response's results, referenced without retaining
/// each object: concurrent requests retaining and releasing the same cached
/// objects made their reference counts bounce between cores (5% of a k=100
/// recall request's cycles under load, perf). `owner` keeps them alive.
package struct ItemFieldList {
    /// Keeps every object of `items` alive: the cache they came from (which
    /// never drops an entry while it lives) and those looked up outside it.
    package struct Owner {
        let cache: ItemFieldCache?
        let uncached: [ItemFields]
    }
    package let owner: Owner
    package let items: [Unmanaged<ItemFields>]

    /// Fields the list owns itself (looked up for one request).
    package init(owning fields: [ItemFields]) {
        owner = Owner(cache: nil, uncached: fields)
        items = fields.map { Unmanaged.passUnretained($0) }
    }

    package init(owner: Owner, items: [Unmanaged<ItemFields>]) {
        self.owner = owner
        self.items = items
    }

    package var count: Int { items.count }
    /// The object at `i` (retained for the caller: for the command line's paths, not the service's).
    package subscript(i: Int) -> ItemFields { items[i].takeUnretainedValue() }
}

/// One result's item, unretained, with its rendered JSON: what recall and
/// recommend results share. Valid while the response's `ItemFieldList.Owner` lives.
package struct ItemReference {
    package let item: Unmanaged<ItemFields>
    /// The item's JSON, valid while the item lives.
    package let rendered: RenderedFields

    package init(_ item: Unmanaged<ItemFields>) {
        self.item = item
        rendered = item._withUnsafeGuaranteedRef { $0.rendered }
    }

    package var fields: ItemFields { item.takeUnretainedValue() }
}

/// `ItemFields` by row for one table of one store snapshot, shared by the
/// requests served from it: a slot per row (no hashing on the hot path).
/// Bounded: a table of more than `limit` rows caches its first `limit` rows
/// and looks the others up each time, so a huge catalogue cannot grow it
/// without end. Entries are never dropped: `ItemFieldList`s rely on it.
package final class ItemFieldCache: @unchecked Sendable {
    private let lock = AdaptiveLock()
    /// Slots read without reference counting; `kept` owns what they point to.
    private var byRow: [Unmanaged<ItemFields>?] = []
    private var kept: [ItemFields] = []
    package let limit: Int

    package init(limit: Int = 200_000) { self.limit = limit }

    package func fields(_ snapshot: RecallSnapshot, rows: [Int]) -> ItemFieldList {
        var out: [Unmanaged<ItemFields>] = []
        out.reserveCapacity(rows.count)
        lock.lock()
        if byRow.isEmpty { byRow = [Unmanaged<ItemFields>?](repeating: nil, count: min(snapshot.rows.slots, limit)) }
        for r in rows {
            guard r < byRow.count, let f = byRow[r] else { break }
            out.append(f)
        }
        if out.count == rows.count { lock.unlock(); return ItemFieldList(owner: .init(cache: self, uncached: []), items: out) }
        // some rows are not cached yet: look up only those, in one batch
        let cached = rows.map { $0 < byRow.count ? byRow[$0] : nil }
        lock.unlock()
        let missing = rows.indices.filter { cached[$0] == nil }.map { rows[$0] }
        let found = ItemFields.lookup(snapshot, rows: missing)
        var next = found.makeIterator()
        lock.lock()
        for (r, f) in zip(missing, found) where r < byRow.count && byRow[r] == nil {
            kept.append(f)
            byRow[r] = Unmanaged.passUnretained(f)
        }
        lock.unlock()
        return ItemFieldList(owner: .init(cache: self, uncached: found),
                             items: cached.map { $0 ?? Unmanaged.passUnretained(next.next()!) })
    }
}

/// A result that carries an item: its fields and rendered JSON, read through
/// the unretained reference (valid while the response's owner lives).
package protocol ItemResult {
    var item: ItemReference { get }
}

extension ItemResult {
    package var rendered: RenderedFields { item.rendered }
    package var fields: ItemFields { item.fields }
    package var id: String { fields.id }
    package var title: String? { fields.title }
    package var genres: [String]? { fields.genres }
}
