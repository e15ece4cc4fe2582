import EmbedStore
import Recall

/// Single-vector changes and table deletes, with everything derived from the
/// table (the recall index) updated in the same write transaction.
package enum MutationHooks {
    package static func upsert(_ txn: Transaction, table: String, id: String, vector: [Float], create: Bool = false) throws -> UpsertResult {
        let r = try txn.upsert(table: table, id: id, vector: vector, create: create)
        try LSHIndex.applyChange(txn, table: table, row: r.row)
        return r
    }

    package static func remove(_ txn: Transaction, table: String, id: String) throws {
        let row = try txn.deleteVector(table: table, id: id)
        try LSHIndex.applyChange(txn, table: table, row: row)
    }

    package static func deleteTable(_ txn: Transaction, table: String) throws {
        try txn.deleteTable(table)
        try LSHIndex.drop(txn, table: table)
    }
}
