/// What a user can do about an error, said for the interface they use: the
/// command line names commands and options, HTTP names routes and
/// parameters. Errors keep the problem itself free of either, so one error
/// reads right in a terminal and in a JSON body.
public struct Remedy: Sendable, Equatable {
    /// For a terminal: `run \`recsys items import FILE\` first`.
    public let commandLine: String
    /// For an HTTP client; nil when only the operator can act (build an
    /// index, import data), which the client is not told how to do.
    public let http: String?

    public init(commandLine: String, http: String? = nil) {
        self.commandLine = commandLine
        self.http = http
    }
}

/// An error stated as a problem plus an optional remedy.
public protocol ExplainedError: ClassifiedError, CustomStringConvertible {
    /// What is wrong, naming no command, option or route.
    var problem: String { get }
    var remedy: Remedy? { get }
}

extension ExplainedError {
    /// The problem and the command-line remedy (what `recsys` prints).
    public var description: String { remedy.map { "\(problem) (\($0.commandLine))" } ?? problem }
    /// The problem and the HTTP remedy (what the service answers).
    public var httpDescription: String { remedy?.http.map { "\(problem) (\($0))" } ?? problem }
}
