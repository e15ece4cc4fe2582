import Hummingbird

/// The web pages (static HTML + JS over the JSON routes, compiled into the
/// binary so a copied `recsys` serves them offline, with no files beside it)
/// and the OpenAPI document.
extension Service {
    /// Page path -> embedded file.
    static let pages = ["/": "index.html", "/item": "item.html", "/user": "user.html", "/tables": "tables.html"]

    static func addPageRoutes(to routes: Routes) {
        for (path, file) in pages.sorted(by: { $0.key < $1.key }) {
            routes.get(path) { _, _ in asset(file) }
        }
        routes.get("/static/{file}") { _, context in
            let name = try context.parameters.require("file")
            // pages are not static files: each has its own path
            guard !name.hasSuffix(".html") else { return ErrorResponse.response(for: HTTPRequestError.noFile(name)) }
            return asset(name)
        }
        routes.get("/openapi.json") { _, _ in asset("openapi.json") }
    }

    /// An embedded file with its content type; 404 JSON when there is none.
    static func asset(_ name: String) -> Response {
        guard let file = EmbeddedAssets.files[name] else { return ErrorResponse.response(for: HTTPRequestError.noFile(name)) }
        var headers: HTTPFields = [.contentType: file.contentType, .cacheControl: "no-cache"]
        // scripts and styles only from this origin; pages may not be framed elsewhere
        headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: file.body)))
    }
}
