import EmbedStore
import Foundation
import Hummingbird
import Serving

/// Upserts and deletes over HTTP, through the same store code as `recsys
/// embedding upsert|remove` (the recall index follows in the same write
/// transaction), visible to the next request. The table must exist (404).
/// A batch is one transaction: any invalid item changes nothing.
extension Service {
    /// Largest body of a batch upsert: 10,000 items of a few hundred components.
    package static let maxWriteBodyBytes = 64 << 20

    static func addWriteRoutes(to routes: Routes, state: ServingState, access: AccessControl) {
        routes.put("/v1/embeddings/{table}/{id}") { request, context in
            if let refusal = access.refuseWrite(request) { return refusal }
            return try await withJSONBodyOffloaded(request, limit: maxWriteBodyBytes) { data in
                let table = try pathParameter("table", context), id = try pathParameter("id", context)
                let body = try UpsertBody(data)
                let result = try state.store.write { txn in try MutationHooks.upsert(txn, table: table, id: id, vector: body.vector) }
                return json(WriteResultJSON(table: table, version: Int(result.info.version), upserted: 1, inserted: result.inserted ? 1 : 0, deleted: 0))
            }
        }
        routes.post("/v1/embeddings/{table}") { request, context in
            if let refusal = access.refuseWrite(request) { return refusal }
            return try await withJSONBodyOffloaded(request, limit: maxWriteBodyBytes) { data in
                let table = try pathParameter("table", context)
                let items = try BatchUpsertBody(data).items
                guard (1...maxBatchIDs).contains(items.count) else {
                    throw HTTPRequestError.invalidParameter(name: "items", rule: "must hold 1...\(maxBatchIDs) items, got \(items.count)")
                }
                let (inserted, version) = try state.store.write { txn -> (Int, Int) in
                    var inserted = 0, version = 0
                    for (i, item) in items.enumerated() {
                        do {
                            let r = try MutationHooks.upsert(txn, table: table, id: item.id, vector: item.vector)
                            if r.inserted { inserted += 1 }
                            version = Int(r.info.version)
                        } catch let e as StoreError {
                            if case .unknownTable = e { throw e }
                            throw HTTPRequestError.invalidBody("items[\(i)] (id '\(item.id)'): \(e); nothing was written")
                        }
                    }
                    return (inserted, version)
                }
                return json(WriteResultJSON(table: table, version: version, upserted: items.count, inserted: inserted, deleted: 0))
            }
        }
        routes.delete("/v1/embeddings/{table}/{id}") { request, context in
            if let refusal = access.refuseWrite(request) { return refusal }
            return try await offloaded {
                try ErrorResponse.guarded {
                    let table = try pathParameter("table", context), id = try pathParameter("id", context)
                    let version = try state.store.write { txn -> Int in
                        try MutationHooks.remove(txn, table: table, id: id)
                        return Int(try txn.table(table).info.version)
                    }
                    return json(WriteResultJSON(table: table, version: version, upserted: 0, inserted: 0, deleted: 1))
                }
            }
        }
    }
}

/// What a write did.
struct WriteResultJSON: Encodable {
    let table: String
    let version: Int
    let upserted: Int
    let inserted: Int
    let deleted: Int
}
