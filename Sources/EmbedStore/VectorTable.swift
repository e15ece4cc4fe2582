/// A read view of one embedding table's current version inside a transaction.
///
/// Vectors are handed out zero-copy: the buffers point into LMDB's memory map
/// and are valid until the transaction ends.
public struct VectorTable {
    /// The table's metadata as of this transaction.
    public let info: TableInfo
    let version: TableVersion
    let txn: Transaction
    let keys: VersionKeys

    init(info: TableInfo, version: TableVersion, txn: Transaction) {
        self.info = info
        self.version = version
        self.txn = txn
        self.keys = VersionKeys(tableID: info.tableID, version: version.version)
    }

    /// The table's name.
    public var name: String { info.name }
    /// Components per vector.
    public var dimension: Int { version.dimension }
    /// Live vectors.
    public var count: Int { version.count }
    /// Row slots (live and deleted); valid rows are `0..<slots`.
    public var slots: Int { version.slots }

    /// The row holding `id`, or nil.
    public func row(of id: String) throws -> Int? {
        let key = keys.idKey(id)
        guard let v = try txn.get(.ids, key) else { return nil }
        return try txn.row(ofIDValue: v, key: key, table: name, slots: version.slots)
    }

    /// The row holding the id given as UTF-8 bytes, or nil.
    public func row(ofUTF8 id: UnsafeRawBufferPointer) throws -> Int? {
        let key = keys.idKey(id)
        guard let v = try txn.get(.ids, key) else { return nil }
        return try txn.row(ofIDValue: v, key: key, table: name, slots: version.slots)
    }

    /// The id stored at `row`, or nil for a deleted or out-of-range row.
    public func id(ofRow row: Int) throws -> String? {
        try idBytes(ofRow: row).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The UTF-8 bytes of the id at `row` (zero-copy), or nil.
    func idBytes(ofRow row: Int) throws -> UnsafeRawBufferPointer? {
        guard row >= 0, row < version.slots else { return nil }
        guard version.hasIDBlocks else { return try txn.get(.ids, keys.rowKey(row)) }
        return try idBlock(row / version.rowsPerBlock)?.id(at: row % version.rowsPerBlock)
    }

    func idBlock(_ index: Int) throws -> IDBlock? {
        guard let v = try txn.get(.ids, keys.idBlock(index)) else { return nil }
        guard let block = IDBlock(v) else {
            throw StoreError.damaged(path: txn.store.path, reason: "id block \(index) of table '\(name)' is malformed; `recsys store verify` lists all damage")
        }
        return block
    }

    /// The vector at `row` (zero-copy).
    public func vector(ofRow row: Int) throws -> UnsafeBufferPointer<Float> {
        precondition(row >= 0 && row < version.slots, "row \(row) out of range 0..<\(version.slots)")
        let block = try blockBytes(row / version.rowsPerBlock)
        let start = (row % version.rowsPerBlock) * version.dimension
        return UnsafeBufferPointer(start: block.baseAddress!.assumingMemoryBound(to: Float.self) + start, count: version.dimension)
    }

    /// The vector of `id` (zero-copy); throws `unknownID` when absent.
    public func vector(of id: String) throws -> UnsafeBufferPointer<Float> {
        guard let r = try row(of: id) else { throw StoreError.unknownID(table: name, id: id) }
        return try vector(ofRow: r)
    }

    /// Looks up many ids at once; `nil` where an id is absent.
    public func vectors(of ids: [String]) throws -> [UnsafeBufferPointer<Float>?] {
        try ids.map { id in try row(of: id).map { try vector(ofRow: $0) } }
    }

    /// The stored bytes of vector block `index`, checked to hold all its rows
    /// (so a damaged length reads as an error, never past the value's end).
    func blockBytes(_ index: Int) throws -> UnsafeRawBufferPointer {
        guard let b = try txn.get(.vectors, keys.block(index)) else {
            throw StoreError.damaged(path: txn.store.path, reason: "vector block \(index) of table '\(name)' is missing; `recsys store verify` lists all damage")
        }
        let rows = min(version.rowsPerBlock, version.slots - index * version.rowsPerBlock)
        guard b.count >= rows * version.dimension * 4 else {
            throw StoreError.damaged(path: txn.store.path, reason: "vector block \(index) of table '\(name)' is \(b.count) bytes, too short for its \(rows) rows; `recsys store verify` lists all damage")
        }
        return b
    }

    /// Visits every block of contiguous rows in row order: the first row's
    /// number, and the rows as one `rows * dimension` buffer. Deleted rows
    /// are zero vectors; `deletedRows()` lists them.
    public func forEachBlock(_ body: (_ firstRow: Int, _ rows: UnsafeBufferPointer<Float>) throws -> Void) throws {
        let d = version.dimension
        for b in 0..<version.blockCount {
            let first = b * version.rowsPerBlock
            let n = min(version.rowsPerBlock, version.slots - first)
            let bytes = try blockBytes(b)
            try body(first, UnsafeBufferPointer(start: bytes.baseAddress!.assumingMemoryBound(to: Float.self), count: n * d))
        }
    }

    /// Rows that were deleted since the version was imported, ascending.
    public func deletedRows() throws -> [Int] {
        var rows: [Int] = []
        if version.slots == version.count { return rows }
        try txn.scan(.ids, prefix: keys.deletedPrefix) { k, _ in
            rows.append(Int(UInt32(bigEndian: k.loadUnaligned(fromByteOffset: 9, as: UInt32.self))))
            return true
        }
        return rows
    }

    /// Visits every live (row, id) pair in row order.
    public func forEachID(_ body: (_ row: Int, _ id: UnsafeRawBufferPointer) throws -> Void) throws {
        if version.hasIDBlocks {
            for b in 0..<version.blockCount {
                guard let block = try idBlock(b) else { continue }
                let first = b * version.rowsPerBlock
                for i in 0..<min(block.count, version.slots - first) {
                    if let id = block.id(at: i) { try body(first + i, id) }
                }
            }
            return
        }
        try txn.scan(.ids, prefix: keys.rowPrefix) { k, v in
            try body(Int(UInt32(bigEndian: k.loadUnaligned(fromByteOffset: 9, as: UInt32.self))), v)
            return true
        }
    }

    /// Resolves every block once, for random access to rows by number in a hot loop.
    public func rowAccessor() throws -> RowAccessor {
        var blocks: [UnsafePointer<Float>] = []
        blocks.reserveCapacity(version.blockCount)
        for b in 0..<version.blockCount {
            blocks.append(UnsafePointer(try blockBytes(b).baseAddress!.assumingMemoryBound(to: Float.self)))
        }
        var live: [Bool]? = nil
        let deleted = try deletedRows()
        if !deleted.isEmpty {
            var l = [Bool](repeating: true, count: version.slots)
            for r in deleted { l[r] = false }
            live = l
        }
        return RowAccessor(blocks: blocks, rowsPerBlock: version.rowsPerBlock, dimension: version.dimension, slots: version.slots, live: live)
    }
}

/// Random access to a table version's rows by number, with every block resolved.
/// Valid while the transaction it came from is open.
public struct RowAccessor: @unchecked Sendable {
    let blocks: [UnsafePointer<Float>]
    let shift: Int
    let mask: Int
    /// Components per row.
    public let dimension: Int
    /// Row slots; rows are `0..<slots`.
    public let slots: Int
    let live: [Bool]?

    init(blocks: [UnsafePointer<Float>], rowsPerBlock: Int, dimension: Int, slots: Int, live: [Bool]?) {
        self.blocks = blocks
        self.shift = rowsPerBlock.trailingZeroBitCount
        self.mask = rowsPerBlock - 1
        self.dimension = dimension
        self.slots = slots
        self.live = live
    }

    /// The first component of `row`; `dimension` components follow.
    @inline(__always)
    public func row(_ row: Int) -> UnsafePointer<Float> {
        blocks[row &>> shift] + (row & mask) * dimension
    }

    /// False for a deleted row.
    @inline(__always)
    public func isLive(_ row: Int) -> Bool { live?[row] ?? true }

    /// True when some rows are deleted.
    public var hasDeletions: Bool { live != nil }

    /// Calls `body` with each deleted row, in order.
    public func forEachDeletedRow(_ body: (Int) throws -> Void) rethrows {
        guard let live else { return }
        for (row, isLive) in live.enumerated() where !isLive { try body(row) }
    }

    /// Calls `body` with each run of rows stored back to back: its first row,
    /// the first component of that row, and the number of rows in the run.
    /// Together the runs cover `0..<slots` in order.
    @inline(__always)
    public func forEachRun(_ body: (_ firstRow: Int, _ base: UnsafePointer<Float>, _ count: Int) throws -> Void) rethrows {
        let rowsPerBlock = mask + 1
        var first = 0
        for base in blocks where first < slots {
            let n = min(rowsPerBlock, slots - first)
            try body(first, base, n)
            first += n
        }
    }
}
