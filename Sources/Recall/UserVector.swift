import EmbedStore

/// Where a user's query vector comes from.
public enum UserVectorSource: String, Sendable, CaseIterable {
    /// A stored user embedding (e.g. SparrowRecSys userEmb).
    case embedding
    /// The mean of the item vectors of the user's history.
    case history
}

/// A query vector for a user, and the items to leave out of the results.
public struct UserQuery: Sendable {
    /// The vector to search with.
    public var vector: [Float]
    /// Rows of the item table the user has already seen.
    public var seenRows: Set<Int>
    /// History ids absent from the item table (ignored for the mean).
    public var missingItems: [String]
    /// How the vector was built.
    public var source: String

    public init(vector: [Float], seenRows: Set<Int>, missingItems: [String], source: String) {
        self.vector = vector
        self.seenRows = seenRows
        self.missingItems = missingItems
        self.source = source
    }
}

extension RecallSnapshot {
    /// The mean (not the sum) of the vectors of `items`, as SparrowRecSys builds
    /// userEmb from item2vec. Ids not in the table are skipped and reported.
    /// With `recent`, only the last `recent` distinct items found (the list is
    /// oldest first) enter the mean: a long history's mean drifts towards the
    /// catalogue's centre, while the next interaction follows the latest
    /// ones. Every history item is still excluded from results.
    public func meanVector(of items: [String], recent: Int? = nil) throws -> UserQuery {
        var sum = [Float](repeating: 0, count: table.dimension)
        var seen = Set<Int>()
        var missing: [String] = []
        var averaged = 0
        let limit = recent.map { max(1, $0) } ?? Int.max
        for (id, row) in zip(items, rowsInOrder(of: items)).reversed() {
            guard let r = row else { missing.append(id); continue }
            if !seen.insert(r).inserted || averaged >= limit { continue }
            averaged += 1
            let v = rows.row(r)
            for j in 0..<sum.count { sum[j] += v[j] }
        }
        missing.reverse()
        guard !seen.isEmpty else {
            throw RecallError.noUserVector(items.isEmpty
                ? "the user has no history to average"
                : "none of the history's \(items.count) items is in table '\(table.name)'",
                remedy: items.isEmpty ? Remedy(commandLine: "give --history ID,ID,... or import histories with `recsys history import`") : nil)
        }
        let inv = 1 / Float(averaged)
        let what = averaged < seen.count ? "mean of the last \(averaged) of \(seen.count) history items" : "mean of \(seen.count) history items"
        return UserQuery(vector: sum.map { $0 * inv }, seenRows: seen, missingItems: missing, source: what)
    }
}

extension Transaction {
    /// The stored embedding of `user` in `userTable`, checked against `dimension`.
    public func userEmbedding(_ user: String, userTable: String, dimension: Int) throws -> [Float] {
        guard let t = try tableInfo(userTable) else {
            throw RecallError.noUserVector("no user table '\(userTable)'", remedy: Remedy(
                commandLine: "import one with `recsys embedding import FILE --table \(userTable) --kind user`, or use --from history",
                http: "use from=history, or user_table to name another table"))
        }
        let table = try self.table(t.name)
        guard let r = try table.row(of: user) else {
            throw RecallError.noUserVector("unknown user '\(user)': not in table '\(userTable)'")
        }
        guard table.dimension == dimension else {
            throw RecallError.dimensionMismatch(table: userTable, expected: dimension, got: table.dimension)
        }
        return Array(try table.vector(ofRow: r))
    }
}
