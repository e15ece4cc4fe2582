import EmbedStore

/// Which rows a search may return: those the filters allow, minus the
/// caller's exclusions (the user's history) and deleted rows.
struct Admission {
    let allowed: RowBitSet?
    let excluded: Set<Int>
    let rows: RowAccessor

    /// No filter, exclusion or deletion: every row may be returned.
    var admitsEveryRow: Bool { allowed == nil && excluded.isEmpty && !rows.hasDeletions }

    /// Whether no filter or exclusion narrows the rows (deletions aside), so
    /// the live row count bounds what a search can find.
    var isUnfiltered: Bool { allowed == nil && excluded.isEmpty }

    @inline(__always)
    func admits(_ row: Int) -> Bool {
        if let allowed, !allowed.contains(row) { return false }
        if !excluded.isEmpty && excluded.contains(row) { return false }
        return rows.isLive(row)
    }

    /// The admitted rows as bits in `scratch`, or nil when every row is admitted.
    func bits(_ scratch: SearchScratch) -> RowBits? {
        if admitsEveryRow { return nil }
        let words = RowBits.wordCount(rows.slots)
        let bits = RowBits(words: scratch.admissionBuffer(words: words))
        if let allowed {
            allowed.words.withUnsafeBufferPointer { bits.words.update(from: $0.baseAddress!, count: words) }
        } else {
            bits.words.update(repeating: ~0, count: words)
        }
        for row in excluded where row >= 0 && row < rows.slots { bits.remove(row) }
        rows.forEachDeletedRow { bits.remove($0) }
        return bits
    }
}
