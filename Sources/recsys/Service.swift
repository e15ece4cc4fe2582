import EmbedStore
import Foundation
import Hummingbird
import Logging
import NIOPosix
import Ranker
import Recall

/// The HTTP JSON service over one store (hummingbird 2).
enum Service {
    /// Request bodies larger than this are refused with 413.
    static let maxBodyBytes = 1 << 20
    /// Largest k / candidates a request may ask for.
    static let maxResults = 10_000
    /// Recommend requests ranking more candidates than this run on NIO's
    /// thread pool instead of the event loop.
    static let inlineCandidateLimit = 2_000

    static func router(state: ServingState, metrics: ServiceMetrics, logger: Logger) -> Router<BasicRequestContext> {
        let router = Router()
        router.middlewares.add(ObservabilityMiddleware(metrics: metrics, logger: logger))
        router.get("/healthz") { _, _ in Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(staticString: "{\"status\":\"ok\"}"))) }
        router.get("/metrics") { _, _ in
            let tables = try state.store.read { try $0.tables() }.map { ($0.name, $0.version, $0.count) }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: metrics.render(tables: tables, storeUsedBytes: state.store.usedBytes, storeResidentBytes: state.store.mappedResidentBytes))))
        }
        router.get("/v1/tables") { _, _ in
            try guarded { json(try state.store.read { try $0.tables() }.map(TableJSON.init)) }
        }
        router.get("/v1/embeddings/{table}/{id}") { _, context in
            try guarded {
                let table = try pathParameter("table", context), id = try pathParameter("id", context)
                let body = try state.store.read { txn -> VectorJSON in
                    VectorJSON(id: id, title: try txn.item(id)?.title, vector: Array(try txn.table(table).vector(of: id)))
                }
                return json(body)
            }
        }
        router.get("/v1/recall/user/{id}") { request, context in
            try guarded {
                let q = request.uri.queryParameters
                let id = try pathParameter("id", context)
                let table = q.get("table") ?? "item2vec"
                let k = try intParameter(q.get("k"), "k", default: 100)
                let source = try q.get("from").map { s -> UserVectorSource in
                    guard let v = UserVectorSource(rawValue: String(s)) else { throw CLIError("from must be embedding or history") }
                    return v
                }
                let filters = try q.getAll("where").map { try ItemFilter(parsing: String($0)) }
                let view = try state.view()
                let snapshot = try view.snapshot(table)
                let clock = ContinuousClock(), t0 = clock.now
                let query = try UserQueryRequest(user: id, source: source, userTable: q.get("user_table") ?? "user", history: nil, vector: nil).resolve(snapshot)
                let result = try snapshot.search(query.vector, options: SearchOptions(k: k, excludedRows: query.seenRows, filters: filters))
                return json(RecallJSON(snapshot, result, query: ["table": table, "user": id, "from": query.source, "k": "\(k)"], timings: ["search_ms": ms(clock.now - t0)], cache: view.itemFields(table)))
            }
        }
        router.get("/v1/recall/item/{id}") { request, context in
            try guarded {
                let q = request.uri.queryParameters
                let id = try pathParameter("id", context)
                let table = q.get("table") ?? "item2vec"
                let k = try intParameter(q.get("k"), "k", default: 10)
                let view = try state.view()
                let snapshot = try view.snapshot(table)
                guard let row = snapshot.row(of: id) else { throw StoreError.unknownID(table: table, id: id) }
                let clock = ContinuousClock(), t0 = clock.now
                let result = try snapshot.search(snapshot.vector(ofRow: row), options: SearchOptions(k: k, excludedRows: [row]))
                return json(RecallJSON(snapshot, result, query: ["table": table, "item": id, "k": "\(k)"], timings: ["search_ms": ms(clock.now - t0)], cache: view.itemFields(table)))
            }
        }
        router.post("/v1/rank") { request, _ in
            var request = request
            let body: ByteBuffer
            do { body = try await request.collectBody(upTo: maxBodyBytes) } catch {
                return errorResponse(.contentTooLarge, "request body over \(maxBodyBytes) bytes")
            }
            return try guarded {
                guard let r = try? JSONDecoder().decode(RankRequestJSON.self, from: Data(buffer: body)) else {
                    throw CLIError("body must be JSON: {\"model\": \"...\", \"user\": \"...\", \"items\": [\"...\"]}")
                }
                guard !r.items.isEmpty, r.items.count <= maxResults else { throw CLIError("items must hold 1...\(maxResults) ids") }
                let view = try state.view()
                guard let model = try view.model(r.model) else { throw RankerError.unknownModel(r.model ?? "(any)") }
                let (scores, unknown) = try state.store.read { txn in try model.score(txn, user: r.user, items: r.items) }
                let order = r.items.indices.sorted { scores[$0] > scores[$1] }
                return json(RankResponseJSON(model: model.record.name, user: r.user, unknown: unknown,
                                             results: order.map { RankHitJSON(id: r.items[$0], score: scores[$0], title: nil) }))
            }
        }
        router.get("/v1/recommend/user/{id}") { request, context in
            let parsed = Result { try recommendRequest(request, context) }
            let work: @Sendable () throws -> Response = { try guarded { json(try Pipeline.recommend(try parsed.get(), view: try state.view())) } }
            // Ranking the default 800 candidates is ~0.3 ms of CPU: done on the
            // event loop, which saves two thread hops per request (measured
            // under wrk on 2 cores: 25% less CPU per request, p99 ~8 ms
            // instead of ~11 ms). Larger requests go to the thread pool so one
            // of them cannot hold up the loop's other connections for long.
            if let r = try? parsed.get(), r.candidates > inlineCandidateLimit { return try await offloaded(work) }
            return try work()
        }
        return router
    }

    /// The recommend route's parameters.
    static func recommendRequest(_ request: Request, _ context: some RequestContext) throws -> RecommendRequest {
        let q = request.uri.queryParameters
        var r = RecommendRequest(user: try pathParameter("id", context))
        r.k = try intParameter(q.get("k"), "k", default: 20)
        r.candidates = try intParameter(q.get("candidates"), "candidates", default: 800)
        r.model = q.get("model")
        if let t = q.get("table") { r.table = String(t) }
        r.filters = try q.getAll("where").map { try ItemFilter(parsing: String($0)) }
        if let f = q.get("from") {
            guard let v = UserVectorSource(rawValue: String(f)) else { throw CLIError("from must be embedding or history") }
            r.source = v
        }
        return r
    }

    /// Runs CPU-heavy handler work on NIO's thread pool instead of the event loop.
    static func offloaded(_ body: @escaping @Sendable () throws -> Response) async throws -> Response {
        try await NIOThreadPool.singleton.runIfActive(body)
    }

    /// A path parameter with its percent-escapes decoded (`/v1/recall/user/a%20b` is user "a b").
    static func pathParameter(_ name: String, _ context: some RequestContext) throws -> String {
        let raw = try context.parameters.require(name)
        guard raw.utf8.contains(UInt8(ascii: "%")) else { return raw }
        guard let decoded = raw.removingPercentEncoding else { throw CLIError("\(name) '\(raw)' is not valid percent-encoded UTF-8") }
        return decoded
    }

    static func intParameter(_ value: String?, _ name: String, default d: Int) throws -> Int {
        guard let value else { return d }
        guard let v = Int(value), v > 0, v <= maxResults else { throw CLIError("\(name) must be an integer in 1...\(maxResults), got '\(value)'") }
        return v
    }

    /// Maps the modules' errors to 400/404 JSON responses; never lets one escape as a crash.
    static func guarded(_ body: () throws -> Response) throws -> Response {
        do {
            return try body()
        } catch let e as StoreError {
            switch e {
            case .unknownTable, .unknownID, .notFound: return errorResponse(.notFound, e.description)
            default: return errorResponse(.badRequest, e.description)
            }
        } catch let e as RecallError {
            switch e {
            case .noUserVector: return errorResponse(.notFound, e.description)
            default: return errorResponse(.badRequest, e.description)
            }
        } catch let e as RankerError {
            if case .unknownModel = e { return errorResponse(.notFound, e.description) }
            return errorResponse(.badRequest, e.description)
        } catch let e as CLIError {
            return errorResponse(e.message.hasPrefix("unknown") ? .notFound : .badRequest, e.message)
        } catch let e as HTTPError {
            return errorResponse(e.status, e.body ?? "\(e.status)")
        } catch {
            return errorResponse(.internalServerError, "\(error)")
        }
    }

    static func json<T: JSONWritable>(_ value: T) -> Response {
        var w = JSONWriter(capacity: value.estimatedBytes)
        value.write(to: &w)
        var body = ByteBufferAllocator().buffer(capacity: w.count)
        body.writeBytes(UnsafeRawBufferPointer(w.bytes))
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = (try? e.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func errorResponse(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(["error": message], status: status)
    }
}

/// One log line per request (route, status, latency) and the metrics behind /metrics.
struct ObservabilityMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock(), start = clock.now
        // the matched route's template (bounded label values); unmatched paths share one label
        let route = context.endpointPath ?? "other"
        var status = 500
        defer {
            let seconds = ms(clock.now - start) / 1000
            metrics.record(route: route, status: status, seconds: seconds)
            logger.info("request", metadata: ["method": "\(request.method)", "route": "\(route)", "status": "\(status)", "latency_ms": "\(String(format: "%.3f", seconds * 1000))"])
        }
        do {
            let response = try await next(request, context)
            status = Int(response.status.code)
            return response
        } catch let error as HTTPError {
            // hummingbird's own errors (no such route, wrong method) get the same JSON body as ours
            status = Int(error.status.code)
            let message = error.status == .notFound ? "no route \(request.method) \(request.uri.path)" : error.body ?? "\(error.status)"
            return Service.errorResponse(error.status, message)
        } catch let error as HTTPResponseError {
            status = Int(error.status.code)
            throw error
        }
    }
}

struct RankRequestJSON: Decodable {
    let model: String?
    let user: String
    let items: [String]
}

struct RankResponseJSON: Encodable {
    let model: String
    let user: String
    let unknown: [String]
    let results: [RankHitJSON]
}
