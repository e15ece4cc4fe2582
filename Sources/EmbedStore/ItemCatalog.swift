import Foundation

/// Item metadata (title, genres, any column of an imported CSV), kept as strings.
public struct Item: Sendable, Equatable {
    /// The item id (first column).
    public let id: String
    /// Column name -> value, every column but the id.
    public let fields: [String: String]
    /// The `genres` column split on `|`.
    public let genres: [String]

    public init(id: String, fields: [String: String]) {
        self.id = id
        self.fields = fields
        genres = fields["genres"].map { $0.split(separator: "|").map(String.init) } ?? []
    }

    /// The `title` column, if any.
    public var title: String? { fields["title"] }

    /// True when column `column` equals `value`, or one of its `|`-separated
    /// parts does. `genre` is accepted for `genres`.
    public func matches(column: String, value: String) -> Bool {
        let name = column == "genre" && fields["genre"] == nil ? "genres" : column
        if name == "id" { return id == value }
        guard let v = fields[name] else { return false }
        return v == value || v.split(separator: "|").contains { $0 == value }
    }
}

extension Transaction {
    private static let columnsKey: [UInt8] = [0]

    /// The column names of the items table (the id column first); empty when no items were imported.
    public func itemColumns() throws -> [String] {
        guard let v = try get(.items, Transaction.columnsKey) else { return [] }
        return String(decoding: v, as: UTF8.self).split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
    }

    /// The item `id`, or nil.
    public func item(_ id: String) throws -> Item? {
        try item(id, columns: try itemColumns())
    }

    /// The item `id` given the columns (from `itemColumns()`), or nil.
    public func item(_ id: String, columns: [String]) throws -> Item? {
        guard !id.isEmpty, id.utf8.count <= store.maxKeySize, let v = try get(.items, Array(id.utf8)) else { return nil }
        return decodeItem(id: id, v, columns: columns)
    }

    func decodeItem(id: String, _ v: UnsafeRawBufferPointer, columns: [String]) -> Item {
        let values = String(decoding: v, as: UTF8.self).split(separator: "\u{1F}", omittingEmptySubsequences: false)
        var fields: [String: String] = [:]
        for (name, value) in zip(columns.dropFirst(), values) { fields[name] = String(value) }
        return Item(id: id, fields: fields)
    }

    /// Every item, in id byte order.
    public func items() throws -> [Item] {
        let columns = try itemColumns()
        var out: [Item] = []
        try scan(.items, prefix: []) { k, v in
            if k.count == 1 && k[0] == 0 { return true }
            out.append(decodeItem(id: String(decoding: k, as: UTF8.self), v, columns: columns))
            return true
        }
        return out
    }

    static let itemsStampKey = "items-stamp"

    /// Random bytes written by each items import, so a reader can keep what it
    /// derived from the catalogue across commits that did not touch it; nil
    /// for catalogues imported before stamps existed (or none).
    public func itemsStamp() throws -> [UInt8]? {
        try blob(.meta, Transaction.itemsStampKey).map { Array($0) }
    }

    /// Number of items.
    public func itemCount() throws -> Int {
        var n = 0
        try scan(.items, prefix: []) { k, _ in
            if !(k.count == 1 && k[0] == 0) { n += 1 }
            return true
        }
        return n
    }
}

extension Store {
    /// Replaces the items table with the rows of a CSV file with a header
    /// (first column: id; e.g. `movieId,title,genres`; RFC 4180 quoting,
    /// line breaks inside quoted fields included). All or nothing.
    @discardableResult
    public func importItems(from path: String) throws -> Int {
        try write { txn in
            try txn.requireSoundStructure()
            let records = try CSVRecordReader(path: path)
            guard let columns = try records.next() else { throw StoreError.badInput(file: path, location: "", reason: "empty file") }
            guard columns.count >= 1, !columns[0].isEmpty else {
                throw StoreError.badInput(file: path, location: "1", reason: "expected a header line naming the columns, id first (e.g. movieId,title,genres)")
            }
            if let dup = Dictionary(grouping: columns, by: { $0 }).first(where: { $0.value.count > 1 }) {
                throw StoreError.badInput(file: path, location: "1", reason: "column '\(dup.key)' appears twice in the header")
            }
            try txn.deletePrefix(.items, [])
            try txn.put(.items, [0], Array(columns.joined(separator: "\u{1F}").utf8))
            var n = 0
            while let fields = try records.next() {
                func bad(_ reason: String) -> StoreError { .badInput(file: path, location: "\(records.line)", reason: reason) }
                guard fields.count == columns.count else { throw bad("\(fields.count) fields, the header has \(columns.count)") }
                var id = Array(fields[0].utf8)
                if id.isEmpty { throw bad("empty id") }
                if id.count > maxKeySize { throw bad("id is \(id.count) bytes, over LMDB's key limit of \(maxKeySize)") }
                if id == [0] { id = [0, 0] }
                let value = Array(fields.dropFirst().joined(separator: "\u{1F}").utf8)
                if fields.contains(where: { $0.contains("\u{1F}") }) { throw bad("a field contains the control character U+001F") }
                guard try txn.put(.items, id, value, noOverwrite: true) else { throw bad("duplicate id '\(fields[0])'") }
                n += 1
            }
            if n == 0 { throw StoreError.badInput(file: path, location: "", reason: "no items after the header") }
            var stamp = SystemRandomNumberGenerator()
            let bytes = (0..<2).flatMap { _ in withUnsafeBytes(of: stamp.next() as UInt64) { Array($0) } }
            try bytes.withUnsafeBytes { try txn.putBlob(.meta, Transaction.itemsStampKey, $0) }
            return n
        }
    }
}
