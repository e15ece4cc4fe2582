import EmbedStore
import Recall

/// Builds a user's query vector from the options every entry point shares.
package struct UserQueryRequest {
    package var user: String?
    package var source: UserVectorSource?
    package var userTable: String
    package var history: [String]?
    package var vector: [Float]?

    package init(user: String?, source: UserVectorSource? = nil, userTable: String = RequestDefaults.userTable, history: [String]? = nil, vector: [Float]? = nil) {
        self.user = user
        self.source = source
        self.userTable = userTable
        self.history = history
        self.vector = vector
    }

    package func resolve(_ snapshot: RecallSnapshot) throws -> UserQuery {
        if let vector {
            guard vector.count == snapshot.table.dimension else {
                throw RecallError.dimensionMismatch(table: snapshot.table.name, expected: snapshot.table.dimension, got: vector.count)
            }
            let seen = history.map { snapshot.rows(of: $0) } ?? []
            return UserQuery(vector: vector, seenRows: seen, missingItems: [], source: "vector")
        }
        guard let user else {
            if let history, source != .embedding { return try snapshot.meanVector(of: history) }
            throw ServingError.missingQuery
        }
        // one locked pass over the snapshot's transaction: history, and the
        // stored embedding when it is asked for or there is one
        let (stored, embedding) = try snapshot.withTransaction { txn -> ([String], [Float]?) in
            let stored = try txn.history(of: user)
            let hasEmbedding = try txn.tableInfo(userTable).map { try txn.table($0.name).row(of: user) != nil } ?? false
            guard source == .embedding || (source == nil && hasEmbedding) else { return (stored, nil) }
            return (stored, try txn.userEmbedding(user, userTable: userTable, dimension: snapshot.table.dimension))
        }
        let items = history ?? stored
        if source == nil && embedding == nil && items.isEmpty {
            throw RecallError.noUserVector("unknown user '\(user)': not in table '\(userTable)' and no stored history",
                                           remedy: Remedy(commandLine: "give --history or --vector", http: "POST /v1/recall takes a vector"))
        }
        switch embedding {
        case let v?:
            return UserQuery(vector: v, seenRows: snapshot.rows(of: items), missingItems: [], source: "embedding (\(userTable))")
        case nil:
            return try snapshot.meanVector(of: items)
        }
    }
}
