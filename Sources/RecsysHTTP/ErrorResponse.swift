import EmbedStore
import Foundation
import Hummingbird
import Serving

/// A request the HTTP layer itself refuses, before any module sees it.
package enum HTTPRequestError: ClassifiedError, CustomStringConvertible {
    /// A path or query parameter is malformed or out of range (400).
    case invalidParameter(name: String, rule: String)
    /// The body is not the JSON the route takes (400).
    case invalidBody(String)
    /// The body is larger than the route accepts (413).
    case bodyTooLarge(limit: Int)
    /// No route has this path (404).
    case noRoute(method: String, path: String)
    /// The path has routes, none for this method (405; the answer lists them in `Allow`).
    case methodNotAllowed(method: String, path: String, allowed: [String])
    /// No such static file (404).
    case noFile(String)
    /// The service was started without a write token (403).
    case writesDisabled
    /// The request lacks the token the route needs (401).
    case unauthorized(String)

    package var kind: ErrorKind {
        switch self {
        case .invalidParameter, .invalidBody, .methodNotAllowed, .unauthorized: return .invalid
        case .bodyTooLarge: return .tooLarge
        case .noRoute, .noFile: return .notFound
        case .writesDisabled: return .unavailable
        }
    }

    package var code: String {
        switch self {
        case .invalidParameter: return "invalid_parameter"
        case .invalidBody: return "invalid_body"
        case .bodyTooLarge: return "body_too_large"
        case .noRoute: return "no_route"
        case .methodNotAllowed: return "method_not_allowed"
        case .noFile: return "no_file"
        case .writesDisabled: return "writes_disabled"
        case .unauthorized: return "unauthorized"
        }
    }

    /// Statuses more specific than the kind's.
    var status: HTTPResponse.Status? {
        switch self {
        case .methodNotAllowed: return .methodNotAllowed
        case .writesDisabled: return .forbidden
        case .unauthorized: return .unauthorized
        case .invalidParameter, .invalidBody, .bodyTooLarge, .noRoute, .noFile: return nil
        }
    }

    package var description: String {
        switch self {
        case let .invalidParameter(name, rule): return "\(name) \(rule)"
        case let .invalidBody(message): return message
        case let .bodyTooLarge(limit): return "request body over \(limit) bytes"
        case let .noRoute(method, path): return "no route \(method) \(path)"
        case let .methodNotAllowed(method, path, allowed): return "\(method) is not allowed on \(path); allowed: \(allowed.joined(separator: ", "))"
        case let .noFile(name): return "no file '\(name)'"
        case .writesDisabled: return "writes are disabled: start `recsys serve` with --write-token-file FILE to allow them"
        case let .unauthorized(message): return message
        }
    }
}

/// The one place where errors become HTTP statuses: every route answers an
/// error with `{"error": "...", "code": "..."}` and the status its kind
/// carries (`ErrorKind`).
package enum ErrorResponse {
    /// The status of each kind: exhaustive, so a new kind must pick one.
    package static func status(of kind: ErrorKind) -> HTTPResponse.Status {
        switch kind {
        case .invalid: return .badRequest
        case .notFound: return .notFound
        case .tooLarge: return .contentTooLarge
        // damaged data: this replica cannot answer; a load balancer may ask another
        case .damaged, .unavailable: return .serviceUnavailable
        case .storageFull: return HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
        case .failed: return .internalServerError
        }
    }

    /// The status for `error`; 500 for an error recsys did not raise.
    package static func status(for error: Error) -> HTTPResponse.Status {
        switch error {
        case let e as HTTPRequestError: return e.status ?? status(of: e.kind)
        case let e as ClassifiedError: return status(of: e.kind)
        case let e as HTTPError: return e.status
        default: return status(of: .failed)
        }
    }

    /// The stable code for `error`.
    package static func code(for error: Error) -> String {
        switch error {
        case let e as ClassifiedError: return e.code
        case let e as HTTPError: return e.status == .notFound ? "no_route" : "http_\(e.status.code)"
        default: return "internal_error"
        }
    }

    /// The JSON error response for `error`.
    package static func response(for error: Error) -> Response {
        let message: String
        switch error {
        case let e as HTTPError: message = e.body ?? "\(e.status)"
        case let e as ExplainedError: message = e.httpDescription
        case let e as CustomStringConvertible: message = e.description
        default: message = "\(error)"
        }
        return Service.json(["error": message, "code": code(for: error)], status: status(for: error))
    }

    /// Runs a handler and answers any error it throws as JSON; never lets one escape as a crash.
    package static func guarded(_ body: () throws -> Response) throws -> Response {
        do { return try body() } catch { return response(for: error) }
    }
}
