import Foundation
import CLMDB

/// An LMDB transaction over the store's sub-databases.
///
/// Values returned by `get` point into the memory map (zero-copy) and stay
/// valid until the transaction ends.
public final class Transaction: @unchecked Sendable {
    /// The store this transaction belongs to.
    public let store: Store
    let txn: OpaquePointer
    /// True for read-only snapshots.
    public let readOnly: Bool
    var ended = false
    /// Decoded table records of a read-only snapshot (see `tableInfo`).
    var tableInfoCache: [String: TableInfo] = [:]

    init(store: Store, txn: OpaquePointer, readOnly: Bool) {
        self.store = store
        self.txn = txn
        self.readOnly = readOnly
    }

    /// LMDB's id of the snapshot: it changes whenever a write commits, so a
    /// reader can tell cheaply whether anything changed since it last looked.
    public var snapshotID: Int { mdb_txn_id(txn) }

    /// Ends a transaction opened with `Store.beginRead()`.
    public func end() {
        if !ended { mdb_txn_abort(txn); ended = true }
    }

    // MARK: raw key/value access

    func get(_ db: Database, _ key: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        let rc = mdb_get(txn, store.dbi(db), &k, &v)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "reading \(db.name)")
        return UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
    }

    func get(_ db: Database, _ key: [UInt8]) throws -> UnsafeRawBufferPointer? {
        try key.withUnsafeBytes { try get(db, $0) }
    }

    /// Writes `value` under `key`. Returns false (and writes nothing) when
    /// `noOverwrite` is set and the key exists.
    @discardableResult
    func put(_ db: Database, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, noOverwrite: Bool = false) throws -> Bool {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        let rc = mdb_put(txn, store.dbi(db), &k, &v, noOverwrite ? UInt32(MDB_NOOVERWRITE) : 0)
        if rc == MDB_KEYEXIST && noOverwrite { return false }
        try check(rc, "writing \(db.name)")
        return true
    }

    @discardableResult
    func put(_ db: Database, _ key: [UInt8], _ value: [UInt8], noOverwrite: Bool = false) throws -> Bool {
        try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try put(db, k, v, noOverwrite: noOverwrite) } }
    }

    /// Reserves `count` bytes under `key` and lets `fill` write them in place.
    func reserve(_ db: Database, _ key: [UInt8], count: Int, _ fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        try key.withUnsafeBytes { key in
            var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
            var v = MDB_val(mv_size: count, mv_data: nil)
            try check(mdb_put(txn, store.dbi(db), &k, &v, UInt32(MDB_RESERVE)), "writing \(db.name)")
            try fill(UnsafeMutableRawBufferPointer(start: v.mv_data, count: count))
        }
    }

    /// Deletes `key`; returns false when it was not there.
    @discardableResult
    func delete(_ db: Database, _ key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { key in
            var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
            let rc = mdb_del(txn, store.dbi(db), &k, nil)
            if rc == MDB_NOTFOUND { return false }
            try check(rc, "deleting from \(db.name)")
            return true
        }
    }

    /// Visits the entries whose key starts with `prefix`, in key order, until
    /// `body` returns false.
    func scan(_ db: Database, prefix: [UInt8], _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, store.dbi(db), &cursor), "opening a cursor on \(db.name)")
        defer { mdb_cursor_close(cursor) }
        try prefix.withUnsafeBytes { p in
            var k = MDB_val(mv_size: p.count, mv_data: UnsafeMutableRawPointer(mutating: p.baseAddress))
            var v = MDB_val()
            var rc = p.count == 0 ? mdb_cursor_get(cursor, &k, &v, MDB_FIRST) : mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE)
            while rc == 0 {
                let key = UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size)
                if key.count < p.count || memcmp(key.baseAddress!, p.baseAddress!, p.count) != 0 { break }
                if try !body(key, UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)) { return }
                rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)
            }
            if rc != 0 && rc != MDB_NOTFOUND { try check(rc, "scanning \(db.name)") }
        }
    }

    /// Deletes every entry whose key starts with `prefix`; returns how many.
    @discardableResult
    func deletePrefix(_ db: Database, _ prefix: [UInt8]) throws -> Int {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, store.dbi(db), &cursor), "opening a cursor on \(db.name)")
        defer { mdb_cursor_close(cursor) }
        var n = 0
        try prefix.withUnsafeBytes { p in
            var k = MDB_val(mv_size: p.count, mv_data: UnsafeMutableRawPointer(mutating: p.baseAddress))
            var v = MDB_val()
            var rc = p.count == 0 ? mdb_cursor_get(cursor, &k, &v, MDB_FIRST) : mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE)
            while rc == 0 {
                if k.mv_size < p.count || memcmp(k.mv_data, p.baseAddress!, p.count) != 0 { break }
                try check(mdb_cursor_del(cursor, 0), "deleting from \(db.name)")
                n += 1
                rc = mdb_cursor_get(cursor, &k, &v, MDB_GET_CURRENT)
                if rc == MDB_NOTFOUND || rc == EINVAL { rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT) }
            }
            if rc != 0 && rc != MDB_NOTFOUND && rc != EINVAL { try check(rc, "deleting from \(db.name)") }
        }
        return n
    }

    // MARK: typed helpers for other modules

    /// Reads a blob stored under `key` in a named area (`models`, `index`, `features`, `meta`).
    /// The bytes are the blob as written (its checksum trailer left off).
    ///
    /// Rule: a blob of any area but `index` is checked against its trailer on
    /// every read (feature rows, histories and meta values are small; a model
    /// is read once per change), and a mismatch throws `damaged` naming it.
    /// Index parts can be hundreds of megabytes and are opened per snapshot:
    /// `Store.verify()` checks them, and their readers bound every offset.
    public func blob(_ area: BlobArea, _ key: String) throws -> UnsafeRawBufferPointer? {
        guard let v = try get(area.database, Array(key.utf8)) else { return nil }
        if area != .index, BlockTrailer.check(v) == .damaged {
            throw StoreError.damaged(path: store.path, reason: "the \(area.database.name) value '\(key.map { $0.isASCII && $0.asciiValue! >= 0x20 ? $0 : "/" }.map(String.init).joined())' fails its checksum (run `recsys store verify`)")
        }
        return BlockTrailer.payload(v)
    }

    /// Writes a blob under `key` in a named area, with a checksum trailer.
    public func putBlob(_ area: BlobArea, _ key: String, _ value: UnsafeRawBufferPointer) throws {
        try putBlob(area, key, count: value.count) { dst in
            if value.count > 0 { dst.copyMemory(from: value) }
        }
    }

    /// Writes a blob, letting `fill` write its `count` bytes in place.
    public func putBlob(_ area: BlobArea, _ key: String, count: Int, _ fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        try requireWritable()
        try reserveSealed(area.database, Array(key.utf8), count: count, fill)
    }

    /// Deletes every blob whose key starts with `prefix`; returns how many.
    @discardableResult
    public func deleteBlobs(_ area: BlobArea, prefix: String) throws -> Int {
        try requireWritable()
        return try deletePrefix(area.database, Array(prefix.utf8))
    }

    /// Visits the blobs whose key starts with `prefix`, in key order.
    public func forEachBlob(_ area: BlobArea, prefix: String, _ body: (String, UnsafeRawBufferPointer) throws -> Bool) throws {
        try scan(area.database, prefix: Array(prefix.utf8)) { k, v in
            try body(String(decoding: k, as: UTF8.self), BlockTrailer.payload(v))
        }
    }

    func requireWritable() throws {
        if readOnly { throw StoreError.invalidArgument("internal: write attempted in a read-only transaction") }
    }
}

/// Areas of the store that hold opaque blobs owned by other modules.
public enum BlobArea: Sendable {
    /// Trained ranker models.
    case models
    /// Recall indexes.
    case index
    /// Latest feature rows per user and item.
    case features
    /// Store-wide small values.
    case meta

    var database: Database {
        switch self {
        case .models: return .models
        case .index: return .index
        case .features: return .features
        case .meta: return .meta
        }
    }
}
