/// What kind of failure an error is, which decides how every interface
/// reports it: the HTTP status (`ErrorResponse`), the command line's exit
/// status, and whether a client should retry.
///
/// Rules:
/// - Every error recsys raises has a kind and a stable `code` (snake_case,
///   machine-readable, in JSON bodies beside the message); messages may be
///   reworded, codes are not.
/// - Each error type assigns kinds with an exhaustive switch (no `default:`),
///   so a new case must be classified to compile.
public enum ErrorKind: String, Sendable, CaseIterable {
    /// The request or input is wrong; the caller must change it (HTTP 400, exit 1).
    case invalid
    /// It names something the store does not hold (404, exit 1).
    case notFound
    /// The body is larger than accepted (413).
    case tooLarge
    /// Stored data fails a check: nothing was answered from it (503, exit 1).
    case damaged
    /// The store cannot do this here and now (read-only, writes disabled) (503 or 403, exit 1).
    case unavailable
    /// The disk holding the store is full; nothing was written (507, exit 1).
    case storageFull
    /// The store or the system failed in a way the caller cannot fix (500, exit 1).
    case failed
}

/// An error that says what kind it is and its stable code.
public protocol ClassifiedError: Error {
    var kind: ErrorKind { get }
    /// Stable and machine-readable, e.g. `unknown_table`.
    var code: String { get }
}
