import CKernels
import CLMDB
import Foundation

/// What a snapshot holds: written as `manifest.json` beside its `data.mdb`.
public struct SnapshotManifest: Codable, Sendable, Equatable {
    public struct Table: Codable, Sendable, Equatable {
        public var name: String
        public var kind: String
        public var version: UInt32
        /// Single-vector changes applied since the version's import.
        public var generation: UInt64
        public var rows: Int
        public var dimension: Int
    }

    /// `<crc32c of data.mdb>-<its size>`: names the snapshot's content, so
    /// two replicas serving the same id serve the same bytes.
    public var id: String
    /// Whole seconds: the manifest's ISO 8601 text keeps no fraction.
    public var createdAt: Date
    /// The store it was copied from.
    public var source: String
    public var dataBytes: Int
    /// CRC32C of data.mdb, 8 hex digits.
    public var dataChecksum: String
    public var tables: [Table]

    public static let fileName = "manifest.json"

    /// The manifest in snapshot directory `dir`, nil when it has none.
    public static func load(from dir: String) throws -> SnapshotManifest? {
        let path = (dir as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        d.keyDecodingStrategy = .convertFromSnakeCase
        do { return try d.decode(SnapshotManifest.self, from: data) } catch {
            throw StoreError.badInput(file: path, location: "", reason: "not a snapshot manifest (\(error))")
        }
    }
}

extension SnapshotManifest {
    /// Checks that `directory`'s data file is the one this manifest names
    /// (size and CRC32C): an incomplete or altered copy of a snapshot fails.
    public func check(directory: String) throws {
        let data = (directory as NSString).appendingPathComponent("data.mdb")
        let (crc, bytes) = try Store.crc32c(ofFile: data)
        guard bytes == dataBytes, String(format: "%08x", crc) == dataChecksum else {
            throw StoreError.damaged(path: directory, reason: "data.mdb is \(bytes) bytes with CRC32C \(String(format: "%08x", crc)), its manifest names \(dataBytes) bytes with \(dataChecksum): an incomplete or altered copy")
        }
    }
}

extension Store {
    /// Copies the store to the new directory `dir`: one consistent read
    /// snapshot (imports and `serve` may run meanwhile), compacted (free
    /// pages left out, as `mdb_copy -c`), checked (`verify` on the copy),
    /// with a manifest. Rules:
    /// - `dir` must not exist; the copy is made in `dir.partial-PID` beside it
    ///   and renamed into place when complete, so `dir` is never half-written.
    /// - The copy is the store as of the snapshot's start: writes committed
    ///   meanwhile are not in it.
    /// - A copy that fails its checks is removed and the error says why.
    public func snapshot(to dir: String, progress: ((String) -> Void)? = nil) throws -> SnapshotManifest {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: dir) else { throw StoreError.invalidArgument("'\(dir)' exists: a snapshot goes to a new directory") }
        let parent = ((dir as NSString).deletingLastPathComponent as String).isEmpty ? "." : (dir as NSString).deletingLastPathComponent
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: parent, isDirectory: &isDir), isDir.boolValue else { throw StoreError.io(path: parent, reason: "no such directory") }
        try DiskSpace.require(usedBytes, at: parent)
        let partial = "\(dir).partial-\(getpid())"
        try? fm.removeItem(atPath: partial)
        guard mkdir(partial, 0o755) == 0 else { throw StoreError.io(path: partial, reason: String(cString: strerror(errno))) }
        do {
            progress?("copying (compacting) into \(partial)")
            let rc = mdb_env_copy2(env, partial, UInt32(MDB_CP_COMPACT))
            if rc != 0 {
                throw DiskSpace.diagnose(code: rc, path: partial) ?? StoreError.lmdb(operation: "copying the store to \(partial)", code: rc, message: String(cString: mdb_strerror(rc)))
            }
            let data = (partial as NSString).appendingPathComponent("data.mdb")
            progress?("checking the copy")
            let tables = try Self.checkedTables(of: partial)
            try? fm.removeItem(atPath: (partial as NSString).appendingPathComponent("lock.mdb"))
            let (crc, bytes) = try Self.crc32c(ofFile: data)
            let manifest = SnapshotManifest(id: String(format: "%08x-%d", crc, bytes), createdAt: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)), source: path, dataBytes: bytes,
                                            dataChecksum: String(format: "%08x", crc), tables: tables)
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            e.dateEncodingStrategy = .iso8601
            e.keyEncodingStrategy = .convertToSnakeCase  // the key style of every recsys JSON
            let manifestPath = (partial as NSString).appendingPathComponent(SnapshotManifest.fileName)
            do { try e.encode(manifest).write(to: URL(fileURLWithPath: manifestPath)) } catch { throw StoreError.io(path: manifestPath, reason: "\(error)") }
            // on disk before the rename publishes the directory
            try Self.sync(manifestPath)
            try Self.sync(data)
            try Self.sync(partial)
            guard rename(partial, dir) == 0 else { throw StoreError.io(path: dir, reason: "renaming \(partial) into place: \(String(cString: strerror(errno)))") }
            try Self.sync(parent)
            return manifest
        } catch {
            try? fm.removeItem(atPath: partial)
            throw error
        }
    }

    /// Opens the copy at `dir`, verifies it, and lists its tables.
    private static func checkedTables(of dir: String) throws -> [SnapshotManifest.Table] {
        let copy = try Store(path: dir)
        let report = try copy.verify()
        guard report.intact else {
            throw StoreError.damaged(path: dir, reason: "the copy fails its checks (\(report.structureDamage ?? "damaged blocks")); run `recsys store verify` on the source")
        }
        return try copy.read { txn in
            try txn.tables().map { SnapshotManifest.Table(name: $0.name, kind: $0.kind.rawValue, version: $0.version, generation: $0.current.generation,
                                                          rows: $0.count, dimension: $0.dimension) }
        }
    }

    /// fsync(2) of a file or directory.
    private static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw StoreError.io(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw StoreError.io(path: path, reason: "fsync: \(String(cString: strerror(errno)))") }
    }

    /// CRC32C and size of a file, read in 4 MiB pieces.
    static func crc32c(ofFile path: String) throws -> (UInt32, Int) {
        guard let h = FileHandle(forReadingAtPath: path) else { throw StoreError.io(path: path, reason: "cannot be read") }
        defer { try? h.close() }
        var crc: UInt32 = 0, total = 0
        while true {
            let chunk = try h.read(upToCount: 4 << 20) ?? Data()
            if chunk.isEmpty { return (crc, total) }
            crc = chunk.withUnsafeBytes { recsys_crc32c(crc, $0.baseAddress, $0.count) }
            total += chunk.count
        }
    }
}
