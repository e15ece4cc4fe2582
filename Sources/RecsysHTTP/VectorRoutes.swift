import EmbedStore
import Foundation
import Hummingbird
import Recall
import Serving

/// Routes an embedding service's users expect: search by any vector, many
/// vectors in one read, one table's metadata.
extension Service {
    /// Most ids `batch-get` takes, and most ids `exclude` takes.
    package static let maxBatchIDs = 10_000

    static func addVectorRoutes(to routes: Routes, state: ServingState) {
        routes.post("/v1/recall") { request, _ in
            try await withJSONBody(request) { data in
                let body = try VectorRecallBody(data)
                let k = body.k ?? 10
                guard (1...maxResults).contains(k) else { throw HTTPRequestError.invalidParameter(name: "k", rule: "must be an integer in 1...\(maxResults), got \(k)") }
                let exclude = body.exclude ?? []
                guard exclude.count <= maxBatchIDs else { throw HTTPRequestError.invalidParameter(name: "exclude", rule: "holds at most \(maxBatchIDs) ids") }
                let filters = (body.where ?? [:]).sorted { $0.key < $1.key }.map { ItemFilter(column: $0.key, value: $0.value) }
                let answer = try state.view().recallVector(body.vector, table: body.table ?? RequestDefaults.itemTable,
                                                           options: SearchOptions(k: k, filters: filters), exclude: exclude)
                return json(answer.response)
            }
        }
        routes.post("/v1/embeddings/{table}/batch-get") { request, context in
            try await withJSONBody(request) { data in
                let table = try pathParameter("table", context)
                let ids = try BatchGetBody(data).ids
                guard ids.count <= maxBatchIDs else { throw HTTPRequestError.invalidParameter(name: "ids", rule: "holds at most \(maxBatchIDs) ids, got \(ids.count)") }
                // written before the transaction ends: the vectors point into the map
                return try state.vectors(table: table, ids: ids) { json($0) }
            }
        }
        routes.get("/v1/tables/{table}") { _, context in
            try ErrorResponse.guarded {
                return json(try state.table(try pathParameter("table", context)))
            }
        }
    }

    /// Collects a JSON body (413 past `limit`) and runs `body` on it, errors
    /// answered as JSON with their status.
    static func withJSONBody(_ request: Request, limit: Int = maxBodyBytes, _ body: (Data) throws -> Response) async throws -> Response {
        guard let data = await bodyData(request, limit: limit) else { return ErrorResponse.response(for: HTTPRequestError.bodyTooLarge(limit: limit)) }
        return try ErrorResponse.guarded { try body(data) }
    }

    /// `withJSONBody` for handlers that write the store: the write (and its
    /// fsync) runs on the thread pool, not on the event loop.
    static func withJSONBodyOffloaded(_ request: Request, limit: Int, _ body: @escaping @Sendable (Data) throws -> Response) async throws -> Response {
        guard let data = await bodyData(request, limit: limit) else { return ErrorResponse.response(for: HTTPRequestError.bodyTooLarge(limit: limit)) }
        return try await offloaded { try ErrorResponse.guarded { try body(data) } }
    }

    /// The request's body, nil when it is longer than `limit`.
    private static func bodyData(_ request: Request, limit: Int) async -> Data? {
        var request = request
        guard let buffer = try? await request.collectBody(upTo: limit) else { return nil }
        return Data(buffer: buffer)
    }
}
