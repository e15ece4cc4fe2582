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
    /// Rows never returned (the user's history).
    public var excludedRows: Set<Int>
    /// Only rows whose items match every `column=value` pair.
    public var filters: [ItemFilter]

    public init(k: Int = 10, metric: Metric? = nil, exact: Bool = false, tables: Int = 0, probes: Int = 0, candidateBudget: Int = 0, excludedRows: Set<Int> = [], filters: [ItemFilter] = []) {
        self.k = k
        self.metric = metric
        self.exact = exact
        self.tables = tables
        self.probes = probes
        self.candidateBudget = candidateBudget
        self.excludedRows = excludedRows
        self.filters = filters
    }
}

/// `column=value` over the items table (`genre=Comedy` matches one of the `|`-separated genres).
public struct ItemFilter: Sendable, Hashable {
    public let column: String
    public let value: String
    public init(column: String, value: String) {
        self.column = column
        self.value = value
    }
    /// Parses `COL=VAL`.
    public init(parsing text: String) throws {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw RecallError.invalidParameter("--where expects COLUMN=VALUE, got '\(text)'")
        }
        column = String(text[..<eq])
        value = String(text[text.index(after: eq)...])
    }
}

/// One search's answer.
public struct SearchResult: Sendable {
    /// (row, score), best first.
    public var hits: [(row: Int, score: Float)]
    /// Candidates re-scored.
    public var candidates: Int
    /// Buckets probed (0 for exact search).
    public var probes: Int
    /// "lsh" or "exact".
    public var method: String
    /// Why exact search was used instead of the index, if it was.
    public var note: String?
}

/// A consistent read-only view of one table and its index for many queries:
/// one LMDB read transaction, every block and index part resolved once. Safe
/// to share between threads; readers of a newer version open a new snapshot.
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
    let txn: Transaction
    private let ownsTransaction: Bool
    private let lock = NSLock()
    private var pool: [SearchScratch] = []
    private var filterCache: [[ItemFilter]: [UInt64]] = [:]
    private var itemCache: [String: Item?] = [:]
    private var idCache: [Int: String] = [:]
    private var itemColumns: [String]?

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

    private init(transaction: Transaction, owned: Bool, table name: String, resident: Bool = false) throws {
        txn = transaction
        ownsTransaction = owned
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
    }

    deinit { if ownsTransaction { txn.end() } }

    /// Table version and generation this snapshot shows.
    public var version: (version: UInt32, generation: UInt64) { (table.info.version, table.info.current.generation) }

    // MARK: lookups through the snapshot's transaction

    /// The row of `id`, or nil.
    public func row(of id: String) -> Int? {
        lock.lock(); defer { lock.unlock() }
        return try? table.row(of: id)
    }

    /// The id at `row`.
    public func id(ofRow row: Int) -> String {
        ids(ofRows: CollectionOfOne(row))[0]
    }

    /// The ids at `rows`, in order: one lock for the batch, each id read from
    /// the store once per snapshot and then served from memory.
    public func ids<Rows: Collection>(ofRows rows: Rows) -> [String] where Rows.Element == Int {
        lock.lock(); defer { lock.unlock() }
        return rows.map { row in
            if let cached = idCache[row] { return cached }
            let id = (try? table.id(ofRow: row)) ?? String(row)
            idCache[row] = id
            return id
        }
    }

    /// The item metadata of `id`, as of this snapshot (decoded once, then cached).
    public func item(_ id: String) -> Item? {
        items([id])[0]
    }

    /// The item metadata of each of `ids`, in order (nil where the items
    /// table has none): one lock for the batch, each decoded once per snapshot.
    public func items(_ ids: [String]) -> [Item?] {
        lock.lock(); defer { lock.unlock() }
        if itemColumns == nil { itemColumns = (try? txn.itemColumns()) ?? [] }
        return ids.map { id in
            if let cached = itemCache[id] { return cached }
            let item = try? txn.item(id, columns: itemColumns!)
            itemCache[id] = item
            return item
        }
    }

    /// Runs `body` with the snapshot's transaction (serialized with other lookups).
    public func withTransaction<R>(_ body: (Transaction) throws -> R) rethrows -> R {
        lock.lock(); defer { lock.unlock() }
        return try body(txn)
    }

    /// A copy of the vector at `row`.
    public func vector(ofRow row: Int) -> [Float] {
        Array(UnsafeBufferPointer(start: rows.row(row), count: rows.dimension))
    }

    // MARK: search

    /// The `k` nearest rows to `query`.
    public func search(_ query: [Float], options: SearchOptions) throws -> SearchResult {
        guard query.count == table.dimension else {
            throw RecallError.dimensionMismatch(table: table.name, expected: table.dimension, got: query.count)
        }
        guard table.count > 0 else { throw RecallError.emptyTable(table.name) }
        guard options.k > 0 else { throw RecallError.invalidParameter("k must be positive") }
        let allowed = try allowedRows(options.filters)
        let scratch = takeScratch()
        defer { giveBack(scratch) }
        let metric = options.metric ?? index?.info.metric ?? .cosine
        prepareQuery(query, metric: metric, scratch)
        // k over a quarter of the table: the probes would reach most rows and
        // the exact completion would run anyway, so scan at once.
        let scanIsCheaper = options.k * 4 >= rows.slots
        if !options.exact, !scanIsCheaper, let index {
            var result = lshSearch(index, options: options, metric: metric, allowed: allowed, scratch)
            let wanted = min(options.k, availableCount(options, allowed))
            if result.hits.count < wanted {
                // Too few matches reached the probed buckets: finish exactly.
                var exact = exactSearch(options: options, metric: metric, allowed: allowed, scratch)
                exact.candidates += result.candidates
                exact.probes = result.probes
                exact.method = "lsh+exact"
                result = exact
            }
            return result
        }
        var r = exactSearch(options: options, metric: metric, allowed: allowed, scratch)
        if !options.exact { r.note = staleNote }
        return r
    }

    private func availableCount(_ options: SearchOptions, _ allowed: [UInt64]?) -> Int {
        if allowed == nil && options.excludedRows.isEmpty { return table.count }
        return Int.max // unknown without a scan: let the exact pass decide
    }

    private func prepareQuery(_ query: [Float], metric: Metric, _ s: SearchScratch) {
        var n: Float = 1
        if metric == .cosine {
            n = query.withUnsafeBufferPointer { VectorMath.norm($0.baseAddress!, $0.count) }
            if n == 0 { n = 1 }
        }
        for i in 0..<query.count { s.query[i] = query[i] / n }
    }

    @inline(__always)
    private func admissible(_ row: Int, _ options: SearchOptions, _ allowed: [UInt64]?) -> Bool {
        if let allowed, allowed[row >> 6] & (1 << UInt64(row & 63)) == 0 { return false }
        if !options.excludedRows.isEmpty && options.excludedRows.contains(row) { return false }
        return rows.isLive(row)
    }

    func exactSearch(options: SearchOptions, metric: Metric, allowed: [UInt64]?, _ s: SearchScratch) -> SearchResult {
        s.heap.reset(k: options.k)
        let d = rows.dimension
        var candidates = 0
        s.query.withUnsafeBufferPointer { qb in
            let q = qb.baseAddress!
            for row in 0..<rows.slots where admissible(row, options, allowed) {
                let x = rows.row(row)
                var score = VectorMath.dot(q, x, d)
                if metric == .cosine {
                    let n = VectorMath.dot(x, x, d)
                    if n == 0 { continue }
                    score /= n.squareRoot()
                }
                candidates += 1
                if score > s.heap.threshold { s.heap.insert(score: score, row: row) }
            }
        }
        return SearchResult(hits: s.heap.sorted(), candidates: candidates, probes: 0, method: "exact", note: nil)
    }

    func lshSearch(_ index: LSHIndexView, options: SearchOptions, metric: Metric, allowed: [UInt64]?, _ s: SearchScratch) -> SearchResult {
        let p = index.info.parameters
        let L = options.tables > 0 ? min(options.tables, p.tables) : p.tables
        let K = p.bits
        let probesPerTable = options.probes > 0 ? options.probes : p.probes
        let budget = options.candidateBudget > 0 ? options.candidateBudget : p.candidateBudget
        let totalProbes = L * max(1, probesPerTable)
        let d = rows.dimension
        s.prepare(slots: rows.slots)
        // Work on locals: class-property access in the loop pays exclusivity checks.
        var heap = s.heap, probeHeap = s.probeHeap, touched = s.touched
        var candidateRows = s.candidateRows, candidateNorms = s.candidateNorms
        s.heap = TopK(k: 1); s.probeHeap = ProbeHeap(); s.touched = []; s.candidateRows = []; s.candidateNorms = []
        defer {
            s.heap = heap; s.probeHeap = probeHeap; s.touched = touched
            s.candidateRows = candidateRows; s.candidateNorms = candidateNorms
        }
        heap.reset(k: options.k)
        var probes = 0
        let cosine = metric == .cosine
        s.query.withUnsafeBufferPointer { qb in
        s.projections.withUnsafeMutableBufferPointer { proj in
        s.order.withUnsafeMutableBufferPointer { order in
        s.visited.withUnsafeMutableBufferPointer { visited in
            let q = qb.baseAddress!
            index.hash.project(q, into: proj.baseAddress!, tables: L)
            // per table: bit positions by |margin|, then the base bucket
            probeHeap.reset()
            for l in 0..<L {
                let pl = proj.baseAddress! + l * K
                let ol = order.baseAddress! + l * K
                for j in 0..<K { ol[j] = Int32(j) }
                for j in 1..<max(1, K) {
                    let v = ol[j]
                    let m = abs(pl[Int(v)])
                    var i = j - 1
                    while i >= 0 && abs(pl[Int(ol[i])]) > m { ol[i + 1] = ol[i]; i -= 1 }
                    ol[i + 1] = v
                }
                probeHeap.push(0, table: l, mask: 0)
            }
            // 1. gather candidates from buckets in global probe order
            while probes < totalProbes && !probeHeap.isEmpty && (budget == 0 || candidateRows.count < budget) {
                let (score, l, mask) = probeHeap.pop()
                let pl = proj.baseAddress! + l * K
                let ol = order.baseAddress! + l * K
                let high = mask == 0 ? -1 : 31 - Int(mask.leadingZeroBitCount)
                if high + 1 < K {
                    let next = abs(pl[Int(ol[high + 1])])
                    let n2 = next * next
                    probeHeap.push(score + n2, table: l, mask: mask | (1 << UInt32(high + 1)))
                    if high >= 0 {
                        let cur = abs(pl[Int(ol[high])])
                        probeHeap.push(score - cur * cur + n2, table: l, mask: (mask & ~(1 << UInt32(high))) | (1 << UInt32(high + 1)))
                    }
                }
                var code = index.hash.code(proj.baseAddress!, table: l)
                var m = mask
                while m != 0 {
                    code ^= 1 << UInt32(ol[m.trailingZeroBitCount])
                    m &= m - 1
                }
                probes += 1
                let lo = Int(index.offsets[l][Int(code)]), hi = Int(index.offsets[l][Int(code) + 1])
                let entries = index.entries[l]
                for i in lo..<hi {
                    let row = Int(entries[2 * i])
                    // a row changed since the build is found through the delta only
                    if index.isOverridden(row) { continue }
                    let bit: UInt64 = 1 << UInt64(row & 63)
                    if visited[row >> 6] & bit != 0 { continue }
                    visited[row >> 6] |= bit
                    touched.append(Int32(row))
                    if !admissible(row, options, allowed) { continue }
                    candidateRows.append(Int32(row))
                    candidateNorms.append(Float(bitPattern: entries[2 * i + 1]))
                }
                if !index.deltaBuckets.isEmpty, let extra = index.deltaBuckets[UInt64(l) << 32 | UInt64(code)] {
                    for r in extra {
                        let row = Int(r)
                        let bit: UInt64 = 1 << UInt64(row & 63)
                        if row >= rows.slots || visited[row >> 6] & bit != 0 { continue }
                        visited[row >> 6] |= bit
                        touched.append(r)
                        if !admissible(row, options, allowed) { continue }
                        candidateRows.append(r)
                        candidateNorms.append(index.deltaInvNorms[r] ?? 0)
                    }
                }
            }
            for r in touched { visited[Int(r) >> 6] = 0 }
            // 2. score them in one tight pass
            candidateRows.withUnsafeBufferPointer { cr in
                candidateNorms.withUnsafeBufferPointer { cn in
                    let ahead = 8
                    let bytesPerRow = d * 4
                    for i in 0..<min(ahead, cr.count) { prefetchRow(rows.row(Int(cr[i])), bytesPerRow) }
                    for i in 0..<cr.count {
                        if i + ahead < cr.count { prefetchRow(rows.row(Int(cr[i + ahead])), bytesPerRow) }
                        let row = Int(cr[i])
                        var sc = VectorMath.dot(q, rows.row(row), d)
                        if cosine { sc *= cn[i] }
                        if sc > heap.threshold { heap.insert(score: sc, row: row) }
                    }
                }
            }
        }}}}
        return SearchResult(hits: heap.sorted(), candidates: candidateRows.count, probes: probes, method: "lsh", note: nil)
    }

    @inline(__always)
    private func prefetchRow(_ p: UnsafePointer<Float>, _ bytes: Int) {
        var off = 0
        while off < bytes {
            recsys_prefetch(UnsafeRawPointer(p) + off)
            off += 64
        }
    }

    // MARK: filters and scratch

    /// Rows whose items match every filter, as a bit set; nil without filters.
    func allowedRows(_ filters: [ItemFilter]) throws -> [UInt64]? {
        if filters.isEmpty { return nil }
        lock.lock(); defer { lock.unlock() }
        if let cached = filterCache[filters] { return cached }
        let columns = try txn.itemColumns()
        if columns.isEmpty { throw RecallError.invalidParameter("--where needs item metadata: run `recsys items import FILE` first") }
        for f in filters where !columns.contains(f.column) && !(f.column == "genre" && columns.contains("genres")) && f.column != "id" {
            throw RecallError.invalidParameter("--where: the items table has no column '\(f.column)' (columns: \(columns.joined(separator: ", ")))")
        }
        var bits = [UInt64](repeating: 0, count: (rows.slots + 63) / 64)
        try table.forEachID { row, rawID in
            let id = String(decoding: rawID, as: UTF8.self)
            if let item = try txn.item(id), filters.allSatisfy({ item.matches(column: $0.column, value: $0.value) }) {
                bits[row >> 6] |= 1 << UInt64(row & 63)
            }
        }
        filterCache[filters] = bits
        return bits
    }

    private func takeScratch() -> SearchScratch {
        lock.lock()
        if let s = pool.popLast() { lock.unlock(); return s }
        lock.unlock()
        let planes = index.map { $0.info.parameters.tables * $0.info.parameters.bits } ?? 1
        return SearchScratch(slots: rows.slots, dimension: rows.dimension, maxPlanes: planes)
    }

    private func giveBack(_ s: SearchScratch) {
        lock.lock(); pool.append(s); lock.unlock()
    }
}
