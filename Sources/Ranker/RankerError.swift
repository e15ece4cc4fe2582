/// Errors raised by the ranking stage, with messages a user can act on.
public enum RankerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The feature spec is invalid.
    case badSpec(String)
    /// A samples file is malformed: `file:line: reason`.
    case badSamples(file: String, line: Int, reason: String)
    /// No model with this name is stored.
    case unknownModel(String)
    /// A training option is invalid.
    case badOption(String)

    public var description: String {
        switch self {
        case let .badSpec(m): return "feature spec: \(m)"
        case let .badSamples(file, line, reason): return line > 0 ? "\(file):\(line): \(reason)" : "\(file): \(reason)"
        case let .unknownModel(name): return "no model named '\(name)' (train one with `recsys train --model \(name)`)"
        case let .badOption(m): return m
        }
    }
}
