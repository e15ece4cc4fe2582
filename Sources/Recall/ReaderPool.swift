import EmbedStore

/// Read transactions at one LMDB version, handed to concurrent callers.
///
/// Rule: an LMDB read transaction serves one thread at a time. The pool's
/// first transaction is the snapshot's own; when the pool owns it, further
/// callers get further read transactions opened at the same version (the
/// same LMDB transaction id means the same data), so lookups on several
/// threads do not queue on one. A borrowed transaction is shared one caller
/// at a time. Every transaction ends when the pool does.
final class ReaderPool: @unchecked Sendable {
    /// A read transaction and the table as seen through it.
    struct Reader {
        let txn: Transaction
        let table: VectorTable
    }

    let primary: Reader
    private let owned: Bool
    /// Serializes use of `primary` when no pooled reader can be had.
    private let primaryLock = AdaptiveLock()
    private let lock = AdaptiveLock()
    private var idle: [Reader] = []

    init(primary: Reader, owned: Bool) {
        self.primary = primary
        self.owned = owned
    }

    deinit {
        for reader in idle { reader.txn.end() }
        if owned { primary.txn.end() }
    }

    /// Runs `body` with a reader at the pool's version: a pooled one when
    /// it can, else the primary, one caller at a time.
    func withReader<R>(_ body: (Reader) throws -> R) rethrows -> R {
        guard let reader = lock.withLock({ idle.popLast() }) ?? open() else {
            return try primaryLock.withLock { try body(primary) }
        }
        defer { lock.withLock { idle.append(reader) } }
        return try body(reader)
    }

    /// A new reader at the primary's version, or nil when there can be none
    /// (a borrowed transaction, or a commit has landed since).
    private func open() -> Reader? {
        guard owned, let other = try? primary.txn.store.beginRead() else { return nil }
        guard other.snapshotID == primary.txn.snapshotID, let table = try? other.table(primary.table.name) else {
            other.end()
            return nil
        }
        return Reader(txn: other, table: table)
    }
}
