import EmbedStore

/// Errors raised by the recall stage, with messages a user can act on.
public enum RecallError: ExplainedError, Equatable, Sendable {
    /// The query vector's dimension differs from the table's.
    case dimensionMismatch(table: String, expected: Int, got: Int)
    /// The table has no live vectors.
    case emptyTable(String)
    /// No user vector could be built (unknown user, empty history, ...).
    case noUserVector(String, remedy: Remedy? = nil)
    /// A parameter is out of range.
    case invalidParameter(String)
    /// The table has no index.
    case noIndex(String)

    public var kind: ErrorKind {
        switch self {
        case .noUserVector: return .notFound
        case .dimensionMismatch, .emptyTable, .invalidParameter, .noIndex: return .invalid
        }
    }

    public var code: String {
        switch self {
        case .dimensionMismatch: return "dimension_mismatch"
        case .emptyTable: return "empty_table"
        case .noUserVector: return "no_user_vector"
        case .invalidParameter: return "invalid_parameter"
        case .noIndex: return "no_index"
        }
    }

    public var remedy: Remedy? {
        switch self {
        case let .noUserVector(_, remedy): return remedy
        case let .noIndex(t): return Remedy(commandLine: "run `recsys index build --table \(t)`")
        default: return nil
        }
    }

    public var problem: String {
        switch self {
        case let .dimensionMismatch(table, expected, got):
            return "table '\(table)' has dimension \(expected), but the query vector has \(got) components"
        case let .emptyTable(t): return "table '\(t)' has no vectors"
        case let .noUserVector(m, _): return m
        case let .invalidParameter(m): return m
        case let .noIndex(t): return "table '\(t)' has no recall index"
        }
    }
}
