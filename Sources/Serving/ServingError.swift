import EmbedStore

/// A request the serving layer cannot answer as asked. Each case names what
/// the caller must change; the HTTP layer maps every case to its status in
/// one place (`ErrorResponse`).
package enum ServingError: ExplainedError, Equatable {
    /// A parameter is out of range or malformed (400): its name and the rule.
    case invalidParameter(name: String, rule: String)
    /// The request names no user, vector or history to build the query from (400).
    case missingQuery
    /// One item of a batch is invalid: nothing of the batch was written (400).
    case invalidItem(index: Int, id: String, reason: String)

    package var kind: ErrorKind {
        switch self {
        case .invalidParameter, .missingQuery, .invalidItem: return .invalid
        }
    }

    package var code: String {
        switch self {
        case .invalidParameter: return "invalid_parameter"
        case .missingQuery: return "missing_query"
        case .invalidItem: return "invalid_item"
        }
    }

    package var problem: String {
        switch self {
        case let .invalidParameter(name, rule): return "\(name) \(rule)"
        case .missingQuery: return "no user, vector or history to build the query from"
        case let .invalidItem(index, id, reason): return "items[\(index)] (id '\(id)'): \(reason); nothing was written"
        }
    }

    package var remedy: Remedy? {
        guard self == .missingQuery else { return nil }
        return Remedy(commandLine: "give a user id, --vector or --history")
    }
}
