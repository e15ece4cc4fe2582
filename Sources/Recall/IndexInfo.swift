import EmbedStore
import Foundation

/// How vectors are compared.
public enum Metric: String, Codable, Sendable, CaseIterable {
    /// Cosine similarity: the dot product of unit vectors.
    case cosine
    /// The raw inner product (the index still hashes by angle).
    case dot
}

/// LSH parameters. Zero means "choose automatically".
public struct IndexParameters: Codable, Sendable, Equatable {
    /// Hash tables (L).
    public var tables: Int
    /// Bits per table (K): 2^K buckets each.
    public var bits: Int
    /// Buckets probed per table on average (1 = no multi-probe).
    public var probes: Int
    /// Stop once this many candidates were re-scored (0 = no limit).
    public var candidateBudget: Int
    /// Candidates re-scored per result wanted: of the candidates the probes
    /// gather, only the `rescore * k` nearest to the query by a 64-bit sign
    /// sketch (Hamming distance) are read and scored exactly. In a built
    /// index 0 means every candidate is re-scored; given to a build, 0 means
    /// "choose automatically".
    public var rescore: Int
    /// Keep an 8-bit copy of the rows in the index (d bytes a row, a quarter
    /// of the vectors) and choose the `rescore * k` candidates to re-score
    /// by it instead of by the sketch: one cache line a 64-d candidate
    /// instead of four, and near-exact order, so few need re-scoring.
    public var quantized: Bool

    public init(tables: Int = 0, bits: Int = 0, probes: Int = 0, candidateBudget: Int = 0, rescore: Int = 0, quantized: Bool = false) {
        self.tables = tables
        self.bits = bits
        self.probes = probes
        self.candidateBudget = candidateBudget
        self.rescore = rescore
        self.quantized = quantized
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tables = try c.decode(Int.self, forKey: .tables)
        bits = try c.decode(Int.self, forKey: .bits)
        probes = try c.decode(Int.self, forKey: .probes)
        candidateBudget = try c.decode(Int.self, forKey: .candidateBudget)
        rescore = try c.decodeIfPresent(Int.self, forKey: .rescore) ?? 0
        quantized = try c.decodeIfPresent(Bool.self, forKey: .quantized) ?? false
    }
}

/// What an index holds and how well it did when it was built.
public struct IndexInfo: Codable, Sendable {
    /// The indexed table.
    public var table: String
    /// The table version it was built from.
    public var tableVersion: UInt32
    /// The table generation it reflects (single-vector changes applied since).
    public var generation: UInt64
    /// Vector dimension.
    public var dimension: Int
    /// Row slots covered by the bucket lists (later rows live in the delta).
    public var rows: Int
    /// The parameters in use.
    public var parameters: IndexParameters
    /// The similarity it re-scores with.
    public var metric: Metric
    /// Seed of the random hyperplanes.
    public var seed: UInt64
    /// Recall@10 reached on a sample of the table's own vectors at build time.
    public var recallAtBuild: Double?
    /// Mean recall@10 of the worst tenth of the sample queries at build time.
    public var worstTenthRecallAtBuild: Double?
    /// The tuning found a scan cheaper than any index reaching the target:
    /// queries scan unless they tune the index themselves.
    public var prefersScan: Bool?
    /// Mean candidates re-scored per sample query at build time.
    public var candidatesAtBuild: Double?
    /// Sample queries used to choose the parameters.
    public var sampleQueries: Int
    /// Seconds the build took.
    public var buildSeconds: Double
    /// Bytes of index data in the store.
    public var bytes: Int
    /// Entries in the delta (rows changed since the build).
    public var deltaRows: Int
    /// When it was built.
    public var createdAt: Date
    /// Layout of the stored parts; an index in a layout this version cannot
    /// read is treated as stale.
    public var format: Int?
    /// Bytes per bucket-list entry (format 6): 3 when every row number fits
    /// in 24 bits, else 4. Format 5 lists are 4 bytes an entry.
    public var entryBytes: Int?

    /// The layout this build writes. 4: projections summed in blocks of 8
    /// planes (a near-zero margin may round to the other sign than under
    /// layout 3's per-plane sums, so older bucket lists are not reused).
    /// 6: entries as narrow as the row numbers allow (`entryBytes`).
    public static let currentFormat = 6
    /// Layouts this version reads: 5 differs from 6 only in always using 4-byte entries.
    public static let readableFormats: Set<Int> = [5, 6]

    /// Bytes per bucket-list entry of this index.
    var entryWidth: Int { format == 5 ? 4 : (entryBytes ?? 4) }

    /// The entry width a build over `slots` row slots writes: row numbers are
    /// read as 4 bytes masked to the width, so 3 bytes serve up to 2^24 rows
    /// and a table with a quarter fewer bytes per table fits the same memory.
    static func entryWidth(slots: Int) -> Int { slots <= 1 << 24 ? 3 : 4 }
}

/// Keys of an index's parts in the store's index area.
struct IndexKeys {
    let table: String
    var prefix: String { "lsh\u{1}\(table)\u{1}" }
    var meta: String { prefix + "meta" }
    var planes: String { prefix + "planes" }
    var delta: String { prefix + "delta" }
    var sketchPlanes: String { prefix + "sketch.planes" }
    var sketches: String { prefix + "sketch.rows" }
    var quantizedScales: String { prefix + "sq8.scales" }
    var quantizedRows: String { prefix + "sq8.rows" }
    func offsets(_ l: Int) -> String { prefix + "t\(l).offsets" }
    func rows(_ l: Int) -> String { prefix + "t\(l).rows" }
}

extension IndexInfo {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .secondsSince1970
        return e
    }()
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .secondsSince1970
        return d
    }()

    /// The index metadata of `table`, or nil when it has none.
    public static func load(_ txn: Transaction, table: String) throws -> IndexInfo? {
        guard let raw = try txn.blob(.index, IndexKeys(table: table).meta) else { return nil }
        return try decoder.decode(IndexInfo.self, from: Data(raw))
    }

    func save(_ txn: Transaction) throws {
        let data = try IndexInfo.encoder.encode(self)
        try data.withUnsafeBytes { try txn.putBlob(.index, IndexKeys(table: table).meta, $0) }
    }

    /// Why this index cannot serve `table`'s current contents, or nil when it can.
    public func staleness(against table: VectorTable) -> String? {
        if !IndexInfo.readableFormats.contains(format ?? 0) {
            return "the index of '\(self.table)' was written by another recsys version: using exact search (rebuild with `recsys index build --table \(self.table)`)"
        }
        if tableVersion != table.info.version {
            return "the index of '\(self.table)' was built from version \(tableVersion), the table is at version \(table.info.version): using exact search (rebuild with `recsys index build --table \(self.table)`)"
        }
        if generation != table.info.current.generation || dimension != table.dimension {
            return "the index of '\(self.table)' missed changes made to the table: using exact search (rebuild with `recsys index build --table \(self.table)`)"
        }
        return nil
    }
}
