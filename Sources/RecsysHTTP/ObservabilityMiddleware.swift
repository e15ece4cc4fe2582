import Foundation
import Hummingbird
import Logging
import Serving

/// One log line per request (route, status, latency) and the metrics behind /metrics.
package struct ObservabilityMiddleware<Context: RequestContext>: RouterMiddleware {
    package let metrics: ServiceMetrics
    package let logger: Logger
    /// The registered routes: a known path with another method is 405, not 404.
    package let routes: RouteTable

    package init(metrics: ServiceMetrics, logger: Logger, routes: RouteTable = RouteTable()) {
        self.metrics = metrics
        self.logger = logger
        self.routes = routes
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock(), start = clock.now
        // the matched route's template (bounded label values); unmatched paths share one label
        let route = context.endpointPath ?? "other"
        var status = 500
        defer {
            let seconds = (clock.now - start).milliseconds / 1000
            metrics.record(route: route, status: status, seconds: seconds)
            logger.info("request", metadata: ["method": "\(request.method)", "route": "\(route)", "status": "\(status)", "latency_ms": "\(String(format: "%.3f", seconds * 1000))"])
        }
        do {
            let response = try await next(request, context)
            status = Int(response.status.code)
            return response
        } catch let error as HTTPError {
            // hummingbird's own errors (no such route, wrong method) get the same JSON body as ours
            if error.status == .notFound {
                let allowed = routes.methods(matching: request.uri.path)
                if !allowed.isEmpty {
                    status = 405
                    var response = ErrorResponse.response(for: HTTPRequestError.methodNotAllowed(method: "\(request.method)", path: request.uri.path, allowed: allowed.map(\.rawValue)))
                    response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
                    return response
                }
            }
            status = Int(error.status.code)
            if error.status == .notFound { return ErrorResponse.response(for: HTTPRequestError.noRoute(method: "\(request.method)", path: request.uri.path)) }
            return ErrorResponse.response(for: error)
        } catch let error as HTTPResponseError {
            status = Int(error.status.code)
            throw error
        }
    }
}
