import EmbedStore
import Foundation

/// The latest `recall eval` sweep of a table, kept in the store so the
/// service can show the index's recall/latency trade-off without re-running
/// it. One record per table, replaced by each sweep; it names the table and
/// index versions it measured, so a reader can tell a stale one.
public struct RecordedEvaluations: Codable, Sendable {
    public var table: String
    public var tableVersion: UInt32
    /// When the measured index was built (nil: measured without an index).
    public var indexCreatedAt: Date?
    public var recordedAt: Date
    public var rows: [RecallEvaluation]

    public init(table: String, tableVersion: UInt32, indexCreatedAt: Date?, rows: [RecallEvaluation]) {
        self.table = table
        self.tableVersion = tableVersion
        self.indexCreatedAt = indexCreatedAt
        self.recordedAt = Date()
        self.rows = rows
    }

    private static func key(_ table: String) -> String { "recall-eval/\(table)" }

    /// Replaces the record of `table`.
    public func save(_ txn: Transaction) throws {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .secondsSince1970
        let data = try e.encode(self)
        try data.withUnsafeBytes { try txn.putBlob(.meta, Self.key(table), $0) }
    }

    /// The record of `table`, nil when none was kept (or it cannot be read).
    public static func load(_ txn: Transaction, table: String) throws -> RecordedEvaluations? {
        guard let raw = try txn.blob(.meta, key(table)) else { return nil }
        let d = JSONDecoder()
        d.dateDecodingStrategy = .secondsSince1970
        return try? d.decode(RecordedEvaluations.self, from: Data(raw))
    }
}
