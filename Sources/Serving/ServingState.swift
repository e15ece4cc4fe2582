import EmbedStore

/// Hands out the current `ServingView`, replacing it when a write commits.
package final class ServingState: @unchecked Sendable {
    package let store: Store
    private let models = ModelCache()
    private let catalogs = CatalogCache()
    private let lock = AdaptiveLock()
    private var current: ServingView?

    package init(store: Store) { self.store = store }

    package func view() throws -> ServingView {
        let id = store.latestSnapshotID
        lock.lock(); defer { lock.unlock() }
        if let c = current, c.snapshotID == id { return c }
        let v = ServingView(store: store, snapshotID: id, models: models, catalogs: catalogs)
        current = v
        return v
    }

    /// The snapshot the current view serves, nil when there is none.
    package var currentSnapshotID: Int? {
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
    package func releaseIfStale() -> Bool {
        let id = store.latestSnapshotID
        lock.lock(); defer { lock.unlock() }
        guard let c = current, c.snapshotID != id else { return false }
        current = nil
        return true
    }
}
