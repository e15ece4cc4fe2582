import EmbedStore
import Foundation

/// Hands out the current `ServingView`, replacing it when a write commits,
/// and, when serving a published store, switches to the snapshot the link
/// names.
///
/// Rules for a published store (a symbolic link, `PublishedLink`):
/// - Snapshots open read-only: a replica never changes the bytes its
///   manifest names.
/// - `follow()` opens the link's new target before switching; a target that
///   does not open (missing, not a store, data file unlike its manifest) is
///   reported and the current one kept, so a bad publish never takes a
///   replica down. A failed target is retried only when forced (SIGHUP) or
///   when the link changes again.
/// - A switch serves new requests from the new snapshot at once; requests
///   already running keep their view, and the old environment is closed when
///   the last of them lets go of it (its `Store` is released then).
package final class ServingState: @unchecked Sendable {
    /// The published path followed (a symbolic link), nil when serving one store.
    package let link: String?
    private let models = ModelCache()
    private let catalogs = CatalogCache()
    private let lock = AdaptiveLock()
    private var served: ServedStore
    private var current: ServingView?
    private var failedTarget: String?
    private var switchCount = 0

    /// One open store and what is known about it.
    package struct ServedStore: Sendable {
        package let store: Store
        /// The store's directory with links resolved.
        package let directory: String
        /// Its snapshot manifest; nil for a store that is not a snapshot.
        package let manifest: SnapshotManifest?
        package let openedAt: Date
    }

    /// What `follow()` did.
    package enum FollowOutcome: Equatable {
        case unchanged
        case switched(from: String, to: String)
        case failed(target: String, reason: String)
    }

    /// Whether stores opened by `follow()` read ahead (`Store.init(readAhead:)`).
    private let readAhead: Bool

    /// Serves `store`. With `link`, `store` is the link's current target
    /// (open it with `openPublished`) and `follow()` tracks the link.
    package init(store: Store, following link: String? = nil, readAhead: Bool = true) {
        self.link = link
        self.readAhead = readAhead
        served = ServedStore(store: store, directory: PublishedLink.realPath(store.path) ?? store.path,
                             manifest: try? SnapshotManifest.load(from: store.path), openedAt: Date())
    }

    /// Opens the store `link` names, read-only, checking a snapshot's data
    /// file against its manifest first.
    package static func openPublished(_ link: String, readAhead: Bool = true) throws -> Store {
        guard let target = PublishedLink.realPath(link) else { throw StoreError.io(path: link, reason: "the link names nothing (no such directory)") }
        return try openChecked(target, readAhead: readAhead).store
    }

    /// Opens the directory `target` read-only, its manifest (read once)
    /// checked against its data file first.
    private static func openChecked(_ target: String, readAhead: Bool) throws -> ServedStore {
        let manifest = try SnapshotManifest.load(from: target)
        try manifest?.check(directory: target)
        return ServedStore(store: try Store(path: target, readOnly: true, readAhead: readAhead), directory: target, manifest: manifest, openedAt: Date())
    }

    /// The store served now (after a switch, the new one).
    package var store: Store {
        lock.lock(); defer { lock.unlock() }
        return served.store
    }

    /// The store served now, where it lives and its manifest.
    package var servedStore: ServedStore {
        lock.lock(); defer { lock.unlock() }
        return served
    }

    /// Times `follow()` has switched stores.
    package var switches: Int {
        lock.lock(); defer { lock.unlock() }
        return switchCount
    }

    /// The view a request reads through: the current one when it shows the
    /// newest committed snapshot, else a new one.
    ///
    /// Rule (read-your-writes): the label a view carries is the id of a read
    /// transaction begun for it, never `Store.latestSnapshotID`. LMDB writes
    /// the meta page (which `latestSnapshotID` reads) before it publishes the
    /// id new readers start at, and syncs in between; a view labelled from the
    /// meta page could thus carry id N+1 while its transactions see N, and
    /// every later request would reuse it until the next commit. A read
    /// transaction's id is what it sees, and transactions the view opens later
    /// see that snapshot or a newer one, so a view's data is never older than
    /// its label, and a request begun after a commit returned gets a view
    /// that holds the commit.
    package func view() throws -> ServingView {
        while true {
            let store = self.store
            let id = try store.read { $0.snapshotID }
            hookAfterLabel?()
            lock.lock(); defer { lock.unlock() }
            // a switch between the label and here: label the new store's snapshot
            guard store === served.store else { continue }
            // a switch clears `current`, so a view here is of the store served;
            // one labelled newer than `id` (a racing request's) also holds it
            if let c = current, c.snapshotID >= id { return c }
            let v = ServingView(store: store, snapshotID: id, models: models, catalogs: catalogs)
            current = v
            return v
        }
    }

    /// Test hook: runs in `view()` after the label is read, before the view is
    /// chosen (a test commits there to probe the label/transaction window).
    package var hookAfterLabel: (@Sendable () -> Void)?

    /// The snapshot the current view serves, nil when there is none.
    package var currentSnapshotID: Int? {
        lock.lock(); defer { lock.unlock() }
        return current?.snapshotID
    }

    /// Switches to the link's target when it names another directory than
    /// the one served. `force` retries a target that failed before.
    @discardableResult
    package func follow(force: Bool = false) -> FollowOutcome {
        guard let link else { return .unchanged }
        guard let target = PublishedLink.realPath(link) else {
            return .failed(target: link, reason: "the link names nothing (no such directory)")
        }
        lock.lock()
        let old = served.directory
        let skip = target == old || (!force && target == failedTarget)
        lock.unlock()
        if skip { return .unchanged }
        let next: ServedStore
        do {
            // opened outside the lock: requests go on meanwhile
            next = try Self.openChecked(target, readAhead: readAhead)
        } catch {
            lock.lock(); failedTarget = target; lock.unlock()
            return .failed(target: target, reason: "\(error)")
        }
        lock.lock(); defer { lock.unlock() }
        served = next
        current = nil
        failedTarget = nil
        switchCount += 1
        return .switched(from: old, to: target)
    }

    /// How often `releaseIfStale` ran (its background task's heartbeat, for tests and status).
    package var staleChecks: Int { lock.lock(); defer { lock.unlock() }; return checks }
    private var checks = 0

    /// Lets go of the current view when a write has committed since it was
    /// made; its read transactions end once the requests using it finish.
    /// LMDB reuses no page freed after the oldest open reader, so a view kept
    /// by an idle service made every later import grow the store file (by a
    /// whole table per import: 3 MiB to 540 MiB in 20 s of back-to-back
    /// imports while only /healthz was served). Returns whether it let go.
    @discardableResult
    package func releaseIfStale() -> Bool {
        lock.lock(); defer { lock.unlock() }
        checks += 1
        guard let c = current, c.snapshotID != served.store.latestSnapshotID else { return false }
        current = nil
        return true
    }
}
