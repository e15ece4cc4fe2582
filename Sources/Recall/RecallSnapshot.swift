import CKernels
import EmbedStore
import Foundation

/// How one search runs.
public struct SearchOptions: Sendable {
    /// Results wanted.
    public var k: Int
    /// Similarity; defaults to the index's (cosine without an index).
    public var metric: Metric?
    /// Scan every vector instead of using the index.
    public var exact: Bool
    /// Override the index's tables (fewer than built), probes and candidate budget (0 = keep).
    public var tables: Int
    public var probes: Int
    public var candidateBudget: Int
    /// Candidates re-scored per result wanted (nearest by sketch first; 0 =
    /// all; nil = the index's).
    public var rescore: Int?
    /// Rows never returned (the user's history).
    public var excludedRows: Set<Int>
    /// Only rows whose items match every `column=value` pair.
    public var filters: [ItemFilter]
    /// Time each phase into `SearchResult.statistics` (counts are always there).
    public var timePhases = false

    public init(k: Int = 10, metric: Metric? = nil, exact: Bool = false, tables: Int = 0, probes: Int = 0, candidateBudget: Int = 0, rescore: Int? = nil, excludedRows: Set<Int> = [], filters: [ItemFilter] = []) {
        self.k = k
        self.metric = metric
        self.exact = exact
        self.tables = tables
        self.probes = probes
        self.candidateBudget = candidateBudget
        self.rescore = rescore
        self.excludedRows = excludedRows
        self.filters = filters
    }

    /// The largest `k`, `rescore` and `candidateBudget` a search accepts:
    /// far above any recall stage's need, low enough that no product of
    /// them overflows or asks for more memory than a machine has.
    public static let maxK = 1_000_000
    /// The largest probes per table (2^24 buckets, the most an index has).
    public static let maxProbes = 1 << 24

    /// Throws `RecallError.invalidParameter` naming the first value out of range.
    public func validate() throws {
        func check(_ name: String, _ v: Int, _ range: ClosedRange<Int>) throws {
            guard range.contains(v) else { throw RecallError.invalidParameter("\(name) must be in \(range.lowerBound)...\(range.upperBound), got \(v)") }
        }
        try check("k", k, 1...Self.maxK)
        try check("tables", tables, 0...64)
        try check("probes", probes, 0...Self.maxProbes)
        try check("candidate budget", candidateBudget, 0...Self.maxK * 100)
        if let rescore { try check("rescore", rescore, 0...Self.maxK) }
    }
}

/// One search's answer.
public struct SearchResult: Sendable {
    /// (row, score), best first.
    public var hits: [(row: Int, score: Float)]
    /// Candidates re-scored.
    public var candidates: Int
    /// Candidates the probes gathered (before the sketch filter); equals
    /// `candidates` for exact search.
    public var gathered: Int = 0
    /// Buckets probed (0 for exact search).
    public var probes: Int
    public var method: SearchMethod
    /// Why exact search was used instead of the index, if it was.
    public var note: String?
    /// Per-phase counts (and times when asked for).
    public var statistics = QueryStatistics()
}

/// A consistent read-only view of one table and its index for many queries:
/// one LMDB read transaction, every block and index part resolved once.
///
/// Rules:
/// - Safe to share between threads: lookups on several threads at once run
///   on further read transactions at the same LMDB version (`ReaderPool`), so
///   they do not queue on one transaction.
/// - A snapshot shows one version for as long as it lives; readers of a newer
///   version open a new snapshot. Avoid keeping one long after commits: LMDB
///   reuses no page freed after its oldest open reader, so the file grows.
/// - `table` is bound to the snapshot's own transaction, which serves one
///   thread at a time: a caller sharing the snapshot looks ids up through
///   `row(of:)`, `rows(of:)`, `ids(ofRows:)` or `withTransaction`, not
///   through `table` directly.
public final class RecallSnapshot: @unchecked Sendable {
    /// The table as of this snapshot.
    public let table: VectorTable
    /// Random access to rows.
    public let rows: RowAccessor
    /// The index metadata, when an index exists (fresh or not).
    public let indexInfo: IndexInfo?
    /// Set when the index exists but is stale (exact search is used).
    public let staleNote: String?
    let index: LSHIndexView?
    private let residentCopy: ResidentRows?
    private let readers: ReaderPool
    /// Ids by row through the id blocks; nil for a version with one key per row.
    private let idAccessor: IDAccessor?
    private let itemCache = ItemCache()
    private let filters = FilterCache()
    private let scans = ScanCache()
    private let scratch: ScratchPool<SearchScratch>

    /// Opens a snapshot of `table` in `store`.
    /// - Parameter resident: copy the rows into huge-page memory first: worth it
    ///   for a server or a benchmark that runs many queries on one snapshot.
    public convenience init(store: Store, table name: String, resident: Bool = false) throws {
        try self.init(transaction: try store.beginRead(), owned: true, table: name, resident: resident)
    }

    /// A snapshot inside the caller's transaction, which must outlive it.
    public convenience init(borrowing txn: Transaction, table name: String) throws {
        try self.init(transaction: txn, owned: false, table: name)
    }

    private init(transaction txn: Transaction, owned: Bool, table name: String, resident: Bool = false) throws {
        do {
            table = try txn.table(name)
            if resident {
                let copy = try table.residentRows()
                residentCopy = copy
                rows = copy.accessor
            } else {
                residentCopy = nil
                rows = try table.rowAccessor()
            }
            idAccessor = try table.idAccessor()
            do {
                let view = try LSHIndexView(txn: txn, table: table)
                indexInfo = view?.info
                staleNote = nil
                index = view
            } catch let stale as StaleIndex {
                indexInfo = stale.info
                staleNote = stale.info.staleness(against: table)
                index = nil
            }
        } catch {
            if owned { txn.end() }
            throw error
        }
        readers = ReaderPool(primary: .init(txn: txn, table: table), owned: owned)
        let planes = index.map { $0.info.parameters.tables * $0.info.parameters.bits } ?? 1
        scratch = ScratchPool { [slots = rows.slots, dimension = rows.dimension] in SearchScratch(slots: slots, dimension: dimension, maxPlanes: planes) }
    }

    /// Table version and generation this snapshot shows.
    public var version: (version: UInt32, generation: UInt64) { (table.info.version, table.info.current.generation) }

    // MARK: lookups

    /// The row of `id`, or nil.
    public func row(of id: String) -> Int? {
        readers.withReader { try? $0.table.row(of: id) }
    }

    /// Rows of the given item ids that exist in this table.
    public func rows(of items: [String]) -> Set<Int> {
        Set(rowsInOrder(of: items).compactMap { $0 })
    }

    /// The row of each of `items`, in order (nil where absent), looked up
    /// through one transaction.
    func rowsInOrder(of items: [String]) -> [Int?] {
        readers.withReader { reader in items.map { try? reader.table.row(of: $0) } }
    }

    /// The id at `row`.
    public func id(ofRow row: Int) -> String {
        ids(ofRows: CollectionOfOne(row))[0]
    }

    /// The ids at `rows`, in order; a row with no id (deleted, or its block
    /// damaged) reads as its number.
    public func ids<Rows: Collection>(ofRows rows: Rows) -> [String] where Rows.Element == Int {
        if let idAccessor { return rows.map { idAccessor.id(ofRow: $0) ?? String($0) } }
        return readers.withReader { reader in rows.map { (try? reader.table.id(ofRow: $0)) ?? String($0) } }
    }

    /// The item metadata of `id`, as of this snapshot (decoded once, then cached).
    public func item(_ id: String) -> Item? {
        items([id])[0]
    }

    /// The item metadata of each of `ids`, in order (nil where the items
    /// table has none): each decoded once per snapshot.
    public func items(_ ids: [String]) -> [Item?] {
        itemCache.items(ids, readers: readers)
    }

    /// Runs `body` with a transaction at this snapshot's version (one caller
    /// at a time per transaction; concurrent callers get pooled ones).
    public func withTransaction<R>(_ body: (Transaction) throws -> R) rethrows -> R {
        try readers.withReader { try body($0.txn) }
    }

    /// A copy of the vector at `row`.
    public func vector(ofRow row: Int) -> [Float] {
        Array(UnsafeBufferPointer(start: rows.row(row), count: rows.dimension))
    }

    // MARK: search

    /// The `k` nearest rows to `query`.
    ///
    /// The index is used unless a scan is cheaper: k over a quarter of the
    /// table (the probes would reach most rows and the exact completion would
    /// run anyway), or a table of at most 16,384 floats (64 KiB: 881 x 10 for
    /// SparrowRecSys), which scans in about the time the index takes to hash
    /// the query, unless the caller tunes the index (tables, probes, rescore).
    /// When the index's candidates hold fewer than k admitted rows (filters,
    /// exclusions), an exact scan completes the answer (`lshThenExact`).
    public func search(_ query: [Float], options: SearchOptions) throws -> SearchResult {
        guard query.count == table.dimension else {
            throw RecallError.dimensionMismatch(table: table.name, expected: table.dimension, got: query.count)
        }
        guard table.count > 0 else { throw RecallError.emptyTable(table.name) }
        try options.validate()
        let admission = Admission(allowed: try filters.allowedRows(options.filters, slots: rows.slots, readers: readers),
                                  excluded: options.excludedRows, rows: rows)
        let metric = options.metric ?? index?.info.metric ?? .cosine
        let exact = ExactScan(rows: rows, liveRows: table.count, cache: scans)
        return scratch.withScratch { s in
            prepareQuery(query, metric: metric, s)
            let tuned = options.tables > 0 || options.probes > 0 || options.rescore != nil || options.candidateBudget > 0
            let scanIsCheaper = options.k * 4 >= rows.slots || (!tuned && (rows.slots * rows.dimension <= 16_384 || index?.info.prefersScan == true))
            guard !options.exact, !scanIsCheaper, let index else {
                var r = exact.search(k: options.k, metric: metric, admission: admission, s, timed: options.timePhases)
                if !options.exact { r.note = staleNote }
                return r
            }
            let result = LSHQuery(index: index, rows: rows, options: options, metric: metric, scratch: s).search(k: options.k, admission: admission, timed: options.timePhases)
            // the live row count bounds the answer only without filters or exclusions
            let wanted = admission.isUnfiltered ? min(options.k, table.count) : options.k
            guard result.hits.count < wanted else { return result }
            var completed = exact.search(k: options.k, metric: metric, admission: admission, s, timed: options.timePhases)
            completed.candidates += result.candidates
            completed.probes = result.probes
            completed.method = .lshThenExact
            completed.statistics.probes = result.statistics.probes
            completed.statistics.gathered += result.statistics.gathered
            completed.statistics.filtered += result.statistics.filtered
            completed.statistics.rescored += result.statistics.rescored
            completed.statistics.probeNs = result.statistics.probeNs
            completed.statistics.gatherNs = result.statistics.gatherNs
            completed.statistics.filterNs = result.statistics.filterNs
            completed.statistics.rescoreNs += result.statistics.rescoreNs
            return completed
        }
    }

    /// The query in the scratch, normalised for cosine.
    private func prepareQuery(_ query: [Float], metric: Metric, _ s: SearchScratch) {
        var n: Float = 1
        if metric == .cosine {
            n = query.withUnsafeBufferPointer { VectorMath.norm($0.baseAddress!, $0.count) }
            if n == 0 { n = 1 }
        }
        for i in 0..<query.count { s.query[i] = query[i] / n }
    }
}

extension RecallSnapshot {
    /// The buckets a query probes, in order, with the query's projections
    /// (`tables x bits`, the margins the order is by): for tests of the
    /// multiprobe sequence. Nil without an index.
    func probeSequence(_ query: [Float], options: SearchOptions) -> (probes: [(table: Int, code: UInt32)], projections: [Float], bits: Int)? {
        guard let index else { return nil }
        return scratch.withScratch { s in
            prepareQuery(query, metric: index.info.metric, s)
            let q = LSHQuery(index: index, rows: rows, options: options, metric: index.info.metric, scratch: s)
            let probes = q.probeSequence().map { (table: Int($0 >> 32), code: UInt32($0 & 0xFFFF_FFFF)) }
            let bits = index.info.parameters.bits
            return (probes, Array(UnsafeBufferPointer(start: s.projectionBuffer, count: q.tables * bits)), bits)
        }
    }
}
