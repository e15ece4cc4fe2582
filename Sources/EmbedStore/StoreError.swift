/// Errors raised by the embedding store. Every message names what was wrong
/// and, for input files, where (`file:line` or `file: record N`).
public enum StoreError: ExplainedError, Equatable, Sendable {
    /// LMDB returned an error code the store does not handle itself.
    case lmdb(operation: String, code: Int32, message: String)
    /// No table with this name exists in the store.
    case unknownTable(String)
    /// The table exists but has no vector under this id.
    case unknownID(table: String, id: String)
    /// A vector does not have the table's dimension.
    case dimensionMismatch(table: String, expected: Int, got: Int)
    /// An argument is invalid (empty table name, bad option value, ...).
    case invalidArgument(String, remedy: Remedy? = nil)
    /// An input file is malformed; `location` is `line N` or `record N`.
    case badInput(file: String, location: String, reason: String)
    /// A file could not be opened, read or written.
    case io(path: String, reason: String)
    /// The operation needs something the store does not hold yet.
    case notFound(String, remedy: Remedy? = nil)
    /// The store's files are damaged; nothing was read from them.
    case damaged(path: String, reason: String)
    /// A write to a store opened read-only (no write permission).
    case readOnly(path: String)
    /// The file system holding the store has no room; nothing was written.
    /// `needed` is the estimate a job checked before starting, if any.
    case diskFull(path: String, available: Int, needed: Int?)

    public var kind: ErrorKind {
        switch self {
        case .unknownTable, .unknownID, .notFound: return .notFound
        case .dimensionMismatch, .invalidArgument, .badInput: return .invalid
        case .damaged: return .damaged
        case .readOnly: return .unavailable
        case .diskFull: return .storageFull
        case .lmdb, .io: return .failed
        }
    }

    public var code: String {
        switch self {
        case .lmdb: return "store_failure"
        case .unknownTable: return "unknown_table"
        case .unknownID: return "unknown_id"
        case .dimensionMismatch: return "dimension_mismatch"
        case .invalidArgument: return "invalid_argument"
        case .badInput: return "bad_input"
        case .io: return "io_error"
        case .notFound: return "not_found"
        case .damaged: return "store_damaged"
        case .readOnly: return "store_read_only"
        case .diskFull: return "disk_full"
        }
    }

    public var remedy: Remedy? {
        switch self {
        case .unknownTable: return Remedy(commandLine: "see `recsys embedding list`", http: "GET /v1/tables lists them")
        case let .invalidArgument(_, remedy), let .notFound(_, remedy): return remedy
        default: return nil
        }
    }

    public var problem: String {
        switch self {
        case let .lmdb(operation, code, message):
            return "store error in \(operation): \(message) (LMDB code \(code))"
        case let .unknownTable(name):
            return "no embedding table named '\(name)'"
        case let .unknownID(table, id):
            return "table '\(table)' has no vector with id '\(id)'"
        case let .dimensionMismatch(table, expected, got):
            return "table '\(table)' has dimension \(expected), but the vector has \(got) components"
        case let .invalidArgument(message, _):
            return message
        case let .badInput(file, location, reason):
            return location.isEmpty ? "\(file): \(reason)" : "\(file):\(location): \(reason)"
        case let .io(path, reason):
            return "\(path): \(reason)"
        case let .notFound(message, _):
            return message
        case let .damaged(path, reason):
            return "store at \(path) is damaged: \(reason). Restore it from a snapshot or a copy made with `mdb_copy`"
        case let .readOnly(path):
            return "store at \(path) is read-only here (no write permission): reads work, writes do not"
        case let .diskFull(path, available, needed):
            let mb = { (b: Int) in String(format: "%.1f MB", Double(b) / 1e6) }
            return "the disk holding \(path) is full (\(mb(available)) free\(needed.map { ", about \(mb($0)) needed" } ?? "")): free space or move the store; nothing was written"
        }
    }
}
