/// `column=value` over the items table: `genre=Comedy` matches one of the
/// `|`-separated genres, `id=X` the item's id, any other imported column its
/// value exactly.
public struct ItemFilter: Sendable, Hashable {
    public let column: String
    public let value: String

    public init(column: String, value: String) {
        self.column = column
        self.value = value
    }

    /// Parses `COL=VAL`.
    public init(parsing text: String) throws {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw StoreError.invalidArgument("a filter is COLUMN=VALUE, got '\(text)'")
        }
        column = String(text[..<eq])
        value = String(text[text.index(after: eq)...])
    }
}

extension Transaction {
    /// Calls `body` with the row of every id in `table` whose item matches
    /// every filter. Throws when the items table is empty or lacks a column a
    /// filter names (a typo would otherwise match nothing, silently).
    public func forEachRow(of table: VectorTable, matching filters: [ItemFilter], _ body: (Int) -> Void) throws {
        let columns = try requireFilterColumns(filters)
        try table.forEachID { row, rawID in
            let id = String(decoding: rawID, as: UTF8.self)
            if let item = try self.item(id, columns: columns), filters.allSatisfy({ item.matches(column: $0.column, value: $0.value) }) {
                body(row)
            }
        }
    }

    /// The items table's columns; throws when it is empty or lacks a column a
    /// filter names (a typo would otherwise match nothing, silently).
    @discardableResult
    public func requireFilterColumns(_ filters: [ItemFilter]) throws -> [String] {
        let columns = try itemColumns()
        if columns.isEmpty { throw StoreError.invalidArgument("filtering by item column ('where') needs item metadata, and the store has none", remedy: Remedy(commandLine: "run `recsys items import FILE` first")) }
        for f in filters where !columns.contains(f.column) && !(f.column == "genre" && columns.contains("genres")) && f.column != "id" {
            throw StoreError.invalidArgument("where: the items table has no column '\(f.column)' (columns: \(columns.joined(separator: ", ")))")
        }
        return columns
    }
}
