#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A process's view of the store file's memory map: how much of it is
/// resident, and dropping the page mappings so that only what is read again
/// comes back. Linux only (`/proc/self/smaps`).
extension Store {
    /// Bytes of the data file this process has mapped in (its share of the
    /// process's RSS): the pages it has read, and the neighbours the kernel
    /// maps around each read fault (up to 16 pages).
    ///
    /// In a long-running reader the count only grows: commits write data to
    /// pages the reader has not touched, and each page it then reads maps its
    /// neighbours too, so over many imports the count tends to the file's
    /// size. ``releaseMappedPages()`` brings it back to what is read after it.
    public var mappedResidentBytes: Int {
        dataFileMappings().reduce(0) { $0 + $1.residentBytes }
    }

    /// Drops this process's page mappings of the data file
    /// (`madvise(MADV_DONTNEED)` on the read-only shared map). The pages stay
    /// in the kernel's page cache and nothing is lost: the next read of a page
    /// maps it again with a minor fault and no I/O. Safe while read
    /// transactions are open; pointers into the map stay valid.
    ///
    /// Costs one walk of `/proc/self/smaps` and then a minor fault per 64 KiB
    /// that requests read again, so call it after commits have moved the data,
    /// not per request.
    /// - Returns: the bytes that were resident before.
    @discardableResult
    public func releaseMappedPages() -> Int {
        var released = 0
        for m in dataFileMappings() where m.residentBytes > 0 {
            if madvise(UnsafeMutableRawPointer(bitPattern: m.start), Int(m.end - m.start), MADV_DONTNEED) == 0 {
                released += m.residentBytes
            }
        }
        return released
    }

    private struct Mapping { var start: UInt, end: UInt, residentBytes: Int }

    /// The process's mappings of this store's data.mdb, matched by inode.
    private func dataFileMappings() -> [Mapping] {
        var st = stat()
        // ByteReader reads to the end; Foundation's String(contentsOfFile:)
        // trusts /proc's reported size of 0 and returns only the first chunk
        guard stat(path + "/data.mdb", &st) == 0,
              let smaps = try? ByteReader(path: "/proc/self/smaps", bufferSize: 1 << 16) else { return [] }
        var out: [Mapping] = []
        var inCurrent = false
        while let bytes = try? smaps.nextLine() {
            let line = String(decoding: bytes, as: UTF8.self)
            let fields = line.split(separator: " ", maxSplits: 5)
            guard let first = fields.first else { continue }
            if first.hasSuffix(":") {  // "Rss:   1234 kB": an attribute of the mapping above
                if inCurrent, first == "Rss:", fields.count > 1, let kb = Int(fields[1]) { out[out.count - 1].residentBytes = kb * 1024 }
                continue
            }
            // a mapping's header: "start-end perms offset dev inode [path]"
            let range = first.split(separator: "-")
            inCurrent = fields.count == 6 && UInt(fields[4]) == UInt(st.st_ino) && fields[5].hasSuffix("/data.mdb")
            if inCurrent, range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16) {
                out.append(Mapping(start: start, end: end, residentBytes: 0))
            } else {
                inCurrent = false
            }
        }
        return out
    }
}
