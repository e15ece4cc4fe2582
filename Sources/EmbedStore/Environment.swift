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

    /// Whether this handle can write. A store the process may not write (a
    /// read-only mount, another owner's files) opens read-only, so reads and
    /// `serve` work there; a write then fails with `StoreError.readOnly`.
    public let isReadOnly: Bool

    /// The largest size `data.mdb` has been seen at. LMDB never shrinks the
    /// file, so a smaller size later means something outside truncated it.
    private var largestFileSize = 0
    private let fileSizeLock = AdaptiveLock()

    /// Opens (creating if needed) the store at `path`.
    ///
    /// Rules, checked before LMDB maps the file, because a damaged file would
    /// otherwise crash the process on first touch (SIGBUS) or, when empty,
    /// silently open as a new store with all data gone:
    /// - `data.mdb`, if present, must be a regular file and not empty;
    /// - every page in use must lie inside the file (a truncated copy is
    ///   refused; a tail of never-written free pages is not truncation);
    /// - LMDB's own magic and version checks map to `StoreError.damaged`.
    /// - Parameter mapSize: initial map size in bytes; grows on demand.
    /// - Parameter readOnly: open without write access (`MDB_RDONLY`): the
    ///   store must exist, and every write fails with `StoreError.readOnly`.
    ///   Replicas open published snapshots so, which keeps a snapshot's bytes
    ///   equal to its manifest.
    /// - Parameter readAhead: false opens with `MDB_NORDAHEAD` (the map is
    ///   advised random access): a page fault reads the page it needs, not
    ///   the 128 KiB around it. For a store larger than memory, or to keep a
    ///   server's resident set to the pages its queries touch; it slows
    ///   scans of pages not yet in memory.
    public init(path: String, mapSize: Int = Store.defaultMapSize, readOnly requested: Bool = false, readAhead: Bool = true) throws {
        self.path = path
        var isDir: ObjCBool = false
        if requested && !FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("data.mdb")) {
            throw StoreError.io(path: path, reason: "no data.mdb here: not a store")
        }
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw StoreError.io(path: path, reason: "cannot create store directory: \(error.localizedDescription)")
            }
        } else if !isDir.boolValue {
            throw StoreError.io(path: path, reason: "not a store directory (a store is a directory holding data.mdb)")
        }
        let fileSize = try Store.checkFiles(path)
        // Never shrink an existing store's map below its file size.
        let size = max(mapSize, Store.roundedMapSize(fileSize * 2))
        let base = MDB_NOTLS | (readAhead ? 0 : MDB_NORDAHEAD)
        var (e, rc) = Store.openEnvironment(path, flags: base | (requested ? MDB_RDONLY : 0), mapSize: size)
        var readOnly = requested
        if (rc == EACCES || rc == EROFS) && fileSize > 0 {
            // MDB_NOLOCK only where nobody can write (a read-only file system):
            // with another owner's lock file, readers must still take part in it.
            readOnly = true
            (e, rc) = Store.openEnvironment(path, flags: base | MDB_RDONLY | (rc == EROFS ? MDB_NOLOCK : 0), mapSize: size)
        }
        guard let e else { throw Store.openError(path, rc) }
        // From here every stored property is set before anything can throw,
        // so a failed init runs `deinit`, which closes the environment; the
        // error paths below must not close it themselves.
        env = e
        isReadOnly = readOnly
        maxKeySize = Int(mdb_env_get_maxkeysize(env))
        try checkLastPage(fileSize: fileSize)
        largestFileSize = fileSize
        if !readOnly { clearDeadReaders() }
        let open = { (txn: Transaction) in
            try Database.allCases.map { db in
                var dbi = MDB_dbi()
                let rc = mdb_dbi_open(txn.txn, db.name, readOnly ? 0 : UInt32(MDB_CREATE), &dbi)
                if rc == MDB_NOTFOUND { throw StoreError.damaged(path: path, reason: "database '\(db.name)' is missing: not a recsys store") }
                try check(rc, "opening database \(db.name)")
                return dbi
            }
        }
        if readOnly {
            // handles opened in a transaction outlive it only if it commits
            // (an aborted one closes them), read-only or not
            let txn = try begin(readOnly: true)
            do { dbis = try open(txn) } catch { txn.end(); throw error }
            txn.ended = true
            try check(mdb_txn_commit(txn.txn), "opening databases")
        } else {
            dbis = try write(open)
        }
    }

    /// An open environment, or nil and LMDB's code. A failed `mdb_env_open`
    /// leaves a handle that may only be closed, so each attempt starts afresh.
    private static func openEnvironment(_ path: String, flags: Int32, mapSize: Int) -> (OpaquePointer?, Int32) {
        var e: OpaquePointer?
        var rc = mdb_env_create(&e)
        guard rc == 0, let env = e else { return (nil, rc) }
        mdb_env_set_maxdbs(env, MDB_dbi(Database.allCases.count + 2))
        mdb_env_set_maxreaders(env, 512)
        mdb_env_set_mapsize(env, mapSize)
        mdb_env_set_assert(env, lmdbAssertion)
        rc = mdb_env_open(env, path, UInt32(flags), 0o644)
        if rc != 0 { mdb_env_close(env); return (nil, rc) }
        return (env, 0)
    }

    /// The size of `data.mdb` (0 when there is none yet), after checking that
    /// it is a file and not emptied.
    private static func checkFiles(_ path: String) throws -> Int {
        var isDir: ObjCBool = false
        for name in ["data.mdb", "lock.mdb"] where FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isDir) && isDir.boolValue {
            throw StoreError.damaged(path: path, reason: "\(name) is a directory, not a file")
        }
        guard FileManager.default.fileExists(atPath: path + "/data.mdb") else { return 0 }
        let size = (try? FileManager.default.attributesOfItem(atPath: path + "/data.mdb")[.size] as? Int) ?? 0
        if size == 0 {
            throw StoreError.damaged(path: path, reason: "data.mdb is empty (0 bytes): the store's data is gone (if this store never held anything, delete the directory)")
        }
        return size
    }

    /// Refuses a data file shorter than the last page its meta page names,
    /// unless every missing page is free (see `DataFileTail`).
    private func checkLastPage(fileSize: Int) throws {
        guard fileSize > 0 else { return }
        var info = MDB_envinfo(), stat = MDB_stat()
        mdb_env_info(env, &info)
        mdb_env_stat(env, &stat)
        // A meta page naming a last page no map could hold is corruption, not truncation.
        let pages = Int(stat.ms_psize) > 0 ? Int.max / Int(stat.ms_psize) - 1 : 0
        guard info.me_last_pgno >= 0, info.me_last_pgno < pages else {
            throw StoreError.damaged(path: path, reason: "data.mdb's meta page names last page \(UInt(bitPattern: info.me_last_pgno)), which no file can hold (corrupted meta page)")
        }
        do {
            try DataFileTail.check(path: path + "/data.mdb", fileSize: fileSize, pageSize: Int(stat.ms_psize),
                                   lastPage: info.me_last_pgno, txnid: info.me_last_txnid)
        } catch DataFileTail.Failure.truncated(let why) {
            let needed = (info.me_last_pgno + 1) * Int(stat.ms_psize)
            throw StoreError.damaged(path: path, reason: "data.mdb is truncated: \(fileSize) bytes, but its last committed page ends at byte \(needed) (\(why))")
        }
    }

    /// Throws `damaged` when `data.mdb` has shrunk since it was last seen: a
    /// read of a page past the new end would kill the process with SIGBUS.
    /// One `fstat`; a long-running reader (the service) calls it per request.
    public func requireDataFileIntact() throws {
        var fd: Int32 = -1
        guard mdb_env_get_fd(env, &fd) == 0, fd >= 0 else { return }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return }
        let size = Int(st.st_size)
        fileSizeLock.lock()
        let largest = max(largestFileSize, size)
        largestFileSize = largest
        fileSizeLock.unlock()
        if size < largest {
            throw StoreError.damaged(path: path, reason: "data.mdb shrank from \(largest) to \(size) bytes while open (truncated from outside; LMDB never shrinks it)")
        }
    }

    private static func openError(_ path: String, _ rc: Int32) -> StoreError {
        switch rc {
        case MDB_INVALID: return .damaged(path: path, reason: "data.mdb is not an LMDB file (bad magic or meta pages)")
        case MDB_VERSION_MISMATCH: return .damaged(path: path, reason: "data.mdb was written by an incompatible LMDB version")
        case EACCES: return .io(path: path, reason: "permission denied opening the store: readers need read access to data.mdb and write access to lock.mdb (LMDB's reader table; not needed on a read-only file system). Grant that, or serve a copy")
        default: return .lmdb(operation: "opening store at \(path)", code: rc, message: String(cString: mdb_strerror(rc)))
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
                if rc != 0, let full = DiskSpace.diagnose(code: rc, path: path) { throw full }
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
            if !readOnly && isReadOnly { throw StoreError.readOnly(path: path) }
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

/// LMDB's last word on a page it cannot trust (an assertion inside
/// liblmdb, which would `abort()` right after this returns): the process
/// says the store is damaged and where, and exits with status 1 instead of
/// dying by a signal. Nothing can continue safely at that point (LMDB's
/// cursor state is undefined), so it does not return. Paths that may meet
/// damage walk the B-trees first (`requireSoundStructure`) and report it as
/// an error; this is the net under the others.
private let lmdbAssertion: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Void = { env, message in
    var p: UnsafePointer<CChar>?
    if let env { mdb_env_get_path(env, &p) }
    let path = p.map { String(cString: $0) } ?? "(unknown)"
    let text = "error: the store at \(path) is damaged: LMDB met a page it cannot trust (\(message.map { String(cString: $0) } ?? "no detail")); "
        + "nothing more was read. `recsys store verify` reports the damage; restore from a snapshot or a copy made with `mdb_copy`\n"
    text.withCString { _ = write(2, $0, strlen($0)) }
    _exit(1)
}
