import EmbedStore

/// The catalogue index shared across store snapshots while the items are
/// unchanged: each items import writes a new random stamp, and the index is
/// kept with the stamp it was built under. Catalogues without a stamp
/// (imported by an older recsys) are rebuilt per snapshot.
package final class CatalogCache: @unchecked Sendable {
    private let lock = AdaptiveLock()
    private var kept: (stamp: [UInt8], index: ItemCatalogIndex)?

    package init() {}

    /// The index of the catalogue `store` holds now; stamp and items are read in one transaction.
    package func catalog(_ store: Store) throws -> ItemCatalogIndex {
        try store.read { txn in
            let stamp = try txn.itemsStamp()
            lock.lock()
            if let stamp, let kept, kept.stamp == stamp { lock.unlock(); return kept.index }
            lock.unlock()
            let index = ItemCatalogIndex(items: try txn.items())
            if let stamp {
                lock.lock()
                kept = (stamp, index)
                lock.unlock()
            }
            return index
        }
    }
}
