import EmbedStore

/// Single-vector changes and table deletes, with everything derived from the
/// table (the recall index) updated in the same write transaction.
enum MutationHooks {
    static func upsert(_ txn: Transaction, table: String, id: String, vector: [Float]) throws -> UpsertResult {
        try txn.upsert(table: table, id: id, vector: vector)
    }

    static func remove(_ txn: Transaction, table: String, id: String) throws {
        try txn.deleteVector(table: table, id: id)
    }

    static func deleteTable(_ txn: Transaction, table: String) throws {
        try txn.deleteTable(table)
    }
}
