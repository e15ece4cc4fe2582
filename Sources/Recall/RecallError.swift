/// Errors raised by the recall stage, with messages a user can act on.
public enum RecallError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The query vector's dimension differs from the table's.
    case dimensionMismatch(table: String, expected: Int, got: Int)
    /// The table has no live vectors.
    case emptyTable(String)
    /// No user vector could be built (unknown user, empty history, ...).
    case noUserVector(String)
    /// A parameter is out of range.
    case invalidParameter(String)
    /// The table has no index.
    case noIndex(String)

    public var description: String {
        switch self {
        case let .dimensionMismatch(table, expected, got):
            return "table '\(table)' has dimension \(expected), but the query vector has \(got) components"
        case let .emptyTable(t): return "table '\(t)' has no vectors"
        case let .noUserVector(m): return m
        case let .invalidParameter(m): return m
        case let .noIndex(t): return "table '\(t)' has no recall index (run `recsys index build --table \(t)`)"
        }
    }
}
