import Foundation
import Hummingbird

/// Who may read and write over HTTP.
///
/// Rules:
/// - Writes are off unless the operator gives a write token: every write
///   route answers 403 until then, whatever the request carries.
/// - With a write token, a write needs `Authorization: Bearer <token>`; a
///   missing or wrong one is 401 with `WWW-Authenticate: Bearer`.
/// - Reads are open unless a read token is given; then every route but
///   `/healthz` (for load balancers) needs the read or the write token.
/// - Tokens are compared in constant time, never logged, and never echoed
///   in an error. Tokens travel in clear text: put the service behind a TLS
///   proxy (docs/design.md) when it listens beyond loopback.
package struct AccessControl: Sendable {
    package var writeToken: [UInt8]?
    package var readToken: [UInt8]?

    package init(writeToken: [UInt8]? = nil, readToken: [UInt8]? = nil) {
        self.writeToken = writeToken
        self.readToken = readToken
    }

    /// Shortest token accepted: a guessable token is no control.
    package static let minimumTokenLength = 16

    /// A token read from a file: its first line, surrounding whitespace
    /// trimmed. Throws when the file cannot be read or the token is short.
    package static func token(fromFile path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HTTPRequestError.invalidParameter(name: path, rule: "cannot be read")
        }
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
        let token = Array(line.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        guard token.count >= minimumTokenLength else {
            throw HTTPRequestError.invalidParameter(name: path, rule: "must hold a token of at least \(minimumTokenLength) characters on its first line (e.g. `openssl rand -hex 32 > \(path)`)")
        }
        return token
    }

    /// nil when `request` may use a write route, else the 403 or 401 answer.
    package func refuseWrite(_ request: Request) -> Response? {
        guard let writeToken else {
            return ErrorResponse.response(for: HTTPRequestError.writesDisabled)
        }
        return Self.matches(request, [writeToken]) ? nil : Self.unauthorized("writes need the header Authorization: Bearer <write token>")
    }

    /// nil when `request` may read, else the 401 answer.
    package func refuseRead(_ request: Request) -> Response? {
        guard let readToken else { return nil }
        return Self.matches(request, [readToken] + (writeToken.map { [$0] } ?? [])) ? nil
            : Self.unauthorized("this service needs the header Authorization: Bearer <read token>")
    }

    private static func unauthorized(_ message: String) -> Response {
        var r = ErrorResponse.response(for: HTTPRequestError.unauthorized(message))
        r.headers[.wwwAuthenticate] = "Bearer"
        return r
    }

    private static func matches(_ request: Request, _ tokens: [[UInt8]]) -> Bool {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return false }
        let given = Array(header.utf8.dropFirst(7))
        var any = false
        for t in tokens { any = constantTimeEqual(given, t) || any }
        return any
    }

    /// Equal bytes, in time that depends only on the lengths, not on where
    /// the first difference lies.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt64(a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            diff |= UInt64((i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0))
        }
        return diff == 0
    }
}

/// Applies the read rule of `AccessControl` to every route but `/healthz`.
package struct ReadAccessMiddleware<Context: RequestContext>: RouterMiddleware {
    package let access: AccessControl

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if !["/healthz", "/livez", "/readyz"].contains(request.uri.path), let refusal = access.refuseRead(request) { return refusal }
        return try await next(request, context)
    }
}
