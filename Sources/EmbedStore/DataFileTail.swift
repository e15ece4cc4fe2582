import Foundation

/// Decides whether a `data.mdb` shorter than its last page is truncated or
/// merely ends in pages LMDB never wrote.
///
/// Rules:
/// - LMDB maps the whole file and reads a page by touching it; a page past the
///   end of the file raises SIGBUS, which no error path can catch. So the
///   check runs before anything is read through the map, with `pread` only.
/// - The file may legitimately end before the meta page's last page: a page
///   allocated and freed in the same transaction is recorded in the free list
///   without ever being written. Such pages are never read (LMDB writes a free
///   page before using it again), so a missing tail is harmless exactly when
///   every missing page is in the free list.
/// - The free list is LMDB's database 0: a B-tree keyed by transaction id
///   whose values are page-number lists (count, then page numbers), large ones
///   on overflow pages. Its pages are read here with the on-disk layout of
///   LMDB 0.9 (64-bit): a 16-byte page header, node offsets after it, nodes of
///   (lo, hi, flags, key size) as four `UInt16`s followed by key then data.
///
/// Caveat: this reads only what truncation can hide; byte corruption inside
/// the pages is not detected here.
struct DataFileTail {
    let fd: Int32
    let pageSize: Int
    let filePages: Int

    enum Failure: Error { case truncated(String) }

    /// Throws `Failure.truncated` unless every page in `filePages...lastPage`
    /// is free in the meta page whose transaction id is `txnid`.
    static func check(path: String, fileSize: Int, pageSize: Int, lastPage: Int, txnid: Int) throws {
        let filePages = fileSize / pageSize
        guard filePages <= lastPage else { return }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure.truncated("data.mdb cannot be read to check its length") }
        defer { close(fd) }
        let tail = DataFileTail(fd: fd, pageSize: pageSize, filePages: filePages)
        let meta = try tail.meta(txnid: txnid)
        let missing = filePages...lastPage
        if meta.mainRoot != invalidPage, missing.contains(meta.mainRoot) {
            throw Failure.truncated("the root page of its main database lies past the end")
        }
        // Only free pages inside the missing range are kept, so memory stays
        // proportional to the free tail, not to the file.
        var free = Set<Int>()
        if meta.freeRoot != invalidPage {
            try tail.collectFreePages(under: meta.freeRoot, depth: 0, in: missing, into: &free)
        }
        if free.count < missing.count {
            let first = missing.first { !free.contains($0) } ?? missing.lowerBound
            throw Failure.truncated("page \(first) and \(missing.count - free.count - 1) more in use lie past the end")
        }
    }

    private static let invalidPage = Int(bitPattern: UInt(UInt64.max))
    private static let headerSize = 16

    /// Reads `count` whole pages starting at `page`, all inside the file.
    private func read(page: Int, count: Int = 1) throws -> [UInt8] {
        guard page >= 0, count >= 1, page + count <= filePages else {
            throw Failure.truncated("page \(page) lies past the end")
        }
        var bytes = [UInt8](repeating: 0, count: count * pageSize)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(page * pageSize)) }
        guard n == bytes.count else { throw Failure.truncated("page \(page) cannot be read") }
        return bytes
    }

    private func meta(txnid: Int) throws -> (freeRoot: Int, mainRoot: Int) {
        for page in 0...1 {
            let b = try read(page: page)
            // MDB_meta after the page header: magic, version, address, map size,
            // two MDB_db records of 48 bytes (root last), last page, txnid.
            if Self.u64(b, 16 + 128) == UInt64(txnid) {
                return (Int(truncatingIfNeeded: Self.u64(b, 16 + 24 + 40)), Int(truncatingIfNeeded: Self.u64(b, 16 + 72 + 40)))
            }
        }
        throw Failure.truncated("neither meta page holds the current transaction")
    }

    private func collectFreePages(under page: Int, depth: Int, in missing: ClosedRange<Int>, into free: inout Set<Int>) throws {
        guard depth < 64 else { throw Failure.truncated("the free list is not a tree") }
        let b = try read(page: page)
        let flags = Self.u16(b, 10), lower = Int(Self.u16(b, 12))
        let keys = (lower - Self.headerSize) / 2
        guard keys >= 0, lower <= pageSize else { throw Failure.truncated("free-list page \(page) is damaged") }
        for i in 0..<keys {
            let node = Int(Self.u16(b, Self.headerSize + 2 * i))
            guard node + 8 <= pageSize else { throw Failure.truncated("free-list page \(page) is damaged") }
            let lo = Int(Self.u16(b, node)), hi = Int(Self.u16(b, node + 2))
            let nodeFlags = Int(Self.u16(b, node + 4)), keySize = Int(Self.u16(b, node + 6))
            let data = node + 8 + keySize
            if flags & 0x01 != 0 {  // P_BRANCH: the child's page number
                try collectFreePages(under: lo | hi << 16 | nodeFlags << 32, depth: depth + 1, in: missing, into: &free)
                continue
            }
            guard flags & 0x02 != 0 else { throw Failure.truncated("free-list page \(page) is damaged") }
            let size = lo | hi << 16
            if nodeFlags & 0x01 != 0 {  // F_BIGDATA: the list is on overflow pages
                guard data + 8 <= pageSize else { throw Failure.truncated("free-list page \(page) is damaged") }
                let first = Int(truncatingIfNeeded: Self.u64(b, data))
                let pages = (Self.headerSize + size + pageSize - 1) / pageSize
                let overflow = try read(page: first, count: pages)
                collect(list: overflow, at: Self.headerSize, size: size, in: missing, into: &free)
            } else {
                guard data + size <= pageSize else { throw Failure.truncated("free-list page \(page) is damaged") }
                collect(list: b, at: data, size: size, in: missing, into: &free)
            }
        }
    }

    /// Adds the pages of one stored list (count, then page numbers) that lie
    /// in `missing`.
    private func collect(list b: [UInt8], at offset: Int, size: Int, in missing: ClosedRange<Int>, into free: inout Set<Int>) {
        guard size >= 8 else { return }
        let count = min(Int(truncatingIfNeeded: Self.u64(b, offset)), size / 8 - 1)
        for i in 0..<max(count, 0) {
            let page = Int(truncatingIfNeeded: Self.u64(b, offset + 8 * (i + 1)))
            if missing.contains(page) { free.insert(page) }
        }
    }

    private static func u16(_ b: [UInt8], _ at: Int) -> UInt16 {
        UInt16(b[at]) | UInt16(b[at + 1]) << 8
    }

    private static func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 | UInt64(b[at + $1]) << (8 * $1) }
    }
}
