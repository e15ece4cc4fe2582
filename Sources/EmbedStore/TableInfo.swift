import Foundation

/// Where an embedding table's vectors came from.
public enum TableKind: String, Codable, Sendable, CaseIterable {
    /// Imported from outside (item2vec, word2vec, ...).
    case pretrained
    /// Learned by the ranker end to end.
    case learned
    /// User vectors.
    case user
}

/// One version of a table: its own dimension, rows and block layout.
public struct TableVersion: Codable, Sendable, Equatable {
    /// Monotonic per table, starting at 1.
    public var version: UInt32
    /// Components per vector.
    public var dimension: Int
    /// Live vectors.
    public var count: Int
    /// Row slots allocated (live + deleted); rows are numbered `0..<slots`.
    public var slots: Int
    /// Rows held by one contiguous block value (a power of two).
    public var rowsPerBlock: Int
    /// Free text: the file it was imported from, or the model that learned it.
    public var source: String
    /// When this version was written.
    public var createdAt: Date
    /// Bumped by every single-vector upsert or delete in this version, so
    /// derived data (a recall index) can tell whether it is current.
    public var generation: UInt64
    /// True when the row-to-id map is stored a block of rows per value
    /// (`IDBlock`); nil in versions written before that layout, which keep a
    /// key per row. Either way an id-to-row key per id.
    var idsInBlocks: Bool? = nil
    /// True when every vector block and id block ends in a CRC32C trailer
    /// (`BlockTrailer`); nil in versions written before checksums.
    var blockChecksums: Bool? = nil

    var hasIDBlocks: Bool { idsInBlocks == true }
    /// True when this version's blocks carry checksums.
    public var hasChecksums: Bool { blockChecksums == true }
}

/// A named embedding table and its current (and previous) version.
public struct TableInfo: Codable, Sendable, Equatable {
    /// The table's name.
    public var name: String
    /// What kind of vectors it holds.
    public var kind: TableKind
    /// Internal key prefix; stable across versions.
    public var tableID: UInt32
    /// The version readers see.
    public var current: TableVersion
    /// The version `rollback` returns to, if any.
    public var previous: TableVersion?
    /// When the table was first created.
    public var createdAt: Date

    /// Components per vector of the current version.
    public var dimension: Int { current.dimension }
    /// Live vectors in the current version.
    public var count: Int { current.count }
    /// The current version number.
    public var version: UInt32 { current.version }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .secondsSince1970
        e.outputFormatting = [.sortedKeys]
        return e
    }()
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .secondsSince1970
        return d
    }()
}

/// Key layout of one table version inside the `vectors` and `ids` databases:
/// an 8-byte big-endian prefix (table id, version) followed by a tag: in
/// `ids`, "i" + id (its row), "R" + block (the block's ids, `IDBlock`), "d" +
/// row (a deleted row), and in versions before id blocks "r" + row (its id).
struct VersionKeys {
    let prefix: [UInt8]

    init(tableID: UInt32, version: UInt32) {
        var p = [UInt8]()
        p.reserveCapacity(8)
        for v in [tableID, version] {
            withUnsafeBytes(of: v.bigEndian) { p.append(contentsOf: $0) }
        }
        prefix = p
    }

    /// Bytes of key prefix in front of an id: prefix + tag.
    static let idOverhead = 9

    func block(_ index: Int) -> [UInt8] {
        var k = prefix
        withUnsafeBytes(of: UInt32(index).bigEndian) { k.append(contentsOf: $0) }
        return k
    }

    func idKey(_ id: UnsafeRawBufferPointer) -> [UInt8] {
        var k = prefix
        k.reserveCapacity(9 + id.count)
        k.append(UInt8(ascii: "i"))
        k.append(contentsOf: id)
        return k
    }

    func idKey(_ id: String) -> [UInt8] {
        var s = id
        return s.withUTF8 { idKey(UnsafeRawBufferPointer($0)) }
    }

    func rowKey(_ row: Int) -> [UInt8] { tagged("r", row) }
    /// The ids of the rows in vector block `index` (`IDBlock`).
    func idBlock(_ index: Int) -> [UInt8] { tagged("R", index) }
    func deletedKey(_ row: Int) -> [UInt8] { tagged("d", row) }
    var rowPrefix: [UInt8] { prefix + [UInt8(ascii: "r")] }
    var deletedPrefix: [UInt8] { prefix + [UInt8(ascii: "d")] }

    private func tagged(_ tag: Unicode.Scalar, _ row: Int) -> [UInt8] {
        var k = prefix
        k.append(UInt8(ascii: tag))
        withUnsafeBytes(of: UInt32(row).bigEndian) { k.append(contentsOf: $0) }
        return k
    }
}

extension TableVersion {
    var blockBytes: Int { rowsPerBlock * dimension * 4 }

    /// Rows per block for a dimension: about 1 MiB of floats, a power of two.
    static func rowsPerBlock(dimension: Int) -> Int {
        let target = max(1, (1 << 20) / max(1, dimension * 4))
        var r = 1
        while r * 2 <= target { r *= 2 }
        return r
    }

    /// Bytes stored for a block holding `rows` rows. Never under 4 KiB, so
    /// LMDB keeps it on its own overflow pages: page aligned, hence Float aligned.
    func storedBytes(rows: Int) -> Int { max(rows * dimension * 4, 4096) }

    var blockCount: Int { (slots + rowsPerBlock - 1) / rowsPerBlock }
}
