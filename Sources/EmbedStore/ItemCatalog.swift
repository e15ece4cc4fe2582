import CKernels
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

/// Where the item catalogue lives in the `items` database.
///
/// Rules:
/// - A catalogue version `g` keeps its header (the column names, id column
///   first) under `0x00 g` and each item under `0x00 g id` (g: 4 bytes, big
///   endian); item ids hold no NUL, so these keys cannot be an id of the
///   layout before versions (id -> value, header under `0x00`).
/// - Every value of a versioned catalogue ends in the CRC32C of its key and
///   payload (4 bytes, little endian), checked on every read: a damaged item
///   is an error naming it, never a wrong title.
/// - `meta/items-versions` (a checksummed blob) names the current version and
///   the previous one, which `rollbackItems()` restores; an import keeps
///   exactly those two. Without that record the catalogue is in the layout
///   before versions (read as is, unchecked; the next import migrates it to
///   the previous version).
struct ItemCatalogLayout {
    static let versionsKey = "items-versions"
    struct Versions: Codable, Equatable { var current: UInt32; var previous: UInt32? }

    /// nil: the layout before versions.
    let version: UInt32?

    var header: [UInt8] {
        guard let version else { return [0] }
        var k: [UInt8] = [0]
        withUnsafeBytes(of: version.bigEndian) { k.append(contentsOf: $0) }
        return k
    }

    func key(_ id: [UInt8]) -> [UInt8] {
        guard version != nil else { return id == [0] ? [0, 0] : id }
        return header + id
    }

    /// The payload of a stored value, after checking its checksum.
    func payload(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, store: Store) throws -> UnsafeRawBufferPointer {
        guard version != nil else { return value }
        guard value.count >= 4, Self.crc(key: key, payload: UnsafeRawBufferPointer(rebasing: value[..<(value.count - 4)])) == value.loadUnaligned(fromByteOffset: value.count - 4, as: UInt32.self).littleEndian else {
            let what = key.count > header.count ? "item '\(String(decoding: key[header.count...], as: UTF8.self))'" : "the column header"
            throw StoreError.damaged(path: store.path, reason: "\(what) of item catalogue version \(version!) fails its checksum (run `recsys store verify`; `recsys items rollback` or a re-import replaces it)")
        }
        return UnsafeRawBufferPointer(rebasing: value[..<(value.count - 4)])
    }

    static func crc(key: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) -> UInt32 {
        recsys_crc32c(recsys_crc32c(0, key.baseAddress, key.count), payload.baseAddress, payload.count)
    }

    /// `payload` with its checksum appended, for `key`.
    static func sealed(key: [UInt8], payload: [UInt8]) -> [UInt8] {
        let c = key.withUnsafeBytes { k in payload.withUnsafeBytes { crc(key: k, payload: $0) } }
        var v = payload
        withUnsafeBytes(of: c.littleEndian) { v.append(contentsOf: $0) }
        return v
    }
}

extension Transaction {
    /// The current and previous catalogue versions; nil for a catalogue in
    /// the layout before versions (or none).
    func itemVersions() throws -> ItemCatalogLayout.Versions? {
        guard let raw = try blob(.meta, ItemCatalogLayout.versionsKey) else { return nil }
        do { return try JSONDecoder().decode(ItemCatalogLayout.Versions.self, from: Data(raw)) } catch {
            throw StoreError.damaged(path: store.path, reason: "the item catalogue's version record does not decode")
        }
    }

    func itemLayout() throws -> ItemCatalogLayout { ItemCatalogLayout(version: try itemVersions()?.current) }

    /// The current catalogue version (0: none or before versions) and whether one to roll back to is kept.
    public func itemCatalogVersion() throws -> (version: UInt32, previous: UInt32?) {
        let v = try itemVersions()
        return (v?.current ?? 0, v?.previous)
    }

    /// The column names of the items table (the id column first); empty when no items were imported.
    public func itemColumns() throws -> [String] {
        let layout = try itemLayout()
        let key = layout.header
        guard let v = try get(.items, key) else { return [] }
        let p = try key.withUnsafeBytes { try layout.payload(key: $0, value: v, store: store) }
        return String(decoding: p, as: UTF8.self).split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
    }

    /// The item `id`, or nil.
    public func item(_ id: String) throws -> Item? {
        try item(id, columns: try itemColumns())
    }

    /// The item `id` given the columns (from `itemColumns()`), or nil.
    public func item(_ id: String, columns: [String]) throws -> Item? {
        guard !id.isEmpty, id.utf8.count <= store.maxKeySize - 5 else { return nil }
        let layout = try itemLayout()
        let key = layout.key(Array(id.utf8))
        guard let v = try get(.items, key) else { return nil }
        return try key.withUnsafeBytes { try decodeItem(id: id, layout.payload(key: $0, value: v, store: store), columns: columns) }
    }

    func decodeItem(id: String, _ v: UnsafeRawBufferPointer, columns: [String]) -> Item {
        let values = String(decoding: v, as: UTF8.self).split(separator: "\u{1F}", omittingEmptySubsequences: false)
        var fields: [String: String] = [:]
        for (name, value) in zip(columns.dropFirst(), values) { fields[name] = String(value) }
        return Item(id: id, fields: fields)
    }

    /// Visits every item of catalogue `layout` as (key, id bytes, checked payload), in id byte order.
    func forEachItem(_ layout: ItemCatalogLayout, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) throws {
        let header = layout.header
        try scan(.items, prefix: layout.version == nil ? [] : header) { k, v in
            if layout.version == nil {
                // the layout before versions: skip its header and any versioned key
                if k.first == 0 && k.count != 2 { return true }
                try body(k.count == 2 && k[0] == 0 ? UnsafeRawBufferPointer(rebasing: k[1...]) : k, v)
                return true
            }
            if k.count == header.count { return true }
            try body(UnsafeRawBufferPointer(rebasing: k[header.count...]), try layout.payload(key: k, value: v, store: store))
            return true
        }
    }

    /// Every item, in id byte order.
    public func items() throws -> [Item] {
        let columns = try itemColumns()
        var out: [Item] = []
        try forEachItem(try itemLayout()) { id, v in out.append(decodeItem(id: String(decoding: id, as: UTF8.self), v, columns: columns)) }
        return out
    }

    static let itemsStampKey = "items-stamp"

    /// Random bytes written by each items import, so a reader can keep what it
    /// derived from the catalogue across commits that did not touch it; nil
    /// for catalogues imported before stamps existed (or none).
    public func itemsStamp() throws -> [UInt8]? {
        try blob(.meta, Transaction.itemsStampKey).map { Array($0) }
    }

    func writeItemsStamp() throws {
        var stamp = SystemRandomNumberGenerator()
        let bytes = (0..<2).flatMap { _ in withUnsafeBytes(of: stamp.next() as UInt64) { Array($0) } }
        try bytes.withUnsafeBytes { try putBlob(.meta, Transaction.itemsStampKey, $0) }
    }

    func putItemVersions(_ v: ItemCatalogLayout.Versions) throws {
        let data = try JSONEncoder().encode(v)
        try data.withUnsafeBytes { try putBlob(.meta, ItemCatalogLayout.versionsKey, $0) }
    }

    /// Number of items.
    public func itemCount() throws -> Int {
        var n = 0
        try forEachItem(try itemLayout()) { _, _ in n += 1 }
        return n
    }

    /// Checks every value of the current and previous catalogue versions;
    /// returns how many were checked and a line per damaged one.
    func verifyItems() throws -> (checked: Int, damage: [String]) {
        guard let versions = try itemVersions() else { return (0, []) }
        var checked = 0, damage: [String] = []
        for version in [versions.current] + (versions.previous.map { [$0] } ?? []) {
            let layout = ItemCatalogLayout(version: version)
            if try get(.items, layout.header) == nil { damage.append("header (missing)") }
            try scan(.items, prefix: layout.header) { k, v in
                checked += 1
                do { _ = try layout.payload(key: k, value: v, store: store) } catch StoreError.damaged {
                    damage.append(k.count == layout.header.count ? "header" : String(decoding: k[layout.header.count...], as: UTF8.self))
                }
                return true
            }
        }
        return (checked, damage)
    }

    /// Returns the catalogue to the version before the last import; the
    /// current one is dropped. Throws `notFound` when none is kept.
    @discardableResult
    public func rollbackItems() throws -> (version: UInt32, items: Int) {
        try requireWritable()
        guard let v = try itemVersions(), let previous = v.previous else {
            throw StoreError.notFound("the item catalogue has no previous version to roll back to", remedy: Remedy(commandLine: "`recsys items import FILE` keeps the version it replaces"))
        }
        try deletePrefix(.items, ItemCatalogLayout(version: v.current).header)
        try putItemVersions(.init(current: previous, previous: nil))
        try writeItemsStamp()
        return (previous, try itemCount())
    }
}

/// The names an item CSV's id column goes by, tried in order when the
/// caller names none (case-insensitive).
public let itemIDColumnNames = ["movieId", "itemId", "item_id", "id", "item", "sku", "productId", "product_id"]

extension Store {
    /// Replaces the item catalogue with the rows of a CSV file with a header
    /// (RFC 4180 quoting, line breaks inside quoted fields included), keeping
    /// the version it replaces for `rollbackItems()`. All or nothing.
    ///
    /// The id column is `idColumn`, else the first header name among
    /// `itemIDColumnNames`; a file without one (an embedding file, say) is
    /// refused with nothing changed.
    @discardableResult
    public func importItems(from path: String, idColumn: String? = nil) throws -> Int {
        try write { txn in
            try txn.requireSoundStructure()
            let records = try CSVRecordReader(path: path)
            guard let header = try records.next() else { throw StoreError.badInput(file: path, location: "", reason: "empty file") }
            if let dup = Dictionary(grouping: header, by: { $0 }).first(where: { $0.value.count > 1 }) {
                throw StoreError.badInput(file: path, location: "1", reason: "column '\(dup.key)' appears twice in the header")
            }
            let idIndex: Int
            if let idColumn {
                guard let i = header.firstIndex(of: idColumn) else {
                    throw StoreError.badInput(file: path, location: "1", reason: "no column '\(idColumn)' in the header (it names \(header.prefix(8).map { "'\($0)'" }.joined(separator: ", ")))")
                }
                idIndex = i
            } else if let i = itemIDColumnNames.lazy.compactMap({ name in header.firstIndex { $0.lowercased() == name.lowercased() } }).first {
                idIndex = i
            } else {
                throw StoreError.badInput(file: path, location: "1", reason: "the header names no id column (looked for \(itemIDColumnNames.joined(separator: ", "))): an item file starts with a header such as movieId,title,genres; name another id column with --id-column")
            }
            let columns = [header[idIndex]] + header.indices.filter { $0 != idIndex }.map { header[$0] }
            let old = try txn.itemVersions()
            var current = old?.current ?? 0
            if old == nil, try txn.get(.items, [0]) != nil {
                // the layout before versions becomes version 1, the one to roll back to
                current = 1
                try txn.migrateUnversionedItems(to: ItemCatalogLayout(version: 1))
            }
            if let previous = old?.previous { try txn.deletePrefix(.items, ItemCatalogLayout(version: previous).header) }
            let layout = ItemCatalogLayout(version: current + 1)
            try txn.deletePrefix(.items, layout.header)
            let headerKey = layout.header
            _ = try txn.put(.items, headerKey, ItemCatalogLayout.sealed(key: headerKey, payload: Array(columns.joined(separator: "\u{1F}").utf8)))
            var n = 0
            while let fields = try records.next() {
                func bad(_ reason: String) -> StoreError { .badInput(file: path, location: "\(records.line)", reason: reason) }
                guard fields.count == header.count else { throw bad("\(fields.count) fields, the header has \(header.count)") }
                let id = Array(fields[idIndex].utf8)
                if id.isEmpty { throw bad("empty id") }
                if id.contains(0) { throw bad("the id contains a NUL byte") }
                if id.count > maxKeySize - 5 { throw bad("id is \(id.count) bytes, over the limit of \(maxKeySize - 5) (LMDB's key limit less the catalogue's prefix)") }
                if fields.contains(where: { $0.contains("\u{1F}") }) { throw bad("a field contains the control character U+001F") }
                let key = layout.key(id)
                let value = Array(fields.indices.filter { $0 != idIndex }.map { fields[$0] }.joined(separator: "\u{1F}").utf8)
                guard try txn.put(.items, key, ItemCatalogLayout.sealed(key: key, payload: value), noOverwrite: true) else { throw bad("duplicate id '\(fields[idIndex])'") }
                n += 1
            }
            if n == 0 { throw StoreError.badInput(file: path, location: "", reason: "no items after the header") }
            try txn.putItemVersions(.init(current: current + 1, previous: current > 0 ? current : nil))
            try txn.writeItemsStamp()
            return n
        }
    }
}

extension Transaction {
    /// Rewrites a catalogue in the layout before versions as version `layout`.
    func migrateUnversionedItems(to layout: ItemCatalogLayout) throws {
        let legacy = ItemCatalogLayout(version: nil)
        var moved: [([UInt8], [UInt8])] = []
        if let h = try get(.items, [0]) { moved.append((layout.header, Array(h))) }
        try forEachItem(legacy) { id, v in moved.append((layout.key(Array(id)), Array(v))) }
        try scan(.items, prefix: []) { k, _ in
            if k.first != 0 || k.count == 1 || k.count == 2 { moved.append(([], Array(k))) }
            return true
        }
        for (key, value) in moved where key.isEmpty { _ = try delete(.items, value) }
        for (key, value) in moved where !key.isEmpty { _ = try put(.items, key, ItemCatalogLayout.sealed(key: key, payload: value)) }
    }
}
