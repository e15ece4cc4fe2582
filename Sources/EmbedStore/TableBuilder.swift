import Foundation

/// What an import does when an id appears twice.
public enum DuplicatePolicy: String, Sendable, CaseIterable {
    /// Reject the file.
    case error
    /// Keep the last vector seen for the id (at the row of its first appearance).
    case last
}

/// Writes a new version of a table inside one write transaction, row by row,
/// in contiguous blocks. `finish()` makes it current; until the transaction
/// commits no reader sees any of it, and an abort leaves the old version as it was.
public final class TableBuilder {
    let txn: Transaction
    let name: String
    let kind: TableKind
    let source: String
    let onDuplicate: DuplicatePolicy
    let existing: TableInfo?
    let tableID: UInt32
    let versionNumber: UInt32
    let keys: VersionKeys
    private(set) var dimension: Int?
    private var rowsPerBlock = 0
    private var block: [Float] = []
    private var blockIndex = 0
    private var rowsInBlock = 0
    /// The ids of the rows in `block`, written beside it.
    private var idBlock = IDBlockWriter()
    /// The id-to-row key being looked up (prefix, tag, id), reused row to row.
    private var idKey: [UInt8]
    /// Id-to-row keys not yet written, with their rows. They are inserted in
    /// key order at the first block boundary after `idRunLength` of them
    /// collect, so that the id B-tree's pages are allocated in runs between
    /// long runs of vector pages, not one among every few vector blocks. Why:
    /// on a page fault the kernel also maps the page's cached neighbours
    /// (fault-around, 64 KiB; MADV_RANDOM does not turn it off), so a service
    /// reading vectors from an interleaved file holds most of the id B-tree
    /// in its resident set too (0.18 GB of 3.2 at 10M x 64).
    private var pendingIDs = PendingIDs(capacity: idRunLength)
    static let idRunLength = 1 << 18
    /// Rows written so far.
    public private(set) var rows = 0
    /// Duplicate ids replaced under `--on-duplicate last`.
    public private(set) var replaced = 0

    /// Starts a new version of `name` (version 1 of a new table).
    /// - Parameter dimension: the expected dimension, or nil to take the first vector's.
    public init(txn: Transaction, name: String, kind: TableKind, source: String, onDuplicate: DuplicatePolicy = .error, dimension: Int? = nil) throws {
        try txn.requireWritable()
        existing = try txn.tableInfo(name)
        if existing == nil { try TableName.validate(name) }
        try TableName.requireWritable(name, existing: existing, by: kind)
        self.txn = txn
        self.name = name
        self.kind = kind
        self.source = source
        self.onDuplicate = onDuplicate
        tableID = try existing?.tableID ?? txn.nextTableID()
        versionNumber = (existing.map { max($0.current.version, $0.previous?.version ?? 0) } ?? 0) + 1
        keys = VersionKeys(tableID: tableID, version: versionNumber)
        idKey = keys.idKey(UnsafeRawBufferPointer(start: nil, count: 0))
        // A killed earlier attempt cannot leave data (it never committed), but be certain.
        try txn.dropVersionData(tableID: tableID, version: versionNumber)
        if let dimension { try start(dimension: dimension) }
    }

    private func start(dimension d: Int) throws {
        guard d > 0 else { throw StoreError.invalidArgument("dimension must be positive") }
        guard d <= 1 << 20 else { throw StoreError.invalidArgument("dimension \(d) is over the limit of \(1 << 20)") }
        dimension = d
        rowsPerBlock = TableVersion.rowsPerBlock(dimension: d)
        block = [Float](repeating: 0, count: rowsPerBlock * d)
    }

    /// Appends one vector under `id` (UTF-8 bytes). Throws on an invalid id, a
    /// dimension that differs from the first vector's, NaN/Inf, or a duplicate
    /// id under `.error`.
    public func append(id: UnsafeRawBufferPointer, vector: UnsafeBufferPointer<Float>) throws {
        try txn.validateID(id)
        if dimension == nil { try start(dimension: vector.count) }
        let d = dimension!
        if vector.count != d {
            throw StoreError.invalidArgument("vector has \(vector.count) components, expected \(d) like the first vector")
        }
        try validateFinite(vector)
        idKey.removeLast(idKey.count - VersionKeys.idOverhead)
        idKey.append(contentsOf: id)
        if let old = try pendingIDs.row(of: id) ?? txn.get(.ids, idKey).map({ UInt32(try txn.row(ofIDValue: $0, key: idKey, table: name, slots: rows)) }) {
            guard onDuplicate == .last else {
                throw StoreError.invalidArgument("duplicate id '\(String(decoding: id, as: UTF8.self))' (use --on-duplicate last to keep the last vector)")
            }
            try overwrite(row: Int(old), vector)
            replaced += 1
            return
        }
        guard rows < Int(UInt32.max) else { throw StoreError.invalidArgument("too many rows for one table") }
        pendingIDs.insert(id, row: UInt32(rows))
        idBlock.append(id)
        block.withUnsafeMutableBufferPointer { b in
            (b.baseAddress! + rowsInBlock * d).update(from: vector.baseAddress!, count: d)
        }
        rows += 1
        rowsInBlock += 1
        if rowsInBlock == rowsPerBlock { try flush() }
    }

    /// Appends one vector under a string id.
    public func append(id: String, vector: [Float]) throws {
        var id = id
        try id.withUTF8 { i in try vector.withUnsafeBufferPointer { try append(id: UnsafeRawBufferPointer(i), vector: $0) } }
    }

    private func overwrite(row: Int, _ vector: UnsafeBufferPointer<Float>) throws {
        let d = dimension!
        let b = row / rowsPerBlock
        if b == blockIndex {
            block.withUnsafeMutableBufferPointer { (($0.baseAddress! + (row % rowsPerBlock) * d)).update(from: vector.baseAddress!, count: d) }
        } else {
            try txn.writeRow(keys: keys, version: version(dimension: d), row: row, vector: Array(vector))
        }
    }

    private func flush() throws {
        guard rowsInBlock > 0, let d = dimension else { return }
        let bytes = max(rowsInBlock * d * 4, 4096)
        try txn.reserveSealed(.vectors, keys.block(blockIndex), count: bytes) { dst in
            dst.initializeMemory(as: UInt8.self, repeating: 0)
            block.withUnsafeBytes { dst.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: rowsInBlock * d * 4) }
        }
        try txn.reserveSealed(.ids, keys.idBlock(blockIndex), count: idBlock.encodedCount) { idBlock.encode(into: $0) }
        idBlock.reset()
        blockIndex += 1
        rowsInBlock = 0
        if pendingIDs.count >= Self.idRunLength { try writePendingIDs() }
    }

    /// Inserts the pending id-to-row keys, in the order their rows were added.
    private func writePendingIDs() throws {
        try pendingIDs.forEach { id, row in
            idKey.removeLast(idKey.count - VersionKeys.idOverhead)
            idKey.append(contentsOf: id)
            let fresh = try txn.putIDValue(idKey, row: row, noOverwrite: true)
            // duplicates are caught when appended, so every pending key is new
            guard fresh else { throw StoreError.invalidArgument("id '\(String(decoding: id, as: UTF8.self))' was stored twice in table '\(name)'") }
        }
        pendingIDs.removeAll()
    }

    /// The version record for the rows written so far.
    private func version(dimension d: Int) -> TableVersion {
        TableVersion(version: versionNumber, dimension: d, count: rows, slots: rows, rowsPerBlock: rowsPerBlock, source: source, createdAt: Date(), generation: 0, idsInBlocks: true, blockChecksums: true)
    }

    /// Writes the last block and makes this version current; the version that
    /// was current becomes `previous`, and the one before it is discarded.
    @discardableResult
    public func finish() throws -> TableInfo {
        guard let d = dimension, rows > 0 else { throw StoreError.invalidArgument("no vectors") }
        try flush()
        try writePendingIDs()
        let version = version(dimension: d)
        var info: TableInfo
        if var e = existing {
            if let p = e.previous { try txn.dropVersionData(tableID: tableID, version: p.version) }
            e.previous = e.current
            e.current = version
            e.kind = kind
            info = e
        } else {
            info = TableInfo(name: name, kind: kind, tableID: tableID, current: version, previous: nil, createdAt: Date())
        }
        try txn.putInfo(info)
        return info
    }
}
