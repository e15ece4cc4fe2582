import EmbedStore

/// Errors raised by the ranking stage, with messages a user can act on.
public enum RankerError: ExplainedError, Equatable, Sendable {
    /// The feature spec is invalid.
    case badSpec(String)
    /// A samples file is malformed: `file:line: reason`.
    case badSamples(file: String, line: Int, reason: String)
    /// No model with this name is stored.
    case unknownModel(String)
    /// A training option is invalid.
    case badOption(String)

    public var kind: ErrorKind {
        switch self {
        case .unknownModel: return .notFound
        case .badSpec, .badSamples, .badOption: return .invalid
        }
    }

    public var code: String {
        switch self {
        case .badSpec: return "bad_spec"
        case .badSamples: return "bad_samples"
        case .unknownModel: return "unknown_model"
        case .badOption: return "invalid_option"
        }
    }

    public var remedy: Remedy? {
        guard case let .unknownModel(name) = self else { return nil }
        return Remedy(commandLine: "train one with `recsys train --model \(name)`", http: "GET /v1/models lists the models")
    }

    public var problem: String {
        switch self {
        case let .badSpec(m): return "feature spec: \(m)"
        case let .badSamples(file, line, reason): return line > 0 ? "\(file):\(line): \(reason)" : "\(file): \(reason)"
        case let .unknownModel(name): return "no model named '\(name)'"
        case let .badOption(m): return m
        }
    }
}
