import CLMDB
import Foundation

/// Checks the structure of LMDB's B-trees before a bulk write touches them.
///
/// LMDB 0.9 keeps no page checksums and trusts every page it reads: a node
/// size or offset damaged on disk can send its page split (`mdb_put`) or a
/// lookup outside the page, which faults the process. This walk reads every
/// branch and leaf page of every database (overflow pages by header only)
/// and checks what LMDB would trust: page numbers inside the file and the
/// last committed page, each page's own number in its header, page kinds,
/// the node offset table, every node, key and inline value inside its page,
/// overflow runs inside the file, no page reached twice.
///
/// Rules:
/// - The walk maps the file itself and reads a page only after checking its
///   number against the file's size, so it cannot fault.
/// - It runs inside a write transaction (nothing else can commit, so the
///   pages are those of the current meta), or in a read transaction whose
///   meta page is still on disk; otherwise it reports that it could not run.
/// - Layout is LMDB 0.9's on 64-bit hosts: 16-byte page header (number,
///   pad, flags, lower, upper), 2-byte node offsets, 8-byte node headers
///   (lo, hi, flags, key size); branch children and overflow page numbers
///   are 48-bit; a sub-database record is 48 bytes, its root at byte 40.
///
/// Cost: one pass over the B-tree pages, not the overflow pages that hold
/// vector blocks: about 45 ms on a 1M x 64 store (a 325 MB file), a few
/// percent of re-importing its vectors.
struct BTreeCheck {
    private let base: UnsafeRawPointer
    private let pageSize: Int
    /// Pages that may be read: inside the file and at most the last committed page.
    private let pages: Int
    /// The last committed page: free pages may lie past the file's end, not past this.
    private let lastPage: Int
    private var seen: [UInt64]

    struct Damage: Error { let reason: String }

    /// What a walk counted, to compare with the database record LMDB keeps
    /// (`MDB_db`: depth, branch, leaf and overflow pages, entries).
    struct Counts: Equatable {
        var depth = 0, branch = 0, leaf = 0, overflow = 0, entries = 0
    }

    private static let invalidPage = Int(bitPattern: UInt(UInt64.max))
    private static let header = 16

    /// Walks every tree of the committed state whose transaction id is
    /// `txnid`. With `skipIfGone`, a meta page already overwritten by later
    /// commits (a read snapshot two commits old) skips the walk instead of
    /// reporting damage.
    static func run(_ store: Store, txnid: Int, skipIfGone: Bool = false) throws {
        var info = MDB_envinfo(), stat = MDB_stat()
        mdb_env_info(store.env, &info)
        mdb_env_stat(store.env, &stat)
        var fd: Int32 = -1
        var st = Foundation.stat()
        guard mdb_env_get_fd(store.env, &fd) == 0, fstat(fd, &st) == 0, st.st_size > 0 else { return }
        // A map of our own (LMDB does not expose its map's address), as long
        // as the file: every page read is checked to lie inside it first.
        let length = Int(st.st_size)
        guard let base = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), base != MAP_FAILED else {
            throw StoreError.io(path: store.path + "/data.mdb", reason: "cannot map for checking: \(String(cString: strerror(errno)))")
        }
        defer { munmap(base, length) }
        let pageSize = Int(stat.ms_psize)
        let filePages = length / pageSize
        var check = BTreeCheck(base: UnsafeRawPointer(base), pageSize: pageSize, pages: min(filePages, info.me_last_pgno + 1),
                               lastPage: info.me_last_pgno, seen: [UInt64](repeating: 0, count: filePages / 64 + 1))
        do {
            guard let meta = check.meta(txnid: txnid) else {
                if skipIfGone { return }
                throw Damage(reason: "neither meta page holds transaction \(txnid)")
            }
            try check.walkDatabase(record: meta.free, database: "free list", flags: 0x08)  // MDB_INTEGERKEY
            try check.walkDatabase(record: meta.main, database: "main", flags: 0)
        } catch let d as Damage {
            throw StoreError.damaged(path: store.path, reason: "LMDB's structure is damaged: \(d.reason)")
        }
    }

    private func page(_ n: Int) -> UnsafeRawPointer { base + n * pageSize }
    private func u16(_ p: UnsafeRawPointer, _ at: Int) -> Int { Int(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt16.self))) }
    private func u64(_ p: UnsafeRawPointer, _ at: Int) -> Int { Int(truncatingIfNeeded: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt64.self))) }

    /// The database records of the free list and the main database in the meta page of `txnid`.
    private func meta(txnid: Int) -> (free: UnsafeRawPointer, main: UnsafeRawPointer)? {
        for n in 0...1 where n < pages {
            let p = page(n)
            if u64(p, Self.header + 128) == txnid { return (p + Self.header + 24, p + Self.header + 72) }
        }
        return nil
    }

    /// Walks the tree of one database record and checks the record against
    /// it: recsys opens every database with `flags`, and LMDB keeps the page
    /// and entry counts exact, so any difference is damage (a wrong depth
    /// would overrun LMDB's fixed cursor stack).
    private mutating func walkDatabase(record r: UnsafeRawPointer, database: String, flags: Int) throws {
        let storedFlags = u16(r, 4)
        guard storedFlags == flags else { throw Damage(reason: "database '\(database)' has flags \(storedFlags), expected \(flags)") }
        let stored = Counts(depth: u16(r, 6), branch: u64(r, 8), leaf: u64(r, 16), overflow: u64(r, 24), entries: u64(r, 32))
        var counts = Counts()
        try walk(u64(r, 40), database: database, depth: 0, counts: &counts)
        guard counts == stored else {
            throw Damage(reason: "database '\(database)' records \(stored) but holds \(counts)")
        }
    }

    private mutating func visit(_ n: Int, _ database: String) throws {
        guard n >= 2, n < pages else { throw Damage(reason: "database '\(database)' points to page \(n), outside pages 2..<\(pages)") }
        let bit = UInt64(1) << UInt64(n % 64)
        guard seen[n / 64] & bit == 0 else { throw Damage(reason: "page \(n) of database '\(database)' is reached twice") }
        seen[n / 64] |= bit
        guard u64(page(n), 0) == n else { throw Damage(reason: "page \(n) of database '\(database)' says it is page \(u64(page(n), 0))") }
    }

    private mutating func walk(_ root: Int, database: String, depth: Int, counts: inout Counts) throws {
        if root == Self.invalidPage { return }  // an empty database
        counts.depth = max(counts.depth, depth + 1)
        guard depth < 32 else { throw Damage(reason: "database '\(database)' is deeper than any B-tree LMDB builds") }
        try visit(root, database)
        let p = page(root)
        let flags = u16(p, 10), lower = u16(p, 12), upper = u16(p, 14)
        func bad(_ what: String) -> Damage { Damage(reason: "page \(root) of database '\(database)': \(what)") }
        let branch = flags & 0x01 != 0, leaf = flags & 0x02 != 0
        guard branch != leaf, flags & 0x2C == 0 else { throw bad("flags \(flags) are not a branch or leaf page's") }
        guard lower >= Self.header, lower <= upper, upper <= pageSize, (lower - Self.header) % 2 == 0 else {
            throw bad("free-space bounds \(lower)..\(upper) are impossible")
        }
        let keys = (lower - Self.header) / 2
        if branch && keys == 0 { throw bad("a branch page with no children") }
        if branch { counts.branch += 1 } else { counts.leaf += 1; counts.entries += keys }
        for i in 0..<keys {
            let node = u16(p, Self.header + 2 * i)
            guard node >= upper, node + 8 <= pageSize else { throw bad("node \(i) lies at \(node), outside \(upper)..<\(pageSize)") }
            let lo = u16(p, node), hi = u16(p, node + 2), nodeFlags = u16(p, node + 4), keySize = u16(p, node + 6)
            let data = node + 8 + keySize
            guard data <= pageSize else { throw bad("node \(i)'s key runs past the page") }
            if branch {
                try walk(lo | hi << 16 | nodeFlags << 32, database: database, depth: depth + 1, counts: &counts)
                continue
            }
            let size = lo | hi << 16
            if nodeFlags & 0x01 != 0 {  // F_BIGDATA: the value is on overflow pages
                guard data + 8 <= pageSize else { throw bad("node \(i)'s overflow page number runs past the page") }
                let first = u64(p, data)
                try visit(first, database)
                let needed = (Self.header + size + pageSize - 1) / pageSize
                let o = page(first)
                // A value rewritten in place may keep a longer run than it needs.
                let run = Int(UInt32(littleEndian: o.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
                counts.overflow += run
                guard u16(o, 10) & 0x04 != 0, run >= needed, first + run <= pages else {
                    throw bad("node \(i)'s value of \(size) bytes does not fit its overflow pages at \(first)")
                }
                if database == "free list" { try checkFreePages(o + Self.header, size: size, database) }
                continue
            }
            guard data + size <= pageSize else { throw bad("node \(i)'s value of \(size) bytes runs past the page") }
            if database == "free list" { try checkFreePages(p + data, size: size, database) }
            if nodeFlags & 0x02 != 0 {  // F_SUBDATA: a named database's record
                guard size >= 48 else { throw bad("node \(i)'s database record is \(size) bytes") }
                let name = String(decoding: UnsafeRawBufferPointer(start: p + node + 8, count: keySize), as: UTF8.self)
                try walkDatabase(record: p + data, database: name, flags: 0)
            } else if nodeFlags & 0x04 != 0 {
                throw bad("node \(i) holds duplicates, which no recsys database uses")
            }
        }
    }
}

extension BTreeCheck {
    /// A free-list value: a count, then that many page numbers, each one LMDB
    /// may hand out for the next write, so each must be a data page.
    private func checkFreePages(_ list: UnsafeRawPointer, size: Int, _ database: String) throws {
        guard size >= 8 else { throw Damage(reason: "a free-list entry of \(size) bytes") }
        let count = u64(list, 0)
        guard count >= 0, count <= size / 8 - 1 else { throw Damage(reason: "a free-list entry announces \(count) pages in \(size) bytes") }
        for i in 0..<count {
            let n = u64(list, 8 * (i + 1))
            guard n >= 2, n <= lastPage else { throw Damage(reason: "the free list holds page \(n), outside pages 2...\(lastPage)") }
        }
    }
}

extension Transaction {
    /// Throws `damaged` when LMDB's B-trees are not sound (see `BTreeCheck`).
    /// Called at the start of bulk writes, which split many pages.
    public func requireSoundStructure() throws {
        var info = MDB_envinfo()
        mdb_env_info(store.env, &info)
        // A read snapshot's meta page may be overwritten by later commits; a
        // write transaction's is the latest and stays until it commits.
        try BTreeCheck.run(store, txnid: readOnly ? Int(mdb_txn_id(txn)) : info.me_last_txnid, skipIfGone: readOnly)
    }
}
