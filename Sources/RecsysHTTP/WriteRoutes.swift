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
                return json(try state.upsert(table: table, id: id, vector: body.vector))
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
                return json(try state.upsert(table: table, items: items.map { ($0.id, $0.vector) }))
            }
        }
        routes.delete("/v1/embeddings/{table}/{id}") { request, context in
            if let refusal = access.refuseWrite(request) { return refusal }
            return try await offloaded {
                try ErrorResponse.guarded {
                    let table = try pathParameter("table", context), id = try pathParameter("id", context)
                    return json(try state.remove(table: table, id: id))
                }
            }
        }
    }
}
