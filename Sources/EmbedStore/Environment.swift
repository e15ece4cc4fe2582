import CLMDB
import Foundation

#if _endian(big)
#error("EmbedStore stores vectors as little-endian Float32 and reads them in place: big-endian hosts are not supported")
#endif

/// The named sub-databases inside one store.
enum Database: Int, CaseIterable {
    /// table name -> `TableInfo` (JSON)
    case tables
    /// table/version/block -> raw little-endian Float32 rows
    case vectors
    /// table/version + 'i' + id -> row; 'r' + row -> id; 'd' + row -> deleted marker
    case ids
    /// item id -> item record; a header record holds the column names
    case items
    /// "user\0id" / "item\0id" -> latest feature row
    case features
    /// model name -> serialized model
    case models
    /// table name -> recall index parts
    case index
    /// store-wide counters
    case meta

    var name: String { String(describing: self) }
}

/// One LMDB environment: a store directory with named sub-databases.
///
/// Many readers and one writer, across threads and processes. The environment
/// is opened with `MDB_NOTLS` so a read transaction may be used from whatever
/// thread a Swift task resumes on. The memory map grows on demand: a write that
/// fills the map is retried after doubling it, so callers never see `MDB_MAP_FULL`.
public final class Store: @unchecked Sendable {
    /// The store directory.
    public let path: String
    let env: OpaquePointer
    private(set) var dbis: [MDB_dbi] = []
    private let resizeLock = NSLock()
    /// Largest key LMDB accepts in this build (511 bytes by default).
    public let maxKeySize: Int

    /// The default initial map size: address space, not disk. The data file only
    /// grows as pages are written.
    public static let defaultMapSize = 1 << 34

    /// Opens (creating if needed) the store at `path`.
    /// - Parameter mapSize: initial map size in bytes; grows on demand.
    public init(path: String, mapSize: Int = Store.defaultMapSize) throws {
        self.path = path
        var fm: Bool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: nil) {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw StoreError.io(path: path, reason: "cannot create store directory: \(error.localizedDescription)")
            }
        } else {
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            fm = isDir.boolValue
            if !fm { throw StoreError.io(path: path, reason: "not a store directory (a store is a directory holding data.mdb)") }
        }
        var e: OpaquePointer?
        try check(mdb_env_create(&e), "mdb_env_create")
        env = e!
        maxKeySize = Int(mdb_env_get_maxkeysize(env))
        mdb_env_set_maxdbs(env, MDB_dbi(Database.allCases.count + 2))
        mdb_env_set_maxreaders(env, 512)
        // Never shrink an existing store's map below its file size.
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: path + "/data.mdb")[.size] as? Int) ?? 0
        let size = max(mapSize, Store.roundedMapSize(fileSize * 2))
        mdb_env_set_mapsize(env, size)
        let rc = mdb_env_open(env, path, UInt32(MDB_NOTLS), 0o644)
        if rc != 0 {
            mdb_env_close(env)
            throw StoreError.lmdb(operation: "opening store at \(path)", code: rc, message: String(cString: mdb_strerror(rc)))
        }
        clearDeadReaders()
        do {
            dbis = try write { txn in
                try Database.allCases.map { db in
                    var dbi = MDB_dbi()
                    try check(mdb_dbi_open(txn.txn, db.name, UInt32(MDB_CREATE), &dbi), "opening database \(db.name)")
                    return dbi
                }
            }
        } catch {
            mdb_env_close(env)
            throw error
        }
    }

    deinit { mdb_env_close(env) }

    static func roundedMapSize(_ n: Int) -> Int {
        var size = 1 << 20
        while size < n { size <<= 1 }
        return size
    }

    /// The current size of the memory map in bytes.
    public var mapSize: Int {
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        return info.me_mapsize
    }

    /// The id of the last committed write: equals `Transaction.snapshotID` of
    /// a read transaction begun now. Reads the meta page only (no transaction).
    public var latestSnapshotID: Int {
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        return info.me_last_txnid
    }

    /// Bytes of the data file in use (up to its highest page): what the file
    /// needs. It grows while an open read transaction keeps pages that later
    /// commits freed from being reused.
    public var usedBytes: Int {
        var info = MDB_envinfo(), stat = MDB_stat()
        mdb_env_info(env, &info)
        mdb_env_stat(env, &stat)
        return (info.me_last_pgno + 1) * Int(stat.ms_psize)
    }

    /// Other live processes holding read slots in this store (a service
    /// serving it, say), from LMDB's reader table; slots of dead processes
    /// are cleared first.
    public func otherReaderProcesses() -> [Int32] {
        clearDeadReaders()
        final class Lines { var text = "" }
        let lines = Lines()
        _ = withExtendedLifetime(lines) {
            mdb_reader_list(env, { message, context in
                guard let message, let context else { return 0 }
                Unmanaged<Lines>.fromOpaque(context).takeUnretainedValue().text += String(cString: message)
                return 0
            }, Unmanaged.passUnretained(lines).toOpaque())
        }
        // "    pid     thread     txnid" then one "PID THREAD TXNID" line per slot
        let me = getpid()
        let pids = lines.text.split(separator: "\n").compactMap { line in
            line.split(separator: " ").first.flatMap { Int32($0) }
        }
        return Array(Set(pids.filter { $0 != me })).sorted()
    }

    /// Frees reader slots left by killed processes, so their snapshots neither
    /// pin pages nor count as readers.
    private func clearDeadReaders() {
        var dead: Int32 = 0
        mdb_reader_check(env, &dead)
    }

    func dbi(_ db: Database) -> MDB_dbi { dbis[db.rawValue] }

    /// Runs `body` in a read-only transaction: a consistent snapshot of the store.
    /// Pointers handed out inside `body` are valid only until it returns.
    public func read<R>(_ body: (Transaction) throws -> R) throws -> R {
        let txn = try begin(readOnly: true)
        defer { mdb_txn_abort(txn.txn) }
        return try body(txn)
    }

    /// Opens a read-only transaction the caller ends with `Transaction.end()`.
    /// Long-lived snapshots (a server's cached index view) use this.
    public func beginRead() throws -> Transaction {
        try begin(readOnly: true)
    }

    /// Runs `body` in the single write transaction and commits it. If `body`
    /// throws, nothing it wrote is kept. If the map fills, the transaction is
    /// aborted, the map doubled and `body` run again from the start.
    public func write<R>(_ body: (Transaction) throws -> R) throws -> R {
        while true {
            let txn = try begin(readOnly: false)
            do {
                let result = try body(txn)
                let rc = mdb_txn_commit(txn.txn)
                txn.ended = true
                if rc == MDB_MAP_FULL { try grow(); continue }
                try check(rc, "committing")
                return result
            } catch let error as StoreError {
                if !txn.ended { mdb_txn_abort(txn.txn); txn.ended = true }
                if case .lmdb(_, let code, _) = error, code == MDB_MAP_FULL {
                    try grow()
                    continue
                }
                throw error
            } catch {
                if !txn.ended { mdb_txn_abort(txn.txn); txn.ended = true }
                throw error
            }
        }
    }

    private func begin(readOnly: Bool) throws -> Transaction {
        var attempts = 0
        while true {
            var t: OpaquePointer?
            let rc = mdb_txn_begin(env, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &t)
            if rc == MDB_MAP_RESIZED && attempts < 3 {
                // Another process grew the map: adopt its size.
                attempts += 1
                resizeLock.lock()
                mdb_env_set_mapsize(env, 0)
                resizeLock.unlock()
                continue
            }
            try check(rc, readOnly ? "beginning a read transaction" : "beginning a write transaction")
            return Transaction(store: self, txn: t!, readOnly: readOnly)
        }
    }

    private func grow() throws {
        resizeLock.lock()
        defer { resizeLock.unlock() }
        let newSize = mapSize * 2
        try check(mdb_env_set_mapsize(env, newSize), "growing the map to \(newSize) bytes")
    }
}

@inline(__always)
func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws {
    if rc != 0 {
        throw StoreError.lmdb(operation: operation(), code: rc, message: String(cString: mdb_strerror(rc)))
    }
}
