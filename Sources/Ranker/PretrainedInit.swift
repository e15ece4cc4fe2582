import EmbedStore

/// How a column's embedding table started from a stored pretrained table.
public struct PretrainedInit: Sendable, Equatable {
    /// The categorical column (its table is the one initialised).
    public var column: String
    /// The store's table the rows were copied from.
    public var source: String
    /// Rows of the column's table whose value the source table holds.
    public var found = 0
    /// Rows of the column's table.
    public var rows = 0
}

extension EmbeddingMLP {
    /// Copies into the embedding table of `column` the vectors of `source`
    /// for the values its rows stand for: an identity column's row i is id
    /// "i", a vocabulary column's row i is its i-th value.
    ///
    /// Rules:
    /// - The source's dimension must equal the column's.
    /// - A row whose value the source lacks keeps its random start.
    /// - A hashed column is refused: its rows are buckets, not ids.
    /// - A table shared by several columns is initialised once for all.
    public func initialize(column: String, from source: VectorTable) throws -> PretrainedInit {
        guard let c = spec.categorical.firstIndex(where: { $0.name == column }) else {
            throw RankerError.badOption("--init: no categorical column '\(column)' in the spec (columns: \(spec.categorical.map(\.name).joined(separator: ", ")))")
        }
        let feature = spec.categorical[c]
        guard feature.hashBuckets == nil else {
            throw RankerError.badOption("--init: column '\(column)' is hashed into buckets, so its rows are not ids a table could name")
        }
        guard source.dimension == feature.dimension else {
            throw RankerError.badOption("--init: table '\(source.name)' has dimension \(source.dimension), column '\(column)' embeds in \(feature.dimension)")
        }
        let k = columnTable[c], d = feature.dimension
        var report = PretrainedInit(column: column, source: source.name, rows: feature.rows)
        for row in 0..<feature.rows {
            let id = feature.vocabulary?[row] ?? String(row)
            guard let r = try source.row(of: id) else { continue }
            let v = try source.vector(ofRow: r)
            tables[k].withUnsafeMutableBufferPointer { t in t.baseAddress!.advanced(by: row * d).update(from: v.baseAddress!, count: d) }
            report.found += 1
        }
        return report
    }

    /// Keeps the embedding table of `column` as it is through training.
    public func freeze(column: String) throws {
        guard let c = spec.categorical.firstIndex(where: { $0.name == column }) else {
            throw RankerError.badOption("--freeze: no categorical column '\(column)' in the spec")
        }
        frozenTables[columnTable[c]] = true
    }
}
