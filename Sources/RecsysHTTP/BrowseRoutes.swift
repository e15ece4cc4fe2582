import EmbedStore
import Foundation
import Hummingbird
import Serving

/// Read-only routes behind the web pages (and useful on their own): item
/// search and metadata, genres, a user's history, models, index state.
extension Service {
    /// Most items one search returns.
    package static let maxSearchResults = 1_000

    static func addBrowseRoutes(to routes: Routes, state: ServingState) {
        routes.get("/v1/items") { request, _ in
            try ErrorResponse.guarded {
                let q = request.uri.queryParameters
                let query = q.get("q") ?? "", genre = q.get("genre")
                guard query.utf8.count <= 200 else { throw HTTPRequestError.invalidParameter(name: "q", rule: "is at most 200 bytes") }
                let limit = try intParameter(q.get("limit"), "limit", default: 20, max: maxSearchResults)
                let (total, items) = try state.view().catalog().search(query, genre: genre, limit: limit)
                return json(ItemSearchJSON(query: query, genre: genre, total: total, results: items.map(ItemJSON.init)))
            }
        }
        routes.get("/v1/items/{id}") { _, context in
            try ErrorResponse.guarded {
                return json(try state.item(try pathParameter("id", context)))
            }
        }
        routes.get("/v1/genres") { _, _ in
            try ErrorResponse.guarded {
                json(try state.view().catalog().genres.map { GenreCountJSON(genre: $0.genre, items: $0.items) })
            }
        }
        routes.get("/v1/users/{id}") { _, context in
            try ErrorResponse.guarded { json(try state.view().user(try pathParameter("id", context))) }
        }
        routes.get("/v1/models") { _, _ in
            try ErrorResponse.guarded { json(try state.view().modelList()) }
        }
        routes.get("/v1/tables/{table}/index") { _, context in
            try ErrorResponse.guarded { json(try state.view().indexState(try pathParameter("table", context))) }
        }
    }
}
