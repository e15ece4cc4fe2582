import Foundation

/// A private, contiguous copy of a table version's rows in anonymous memory,
/// backed by transparent huge pages where the kernel allows.
///
/// Reads through LMDB's file-backed map pay a TLB miss per random row (4 KiB
/// pages); a long-lived query server copies the rows once per version so that
/// random access over millions of rows stays cheap. The copy lives as long as
/// this object; `accessor` must not outlive it.
public final class ResidentRows: @unchecked Sendable {
    /// Random access into the copy, same row numbers as the table.
    public let accessor: RowAccessor
    private let memory: UnsafeMutableRawPointer
    /// Bytes held.
    public let byteCount: Int

    init(from source: RowAccessor) {
        let bytes = max(64, source.slots * source.dimension * 4)
        let huge = 2 << 20
        byteCount = (bytes + huge - 1) / huge * huge
        var p: UnsafeMutableRawPointer?
        posix_memalign(&p, huge, byteCount)
        memory = p!
        #if os(Linux)
        madvise(memory, byteCount, 14 /* MADV_HUGEPAGE */)
        #endif
        let d = source.dimension
        let out = memory.assumingMemoryBound(to: Float.self)
        for r in 0..<source.slots {
            (out + r * d).update(from: source.row(r), count: d)
        }
        var rowsPerBlock = 1
        while rowsPerBlock < max(1, source.slots) { rowsPerBlock <<= 1 }
        accessor = RowAccessor(blocks: [UnsafePointer(out)], rowsPerBlock: rowsPerBlock, dimension: d, slots: source.slots, live: source.live)
    }

    deinit { free(memory) }
}

extension VectorTable {
    /// Copies the rows into a resident, huge-page-backed buffer (see `ResidentRows`).
    public func residentRows() throws -> ResidentRows {
        ResidentRows(from: try rowAccessor())
    }
}
