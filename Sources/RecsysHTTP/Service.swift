import EmbedStore
import Foundation
import Hummingbird
import Logging
import NIOPosix
import Recall
import Serving

/// The HTTP JSON service over one store (hummingbird 2).
package enum Service {
    /// Request bodies larger than this are refused with 413.
    package static let maxBodyBytes = 1 << 20
    /// Largest k / candidates a request may ask for.
    package static let maxResults = RequestDefaults.maxResults
    /// Recommend requests ranking more candidates than this run on NIO's
    /// thread pool instead of the event loop.
    package static let inlineCandidateLimit = 2_000

    /// - Parameter corsOrigin: the one origin (or `*`) browsers may call from; nil: no CORS headers.
    /// - Parameter access: tokens for reads and writes; by default reads are open and writes off.
    package static func router(state: ServingState, metrics: ServiceMetrics, logger: Logger, table: RouteTable = RouteTable(),
                               corsOrigin: String? = nil, access: AccessControl = AccessControl()) -> Router<BasicRequestContext> {
        // HEAD is answered for every GET route, as GET without the body.
        let router = Router(options: .autoGenerateHeadEndpoints)
        let routes = Routes(router: router, table: table)
        if let corsOrigin {
            router.middlewares.add(CORSMiddleware(allowOrigin: corsOrigin == "*" ? .all : .custom(corsOrigin),
                                                  allowMethods: [.get, .head, .post, .put, .delete, .options]))
        }
        router.middlewares.add(ObservabilityMiddleware(metrics: metrics, logger: logger, routes: table))
        router.middlewares.add(ReadAccessMiddleware(access: access))
        router.middlewares.add(StoreGuardMiddleware(state: state))
        routes.get("/healthz") { _, _ in json(HealthJSON(state.servedStore)) }
        // Kubernetes' probes: live while the process answers (never the store's fault:
        // a restart would not mend it); ready while the store served is sound
        routes.get("/livez") { _, _ in json(["status": "ok"]) }
        routes.get("/readyz") { _, _ in json(HealthJSON(state.servedStore)) }
        routes.get("/v1/status") { _, _ in try ErrorResponse.guarded { json(try StatusJSON(state)) } }
        routes.get("/metrics") { _, _ in
            let tables = try state.tableGauges().map { ($0.name, $0.version, $0.rows) }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: metrics.render(tables: tables, storeUsedBytes: state.storeUsedBytes, storeResidentBytes: state.storeResidentBytes))))
        }
        routes.get("/v1/tables") { _, _ in
            try ErrorResponse.guarded { json(try state.tables()) }
        }
        routes.get("/v1/embeddings/{table}/{id}") { _, context in
            try ErrorResponse.guarded {
                let table = try pathParameter("table", context), id = try pathParameter("id", context)
                return json(try state.vector(table: table, id: id))
            }
        }
        routes.get("/v1/recall/user/{id}") { request, context in
            try ErrorResponse.guarded {
                let q = request.uri.queryParameters
                let source = try q.get("from").map { s -> UserVectorSource in
                    guard let v = UserVectorSource(rawValue: String(s)) else { throw HTTPRequestError.invalidParameter(name: "from", rule: "must be embedding or history") }
                    return v
                }
                let user = UserQueryRequest(user: try pathParameter("id", context), source: source, userTable: q.get("user_table") ?? RequestDefaults.userTable)
                let options = SearchOptions(k: try intParameter(q.get("k"), "k", default: RequestDefaults.userRecallK),
                                            filters: try q.getAll("where").map { try ItemFilter(parsing: String($0)) })
                return json(try state.view().recallUser(user, table: q.get("table") ?? RequestDefaults.itemTable, options: options).response)
            }
        }
        routes.get("/v1/recall/item/{id}") { request, context in
            try ErrorResponse.guarded {
                let q = request.uri.queryParameters
                let options = SearchOptions(k: try intParameter(q.get("k"), "k", default: RequestDefaults.itemRecallK))
                return json(try state.view().recallItem(try pathParameter("id", context), table: q.get("table") ?? RequestDefaults.itemTable, options: options).response)
            }
        }
        routes.post("/v1/rank") { request, _ in
            try await withJSONBody(request) { data in
                let r = try RankBody(data)
                guard !r.items.isEmpty, r.items.count <= maxResults else { throw HTTPRequestError.invalidParameter(name: "items", rule: "must hold 1...\(maxResults) ids") }
                return json(try state.view().rank(user: r.user, items: r.items, model: r.model))
            }
        }
        routes.get("/v1/recommend/user/{id}") { request, context in
            let parsed = Result { try recommendRequest(request, context) }
            let work: @Sendable () throws -> Response = { try ErrorResponse.guarded { json(try Pipeline.recommend(try parsed.get(), view: try state.view())) } }
            // Ranking the default 800 candidates is ~0.3 ms of CPU: done on the
            // event loop, which saves two thread hops per request (measured
            // under wrk on 2 cores: 25% less CPU per request, p99 ~8 ms
            // instead of ~11 ms). Larger requests go to the thread pool so one
            // of them cannot hold up the loop's other connections for long.
            if let r = try? parsed.get(), r.candidates > inlineCandidateLimit { return try await offloaded(work) }
            return try work()
        }
        addVectorRoutes(to: routes, state: state)
        addBrowseRoutes(to: routes, state: state)
        addPageRoutes(to: routes)
        addWriteRoutes(to: routes, state: state, access: access)
        return router
    }

    /// The recommend route's parameters.
    package static func recommendRequest(_ request: Request, _ context: some RequestContext) throws -> RecommendRequest {
        let q = request.uri.queryParameters
        var r = RecommendRequest(user: try pathParameter("id", context))
        r.k = try intParameter(q.get("k"), "k", default: 20)
        r.candidates = try intParameter(q.get("candidates"), "candidates", default: RequestDefaults.candidates)
        r.model = q.get("model")
        if let t = q.get("table") { r.table = String(t) }
        r.filters = try q.getAll("where").map { try ItemFilter(parsing: String($0)) }
        if let f = q.get("from") {
            guard let v = UserVectorSource(rawValue: String(f)) else { throw HTTPRequestError.invalidParameter(name: "from", rule: "must be embedding or history") }
            r.source = v
        }
        return r
    }

    /// Runs CPU-heavy handler work on NIO's thread pool instead of the event loop.
    package static func offloaded(_ body: @escaping @Sendable () throws -> Response) async throws -> Response {
        try await NIOThreadPool.singleton.runIfActive(body)
    }

    /// A path parameter with its percent-escapes decoded (`/v1/recall/user/a%20b` is user "a b").
    package static func pathParameter(_ name: String, _ context: some RequestContext) throws -> String {
        let raw = try context.parameters.require(name)
        guard raw.utf8.contains(UInt8(ascii: "%")) else { return raw }
        guard let decoded = raw.removingPercentEncoding else { throw HTTPRequestError.invalidParameter(name: name, rule: "'\(raw)' is not valid percent-encoded UTF-8") }
        return decoded
    }

    package static func intParameter(_ value: String?, _ name: String, default d: Int, max: Int = maxResults) throws -> Int {
        guard let value else { return d }
        guard let v = Int(value), v > 0, v <= max else { throw HTTPRequestError.invalidParameter(name: name, rule: "must be an integer in 1...\(max), got '\(value)'") }
        return v
    }

    package static func json<T: JSONWritable>(_ value: T) -> Response {
        var w = JSONWriter(capacity: value.estimatedBytes)
        value.write(to: &w)
        var body = ByteBufferAllocator().buffer(capacity: w.count)
        body.writeBytes(UnsafeRawBufferPointer(w.bytes))
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }

    package static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        e.keyEncodingStrategy = .convertToSnakeCase  // every body's key style (column names in dictionaries stay as imported)
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = (try? e.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
