import EmbedStore

/// An items file (`movieId,title,genres` as MovieLens ships it): each item's
/// release year (the title's trailing `(YYYY)`) and genres.
public struct ItemCatalogFile: Sendable {
    public struct Entry: Sendable {
        public var releaseYear: Int
        public var genres: [String]
    }

    /// Used when a title carries no year, as SparrowRecSys does.
    public static let defaultReleaseYear = 1990

    public private(set) var entries: [String: Entry] = [:]
    public let path: String

    /// Reads the file; the id column is `idColumn` when the header has it,
    /// else `movieId`, else the first column.
    public init(path: String, idColumn: String = "movieId") throws {
        self.path = path
        let records: CSVRecordReader
        do { records = try CSVRecordReader(path: path) } catch { throw OfflineError.unusable(file: path, reason: "cannot be read (\(error))") }
        guard let header = try records.next() else { throw OfflineError.unusable(file: path, reason: "empty: no header line") }
        let id = header.firstIndex(of: idColumn) ?? header.firstIndex(of: "movieId") ?? 0
        let title = header.firstIndex(of: "title"), genres = header.firstIndex(of: "genres")
        while let f = try records.next() {
            guard f.count == header.count else {
                throw OfflineError.badInput(file: path, line: records.line, reason: "\(f.count) fields, the header has \(header.count)")
            }
            let g = genres.map { f[$0] } ?? ""
            entries[f[id]] = Entry(releaseYear: title.map { Self.releaseYear(f[$0]) } ?? Self.defaultReleaseYear,
                                   genres: g.isEmpty ? [] : g.split(separator: "|").map(String.init))
        }
    }

    /// The year in a title's trailing `(YYYY)`, else the default.
    public static func releaseYear(_ title: String) -> Int {
        let t = Array(title.utf8.reversed().drop { $0 == UInt8(ascii: " ") }.reversed())
        guard t.count >= 6, t[t.count - 1] == UInt8(ascii: ")"), t[t.count - 6] == UInt8(ascii: "(") else { return defaultReleaseYear }
        var year = 0
        for c in t[(t.count - 5)..<(t.count - 1)] {
            guard c >= 48 && c <= 57 else { return defaultReleaseYear }
            year = year * 10 + Int(c - 48)
        }
        return year
    }
}
