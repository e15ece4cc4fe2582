/// One bit per row, over words the caller owns: the set that every search
/// phase keeps of rows (allowed by filters, admitted, seen, changed since the
/// index build). A view over raw words, so the hot loops test and set bits
/// with no bounds or uniqueness checks and no allocation.
struct RowBits {
    let words: UnsafeMutablePointer<UInt64>

    /// Words needed for `rows` rows.
    @inline(__always) static func wordCount(_ rows: Int) -> Int { (rows + 63) / 64 }
    @inline(__always) static func mask(_ row: Int) -> UInt64 { 1 &<< UInt64(row & 63) }

    @inline(__always) func contains(_ row: Int) -> Bool { words[row >> 6] & Self.mask(row) != 0 }
    @inline(__always) func insert(_ row: Int) { words[row >> 6] |= Self.mask(row) }
    @inline(__always) func remove(_ row: Int) { words[row >> 6] &= ~Self.mask(row) }
    /// Clears the whole word holding `row` (cheaper than one bit when every
    /// bit set in it is being cleared anyway).
    @inline(__always) func clearWord(of row: Int) { words[row >> 6] = 0 }

    /// Sets `row`'s bit and says whether it was clear before.
    @inline(__always) func insertIfAbsent(_ row: Int) -> Bool {
        let word = words[row >> 6], bit = Self.mask(row)
        words[row >> 6] = word | bit
        return word & bit == 0
    }
}

/// An owned set of rows, one bit each: filter results cached per snapshot.
struct RowBitSet: Sendable {
    private(set) var words: [UInt64]

    init(rows: Int) { words = [UInt64](repeating: 0, count: RowBits.wordCount(rows)) }

    @inline(__always) func contains(_ row: Int) -> Bool { words[row >> 6] & RowBits.mask(row) != 0 }
    @inline(__always) mutating func insert(_ row: Int) { words[row >> 6] |= RowBits.mask(row) }
}
