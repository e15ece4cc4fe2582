import EmbedStore
import Hummingbird
import Serving

/// Answers 503 with a JSON error, before any route touches the store, when
/// `data.mdb` has shrunk under the running service (a truncated copy, a
/// botched restore): a read past the file's new end would otherwise kill the
/// process with SIGBUS. `/healthz` answers 503 too, so a load balancer takes
/// the replica out. One `fstat` per request, of the store served now.
package struct StoreGuardMiddleware<Context: RequestContext>: RouterMiddleware {
    package let state: ServingState

    package init(state: ServingState) { self.state = state }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // liveness is the process's, not the store's
        if request.uri.path == "/livez" { return try await next(request, context) }
        do { try state.requireDataFileIntact() } catch {
            return ErrorResponse.response(for: error)
        }
        return try await next(request, context)
    }
}
