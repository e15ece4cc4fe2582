/// Random access to a table version's ids by row number, with every id block
/// resolved once: a lookup is two loads into the memory map, no transaction
/// call and no lock. Valid while the transaction it came from is open.
///
/// Why not a per-row cache: an array of ids by row costs 16 bytes a row
/// (160 MB at 10M rows) before it holds anything, while the id blocks are
/// already in memory-mapped form and cost 4 bytes a row plus the ids.
public struct IDAccessor: @unchecked Sendable {
    /// Per block, its stored value; nil where the block is missing or malformed.
    let blocks: [IDBlock?]
    let shift: Int
    let mask: Int

    init(blocks: [IDBlock?], rowsPerBlock: Int) {
        precondition(rowsPerBlock > 0 && rowsPerBlock & (rowsPerBlock - 1) == 0, "rows per block must be a power of two")
        self.blocks = blocks
        self.shift = rowsPerBlock.trailingZeroBitCount
        self.mask = rowsPerBlock - 1
    }

    /// The UTF-8 bytes of the id at `row` (zero-copy), or nil for a deleted
    /// or out-of-range row or a damaged block.
    @inline(__always)
    public func idBytes(ofRow row: Int) -> UnsafeRawBufferPointer? {
        let b = row &>> shift
        guard row >= 0, b < blocks.count, let block = blocks[b] else { return nil }
        return block.id(at: row & mask)
    }

    /// The id at `row`, or nil (see `idBytes(ofRow:)`).
    public func id(ofRow row: Int) -> String? {
        idBytes(ofRow: row).map { String(decoding: $0, as: UTF8.self) }
    }
}

extension VectorTable {
    /// Resolves every id block once, for id lookups by row in a hot path; nil
    /// for a version that stores one key per row (written before id blocks).
    public func idAccessor() throws -> IDAccessor? {
        guard version.hasIDBlocks else { return nil }
        var blocks: [IDBlock?] = []
        blocks.reserveCapacity(version.blockCount)
        for b in 0..<version.blockCount {
            // a malformed block reads as missing ids here, as `id(ofRow:)` would throw for it
            blocks.append(try? idBlock(b))
        }
        return IDAccessor(blocks: blocks, rowsPerBlock: version.rowsPerBlock)
    }
}
