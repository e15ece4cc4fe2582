import EmbedStore
import Foundation
import Ranker
import Recall

/// The store as seen by one LMDB snapshot: recall snapshots per table and
/// loaded models, built lazily and shared by every request until a write
/// commits. Recall and Ranker stay unaware of each other: this joins them.
package final class ServingView: @unchecked Sendable {
    package let store: Store
    package let snapshotID: Int
    private let models: ModelCache
    let catalogs: CatalogCache
    private let lock = AdaptiveLock()
    private var snapshots: [String: RecallSnapshot] = [:]
    private var fieldCaches: [String: ItemFieldCache] = [:]
    private var chosen: [String: RankerModel?] = [:]
    private var derived: [String: Any] = [:]
    /// By table and model (a view keeps the models it chose alive, so their identities stay unique).
    private var rowIndexes: [RowIndexKey: ItemRowIndex] = [:]
    private struct RowIndexKey: Hashable { let table: String; let model: ObjectIdentifier }

    package init(store: Store, snapshotID: Int, models: ModelCache = ModelCache(), catalogs: CatalogCache = CatalogCache()) {
        self.store = store
        self.snapshotID = snapshotID
        self.models = models
        self.catalogs = catalogs
    }

    package func snapshot(_ table: String) throws -> RecallSnapshot {
        lock.lock(); defer { lock.unlock() }
        if let s = snapshots[table] { return s }
        let s = try RecallSnapshot(store: store, table: table)
        snapshots[table] = s
        return s
    }

    /// Item fields of `table`'s rows as of this snapshot, rendered once.
    package func itemFields(_ table: String) -> ItemFieldCache {
        lock.lock(); defer { lock.unlock() }
        if let c = fieldCaches[table] { return c }
        let c = ItemFieldCache()
        fieldCaches[table] = c
        return c
    }

    /// `model`'s cached item parts addressed by the rows of `snapshot`.
    package func rowIndex(_ snapshot: RecallSnapshot, model: RankerModel) -> ItemRowIndex {
        lock.lock(); defer { lock.unlock() }
        let key = RowIndexKey(table: snapshot.table.name, model: ObjectIdentifier(model))
        if let index = rowIndexes[key] { return index }
        // rows are numbered up to the slot count (live + deleted), not the live count
        let index = model.rowIndex(count: snapshot.rows.slots)
        rowIndexes[key] = index
        return index
    }

    /// A value derived from this snapshot, made once (outside the lock, so a
    /// slow build holds up no other request; a racing build's result is dropped).
    package func cached<T>(_ key: String, _ make: () throws -> T) throws -> T {
        lock.lock()
        // unwrap the stored Any first: `nil as? T` succeeds when T is itself optional
        if let stored = derived[key], let v = stored as? T { lock.unlock(); return v }
        lock.unlock()
        let v = try make()
        lock.lock(); defer { lock.unlock() }
        if let stored = derived[key], let first = stored as? T { return first }
        derived[key] = .some(v as Any)  // boxed, so an optional T's nil is cached too, not a removal
        return v
    }

    /// The stored neighbours `name`, loaded once per snapshot; nil when the store has none.
    package func neighbours(_ name: String) throws -> ItemNeighbours? {
        try cached("neighbours\u{1}" + name) { () -> ItemNeighbours? in try store.read { try ItemNeighbours.load($0, name: name) } }
    }

    /// `name`, or the most recently trained model when nil; nil when the store has none.
    package func model(_ name: String?) throws -> RankerModel? {
        lock.lock(); defer { lock.unlock() }
        let key = name ?? ""
        if let m = chosen[key] { return m }
        let m = try store.read { try models.model(name, in: $0) }
        chosen[key] = m
        return m
    }
}
