import EmbedStore

/// The service's plain reads and writes, each in one transaction of the
/// store served now: the HTTP layer parses a request and answers with what
/// these return, and opens no transaction itself.
///
/// Rules:
/// - Writes go through `MutationHooks`, so the recall index follows in the
///   same transaction; a batch is one transaction: any invalid item changes
///   nothing, and the error names the item.
/// - `vectors(table:ids:render:)` renders inside the read transaction: the
///   vectors point into LMDB's map and are valid only until it ends.
extension ServingState {
    /// Every table, by name.
    package func tables() throws -> [TableJSON] { try store.read { try $0.tables() }.map(TableJSON.init) }

    /// Name, version and live rows per table (the `/metrics` gauges).
    package func tableGauges() throws -> [(name: String, version: UInt32, rows: Int)] {
        try store.read { try $0.tables() }.map { ($0.name, $0.version, $0.count) }
    }

    /// One table's metadata; throws `unknownTable`.
    package func table(_ name: String) throws -> TableJSON {
        guard let info = try store.read({ try $0.tableInfo(name) }) else { throw StoreError.unknownTable(name) }
        return TableJSON(info)
    }

    /// One vector with its item's title; throws `unknownTable` or `unknownID`.
    package func vector(table: String, id: String) throws -> VectorJSON {
        try store.read { txn in VectorJSON(id: id, title: try txn.item(id)?.title, vector: Array(try txn.table(table).vector(of: id))) }
    }

    /// The vectors of `ids` in request order (unknown ids listed, not an
    /// error), handed to `render` inside the transaction.
    package func vectors<R>(table: String, ids: [String], render: (BatchVectorsJSON) throws -> R) throws -> R {
        try store.read { txn in
            let t = try txn.table(table)
            var found: [(id: String, vector: UnsafeBufferPointer<Float>)] = [], unknown: [String] = []
            found.reserveCapacity(ids.count)
            for id in ids {
                if let row = try t.row(of: id) { found.append((id, try t.vector(ofRow: row))) } else { unknown.append(id) }
            }
            return try render(BatchVectorsJSON(table: table, dimension: t.dimension, found: found, unknown: unknown))
        }
    }

    /// One item's metadata; throws `notFound`.
    package func item(_ id: String) throws -> ItemJSON {
        guard let item = try store.read({ try $0.item(id) }) else { throw StoreError.notFound("no item with id '\(id)'") }
        return ItemJSON(item)
    }

    /// Upserts one vector into an existing table.
    package func upsert(table: String, id: String, vector: [Float]) throws -> WriteResultJSON {
        let r = try store.write { txn in try MutationHooks.upsert(txn, table: table, id: id, vector: vector) }
        return WriteResultJSON(table: table, version: Int(r.info.version), upserted: 1, inserted: r.inserted ? 1 : 0, deleted: 0)
    }

    /// Upserts every item in one transaction, or none.
    package func upsert(table: String, items: [(id: String, vector: [Float])]) throws -> WriteResultJSON {
        let (inserted, version) = try store.write { txn -> (Int, Int) in
            var inserted = 0, version = 0
            for (i, item) in items.enumerated() {
                do {
                    let r = try MutationHooks.upsert(txn, table: table, id: item.id, vector: item.vector)
                    if r.inserted { inserted += 1 }
                    version = Int(r.info.version)
                } catch let e as StoreError {
                    if case .unknownTable = e { throw e }
                    throw ServingError.invalidItem(index: i, id: item.id, reason: e.httpDescription)
                }
            }
            return (inserted, version)
        }
        return WriteResultJSON(table: table, version: version, upserted: items.count, inserted: inserted, deleted: 0)
    }

    /// Deletes one vector; throws `unknownTable` or `unknownID`.
    package func remove(table: String, id: String) throws -> WriteResultJSON {
        let version = try store.write { txn -> Int in
            try MutationHooks.remove(txn, table: table, id: id)
            return Int(try txn.table(table).info.version)
        }
        return WriteResultJSON(table: table, version: version, upserted: 0, inserted: 0, deleted: 1)
    }

    /// Bytes of the store file in use and resident (the `/metrics` gauges).
    package var storeUsedBytes: Int { store.usedBytes }
    package var storeResidentBytes: Int { store.mappedResidentBytes }

    /// Throws `damaged` when the served `data.mdb` shrank under the service (see `StoreGuardMiddleware`).
    package func requireDataFileIntact() throws { try store.requireDataFileIntact() }
}

/// What a write did.
package struct WriteResultJSON: Encodable, Sendable {
    package let table: String
    package let version: Int
    package let upserted: Int
    package let inserted: Int
    package let deleted: Int
}
