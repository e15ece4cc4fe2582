import EmbedStore
import Hummingbird

/// The routes the service registers, by method and path template, so that a
/// request for a known path with another method is answered 405 with
/// `Allow` (hummingbird's router answers 404), and so tests and the API
/// document can list them.
package final class RouteTable: @unchecked Sendable {
    private let lock = AdaptiveLock()
    private var entries: [(method: HTTPRequest.Method, path: String)] = []

    package init() {}

    /// Every registered route, in registration order.
    package var routes: [(method: HTTPRequest.Method, path: String)] {
        lock.lock(); defer { lock.unlock() }
        return entries
    }

    func add(_ method: HTTPRequest.Method, _ path: String) {
        lock.lock(); defer { lock.unlock() }
        entries.append((method, path))
    }

    /// The methods registered for a template matching `path` (`{name}`
    /// matches one segment); empty when no template matches.
    package func methods(matching path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var out: [HTTPRequest.Method] = []
        for (method, template) in routes {
            let t = template.split(separator: "/", omittingEmptySubsequences: true)
            guard t.count == segments.count, zip(t, segments).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) else { continue }
            if !out.contains(method) { out.append(method) }
            if method == .get && !out.contains(.head) { out.append(.head) }
        }
        return out
    }
}

/// Registers routes on a router and records them in a table.
struct Routes {
    let router: Router<BasicRequestContext>
    let table: RouteTable

    typealias Handler = @Sendable (Request, BasicRequestContext) async throws -> Response

    func on(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        table.add(method, path)
        router.on(RouterPath(path), method: method, use: handler)
    }

    func get(_ path: String, _ handler: @escaping Handler) { on(.get, path, handler) }
    func post(_ path: String, _ handler: @escaping Handler) { on(.post, path, handler) }
    func put(_ path: String, _ handler: @escaping Handler) { on(.put, path, handler) }
    func delete(_ path: String, _ handler: @escaping Handler) { on(.delete, path, handler) }
}
