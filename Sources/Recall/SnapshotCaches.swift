import EmbedStore

// Per-snapshot caches: a snapshot never changes, so whatever is read or
// computed from it once can be kept for as long as the snapshot lives. Each
// cache has its own lock, held only for memory operations, never across a
// store read.

/// Item metadata by id, decoded once per snapshot.
final class ItemCache: @unchecked Sendable {
    private let lock = AdaptiveLock()
    private var byID: [String: Item?] = [:]
    private var columns: [String]?

    /// The items of `ids`, in order (nil where the items table has none).
    func items(_ ids: [String], readers: ReaderPool) -> [Item?] {
        var out: [Item?] = []
        out.reserveCapacity(ids.count)
        var missing: [Int] = []
        var known = lock.withLock { () -> [String]? in
            for (i, id) in ids.enumerated() {
                if let cached = byID[id] { out.append(cached) } else { missing.append(i); out.append(nil) }
            }
            return columns
        }
        if missing.isEmpty { return out }
        readers.withReader { reader in
            let columns = known ?? ((try? reader.txn.itemColumns()) ?? [])
            known = columns
            for i in missing { out[i] = try? reader.txn.item(ids[i], columns: columns) }
        }
        lock.withLock {
            columns = known
            for i in missing { byID[ids[i]] = out[i] }
        }
        return out
    }
}

/// Rows allowed by each set of filters, as bit sets.
final class FilterCache: @unchecked Sendable {
    private let lock = AdaptiveLock()
    private var bits: [[ItemFilter]: RowBitSet] = [:]

    /// Rows whose items match every filter; nil without filters.
    func allowedRows(_ filters: [ItemFilter], slots: Int, readers: ReaderPool) throws -> RowBitSet? {
        if filters.isEmpty { return nil }
        if let cached = lock.withLock({ bits[filters] }) { return cached }
        var set = RowBitSet(rows: slots)
        try readers.withReader { reader in
            try reader.txn.forEachRow(of: reader.table, matching: filters) { set.insert($0) }
        }
        lock.withLock { bits[filters] = set }
        return set
    }
}

/// What exact scans compute once per snapshot: each row's inverse norm
/// (cosine) and, for small tables, the rows in the SIMD scan layout.
final class ScanCache: @unchecked Sendable {
    private let lock = AdaptiveLock()
    private var inverseNorms: [Float]?
    private var layouts: [Metric: ScanLayout] = [:]

    /// Inverse row norms, once a scan has computed them.
    var knownInverseNorms: [Float]? { lock.withLock { inverseNorms } }

    func remember(inverseNorms norms: [Float]) {
        lock.withLock { if inverseNorms == nil { inverseNorms = norms } }
    }

    /// The scan layout of `rows` for `metric`, built on first use; nil for
    /// tables too large to copy.
    func layout(_ rows: RowAccessor, metric: Metric) -> ScanLayout? {
        guard rows.slots * rows.dimension <= ScanLayout.maxFloats else { return nil }
        return lock.withLock {
            if let layout = layouts[metric] { return layout }
            let layout = ScanLayout(rows, normalized: metric == .cosine)
            layouts[metric] = layout
            return layout
        }
    }
}

