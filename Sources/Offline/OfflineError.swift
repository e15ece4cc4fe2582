import EmbedStore

/// Errors of the offline jobs, each naming the file and line (or the
/// option) to fix.
public enum OfflineError: ClassifiedError, CustomStringConvertible, Equatable, Sendable {
    /// A malformed input row: `file:line: reason`.
    case badInput(file: String, line: Int, reason: String)
    /// A file that cannot be used at all (missing, empty, no header).
    case unusable(file: String, reason: String)
    /// An option out of range or malformed.
    case invalidOption(String)

    public var kind: ErrorKind {
        switch self {
        case .badInput, .unusable, .invalidOption: return .invalid
        }
    }

    public var code: String {
        switch self {
        case .badInput: return "bad_input"
        case .unusable: return "unusable_input"
        case .invalidOption: return "invalid_option"
        }
    }

    public var description: String {
        switch self {
        case let .badInput(file, line, reason): return "\(file):\(line): \(reason)"
        case let .unusable(file, reason): return "\(file): \(reason)"
        case let .invalidOption(message): return message
        }
    }
}
