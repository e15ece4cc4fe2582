import EmbedStore
import Foundation
import Hummingbird
import Ranker
import Recall
import Serving

/// A request the HTTP layer itself refuses, before any module sees it.
package enum HTTPRequestError: Error, CustomStringConvertible {
    /// A path or query parameter is malformed or out of range (400).
    case invalidParameter(name: String, rule: String)
    /// The body is not the JSON the route takes (400).
    case invalidBody(String)
    /// The body is larger than the route accepts (413).
    case bodyTooLarge(limit: Int)

    package var description: String {
        switch self {
        case let .invalidParameter(name, rule): return "\(name) \(rule)"
        case let .invalidBody(message): return message
        case let .bodyTooLarge(limit): return "request body over \(limit) bytes"
        }
    }
}

/// The one place where errors become HTTP statuses: every route answers an
/// error with `{"error": "..."}` and the status its type and case carry.
package enum ErrorResponse {
    /// The status for `error`: 404 for what names something absent (a table,
    /// an id, a user with no vector, a model), 413 for an oversized body, 400
    /// for every other error a request can cause, 503 for a write to a
    /// read-only store, 500 for the store's own failures and the unexpected.
    package static func status(for error: Error) -> HTTPResponse.Status {
        switch error {
        case let e as StoreError:
            switch e {
            case .unknownTable, .unknownID, .notFound: return .notFound
            case .damaged, .lmdb, .io: return .internalServerError
            case .readOnly: return .serviceUnavailable
            case .diskFull: return HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
            default: return .badRequest
            }
        case let e as RecallError:
            if case .noUserVector = e { return .notFound }
            return .badRequest
        case let e as RankerError:
            if case .unknownModel = e { return .notFound }
            return .badRequest
        case is ServingError:
            return .badRequest
        case let e as HTTPRequestError:
            if case .bodyTooLarge = e { return .contentTooLarge }
            return .badRequest
        case let e as HTTPError:
            return e.status
        default:
            return .internalServerError
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
        return json(status(for: error), message)
    }

    /// Runs a handler and answers any error it throws as JSON; never lets one escape as a crash.
    package static func guarded(_ body: () throws -> Response) throws -> Response {
        do { return try body() } catch { return response(for: error) }
    }

    /// `{"error": message}` with `status`.
    package static func json(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Service.json(["error": message], status: status)
    }
}
