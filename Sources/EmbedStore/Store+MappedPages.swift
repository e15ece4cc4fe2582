#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// How much of the store file's memory map this process has resident.
/// Linux only (`/proc/self/smaps`).
///
/// These are clean, file-backed page-cache pages: they count in the process's
/// RSS (as `RssFile`), but the kernel reclaims them under memory pressure like
/// any cached file page and they are shared with every other process reading
/// the store. A service's own memory is its anonymous RSS (`RssAnon`).
extension Store {
    /// Bytes of the data file this process has mapped in (its share of the
    /// process's RSS): the pages it has read, and the neighbours the kernel
    /// maps around each read fault (up to 16 pages).
    ///
    /// In a long-running reader the count tends to the file's size as commits
    /// move the data to pages it has not read yet.
    public var mappedResidentBytes: Int {
        dataFileMappings().reduce(0) { $0 + $1.residentBytes }
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
