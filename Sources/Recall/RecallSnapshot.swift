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
    /// Candidates the probes gathered (before the sketch filter); equals
    /// `candidates` for exact search.
    public var gathered: Int = 0
    /// Buckets probed (0 for exact search).
    public var probes: Int
    /// "lsh" or "exact".
    public var method: String
    /// Why exact search was used instead of the index, if it was.
    public var note: String?
}

/// A consistent read-only view of one table and its index for many queries:
/// one LMDB read transaction, every block and index part resolved once. Safe
/// to share between threads: lookups on several threads at once run on
/// further read transactions at the same LMDB version, so they do not queue
/// on one transaction. Readers of a newer version open a new snapshot.
///
/// `table` is bound to the snapshot's own transaction, which serves one
/// thread at a time: a caller sharing the snapshot looks ids up through
/// `row(of:)`, `rows(of:)`, `ids(ofRows:)` or `withTransaction`, not through
/// `table` directly.
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
    /// Serializes use of `txn` (an LMDB transaction serves one thread at a time).
    private let txnLock = AdaptiveLock()
    /// Guards the pools and caches below; never held across a store read.
    private let lock = AdaptiveLock()
    /// Further read transactions at `txn`'s version, one per concurrent
    /// caller, so lookups on several threads do not queue on `txn`.
    private var readers: [Reader] = []
    private var pool: [SearchScratch] = []
    private var filterCache: [[ItemFilter]: [UInt64]] = [:]
    private var itemCache: [String: Item?] = [:]
    /// Ids by row, filled as rows are named (sized to the table on first use).
    private var idCache: [String?] = []
    private var itemColumns: [String]?
    private var inverseNorms: [Float]?
    private var scanLayouts: [Metric: ScanLayout] = [:]

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

    deinit {
        for reader in readers { reader.txn.end() }
        if ownsTransaction { txn.end() }
    }

    /// A read transaction and the snapshot's table as seen through it.
    private struct Reader {
        let txn: Transaction
        let table: VectorTable
    }

    /// Runs `body` with a transaction at this snapshot's version: a pooled
    /// one of its own when the snapshot owns its transaction and no commit
    /// has landed since it opened (the same LMDB transaction id means the same
    /// data), else the snapshot's transaction, one caller at a time.
    private func withReader<R>(_ body: (Reader) throws -> R) rethrows -> R {
        lock.lock()
        let pooled = readers.popLast()
        lock.unlock()
        guard let reader = pooled ?? openReader() else {
            txnLock.lock(); defer { txnLock.unlock() }
            return try body(Reader(txn: txn, table: table))
        }
        defer { lock.lock(); readers.append(reader); lock.unlock() }
        return try body(reader)
    }

    /// A new reader at `txn`'s version, or nil when there can be none.
    private func openReader() -> Reader? {
        guard ownsTransaction, let other = try? txn.store.beginRead() else { return nil }
        guard other.snapshotID == txn.snapshotID, let table = try? other.table(table.name) else {
            other.end()
            return nil
        }
        return Reader(txn: other, table: table)
    }

    /// Table version and generation this snapshot shows.
    public var version: (version: UInt32, generation: UInt64) { (table.info.version, table.info.current.generation) }

    // MARK: lookups through the snapshot's transaction

    /// The row of `id`, or nil.
    public func row(of id: String) -> Int? {
        withReader { try? $0.table.row(of: id) }
    }

    /// Rows of the given item ids that exist in this table.
    public func rows(of items: [String]) -> Set<Int> {
        Set(rowsInOrder(of: items).compactMap { $0 })
    }

    /// The row of each of `items`, in order (nil where absent), looked up
    /// through one transaction.
    func rowsInOrder(of items: [String]) -> [Int?] {
        withReader { reader in items.map { try? reader.table.row(of: $0) } }
    }

    /// The id at `row`.
    public func id(ofRow row: Int) -> String {
        ids(ofRows: CollectionOfOne(row))[0]
    }

    /// The ids at `rows`, in order: each id read from the store once per
    /// snapshot and then served from memory.
    public func ids<Rows: Collection>(ofRows rows: Rows) -> [String] where Rows.Element == Int {
        var out: [String] = []
        out.reserveCapacity(rows.count)
        var missing: [(index: Int, row: Int)] = []
        lock.lock()
        if idCache.isEmpty { idCache = [String?](repeating: nil, count: table.count) }
        for row in rows {
            if idCache.indices.contains(row), let cached = idCache[row] {
                out.append(cached)
            } else {
                missing.append((out.count, row))
                out.append("")
            }
        }
        lock.unlock()
        if missing.isEmpty { return out }
        withReader { reader in
            for m in missing { out[m.index] = (try? reader.table.id(ofRow: m.row)) ?? String(m.row) }
        }
        lock.lock()
        for m in missing where idCache.indices.contains(m.row) { idCache[m.row] = out[m.index] }
        lock.unlock()
        return out
    }

    /// The item metadata of `id`, as of this snapshot (decoded once, then cached).
    public func item(_ id: String) -> Item? {
        items([id])[0]
    }

    /// The item metadata of each of `ids`, in order (nil where the items
    /// table has none): each decoded once per snapshot.
    public func items(_ ids: [String]) -> [Item?] {
        var out: [Item?] = []
        out.reserveCapacity(ids.count)
        var missing: [Int] = []
        lock.lock()
        for (i, id) in ids.enumerated() {
            if let cached = itemCache[id] { out.append(cached) } else { missing.append(i); out.append(nil) }
        }
        var columns = itemColumns
        lock.unlock()
        if missing.isEmpty { return out }
        withReader { reader in
            if columns == nil { columns = (try? reader.txn.itemColumns()) ?? [] }
            for i in missing { out[i] = try? reader.txn.item(ids[i], columns: columns!) }
        }
        lock.lock()
        itemColumns = columns
        for i in missing { itemCache[ids[i]] = out[i] }
        lock.unlock()
        return out
    }

    /// Runs `body` with a transaction at this snapshot's version (one caller
    /// at a time per transaction; concurrent callers get pooled ones).
    public func withTransaction<R>(_ body: (Transaction) throws -> R) rethrows -> R {
        try withReader { try body($0.txn) }
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
        // the exact completion would run anyway, so scan at once. A table of
        // at most 16,384 floats (64 KiB: 881 x 10 for SparrowRecSys) scans in
        // about the time the index takes to hash the query, so it is scanned
        // too, unless the caller tunes the index (tables, probes, rescore).
        let tuned = options.tables > 0 || options.probes > 0 || options.rescore != nil || options.candidateBudget > 0
        let scanIsCheaper = options.k * 4 >= rows.slots || (!tuned && rows.slots * rows.dimension <= 16_384)
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
        let q = UnsafePointer(s.query)
        let admitted = admissionBits(options, allowed, s)
        if let layout = scanLayout(metric) {
            // every score in one SIMD pass, then the k best: by histogram when
            // k is a sizable share of the rows, else through the heap (each
            // measured faster in its range with `recall eval` on SparrowRecSys)
            let scores = s.scoreBuffer(count: layout.groups * 8)
            layout.scores(query: q, into: scores)
            let hits: [(row: Int, score: Float)]
            if options.k * 16 >= rows.slots {
                hits = HistogramSelection.best(options.k, of: scores, count: rows.slots, admitted: admitted)
            } else {
                var heap = s.heap
                heap.reset(k: options.k)
                var threshold = -Float.infinity
                for row in 0..<rows.slots where scores[row] >= threshold && scores[row] > -.infinity {
                    if let admitted, admitted[row >> 6] & (1 << UInt64(row & 63)) == 0 { continue }
                    heap.insert(score: scores[row], row: row)
                    threshold = heap.threshold
                }
                hits = heap.sorted()
            }
            return SearchResult(hits: hits, candidates: table.count, gathered: table.count, probes: 0, method: "exact", note: nil)
        }
        var heap = s.heap
        heap.reset(k: options.k)
        let d = rows.dimension
        // k a large share of the table: keep every key and sort once instead
        // of sifting most rows through the heap
        let keepAll = options.k * 4 >= rows.slots
        var all: [UInt64] = []
        if keepAll { all.reserveCapacity(rows.slots) }
        @inline(__always) func offer(_ score: Float, _ row: Int) {
            if let admitted, admitted[row >> 6] & (1 << UInt64(row & 63)) == 0 { return }
            if keepAll { all.append(TopK.descendingKey(score, row)) } else { heap.insert(score: score, row: row) }
        }
        // Cosine needs each row's inverse norm: kept per snapshot after
        // the first scan computes them beside the scores.
        let cosine = metric == .cosine
        let known = cosine ? knownInverseNorms() : nil
        var computed = cosine && known == nil ? [Float](repeating: 0, count: rows.slots) : []
        computed.withUnsafeMutableBufferPointer { fill in
            (known ?? []).withUnsafeBufferPointer { inverse in
                rows.forEachRun { first, base, n in
                    var x = base
                    for row in first..<(first + n) {
                        defer { x += d }
                        var score = VectorMath.dot(q, x, d)
                        if cosine {
                            let w: Float
                            if inverse.isEmpty {
                                let nn = VectorMath.dot(x, x, d)
                                w = nn > 0 ? 1 / nn.squareRoot() : 0
                                fill[row] = w
                            } else {
                                w = inverse[row]
                            }
                            // a zero vector has no direction: never a result
                            if w == 0 { continue }
                            score *= w
                        }
                        if keepAll || TopK.descendingKey(score, row) < heap.worstKey { offer(score, row) }
                    }
                }
            }
        }
        if !computed.isEmpty { rememberInverseNorms(computed) }
        let hits: [(row: Int, score: Float)]
        if keepAll {
            all.sort()
            hits = all.prefix(options.k).map { (row: Int(UInt32(truncatingIfNeeded: $0)), score: TopK.score(ofKey: $0)) }
        } else {
            hits = heap.sorted()
        }
        return SearchResult(hits: hits, candidates: table.count, gathered: table.count, probes: 0, method: "exact", note: nil)
    }

    /// One bit per row that may be returned (filters, exclusions, deletions
    /// applied), or nil when every row may.
    private func admissionBits(_ options: SearchOptions, _ allowed: [UInt64]?, _ s: SearchScratch) -> UnsafePointer<UInt64>? {
        if allowed == nil && options.excludedRows.isEmpty && !rows.hasDeletions { return nil }
        let words = (rows.slots + 63) / 64
        let bits = s.admissionBuffer(words: words)
        if let allowed {
            allowed.withUnsafeBufferPointer { bits.update(from: $0.baseAddress!, count: words) }
        } else {
            bits.update(repeating: ~0, count: words)
        }
        for row in options.excludedRows where row >= 0 && row < rows.slots { bits[row >> 6] &= ~(1 << UInt64(row & 63)) }
        rows.forEachDeletedRow { row in bits[row >> 6] &= ~(1 << UInt64(row & 63)) }
        return UnsafePointer(bits)
    }

    /// The scan layout of this snapshot's rows for `metric`, built on first
    /// use; nil for tables too large to copy.
    private func scanLayout(_ metric: Metric) -> ScanLayout? {
        guard rows.slots * rows.dimension <= ScanLayout.maxFloats else { return nil }
        lock.lock(); defer { lock.unlock() }
        if let layout = scanLayouts[metric] { return layout }
        let layout = ScanLayout(rows, normalized: metric == .cosine)
        scanLayouts[metric] = layout
        return layout
    }

    /// Inverse row norms, once an exact scan has computed them for this snapshot.
    private func knownInverseNorms() -> [Float]? {
        lock.lock(); defer { lock.unlock() }
        return inverseNorms
    }

    private func rememberInverseNorms(_ norms: [Float]) {
        lock.lock(); defer { lock.unlock() }
        if inverseNorms == nil { inverseNorms = norms }
    }

    func lshSearch(_ index: LSHIndexView, options: SearchOptions, metric: Metric, allowed: [UInt64]?, _ s: SearchScratch) -> SearchResult {
        let p = index.info.parameters
        let L = options.tables > 0 ? min(options.tables, p.tables) : p.tables
        let K = p.bits
        let probesPerTable = options.probes > 0 ? options.probes : p.probes
        let budget = options.candidateBudget > 0 ? options.candidateBudget : p.candidateBudget
        let totalProbes = L * max(1, probesPerTable)
        let d = rows.dimension
        let cosine = metric == .cosine
        // re-score only the `limit` candidates nearest by sketch (0: all)
        let perResult = options.rescore ?? p.rescore
        let limit = perResult > 0 ? perResult * options.k : 0
        s.prepare(slots: rows.slots)
        // Work on locals: class-property access in the loop pays exclusivity checks.
        var heap = s.heap
        heap.reset(k: options.k)
        let q = UnsafePointer(s.query)
        let proj = s.projectionBuffer, order = s.orderBuffer, squares = s.squaredMarginBuffer
        let baseCodes = s.baseCodeBuffer, visited = s.visitedBuffer
        let probeCodes = s.probeCodeBuffer(count: totalProbes)
        // each pop pushes at most two children
        var probeHeap = s.probeHeap(capacity: L + 2 * totalProbes + 2)

        var querySketch: UInt64 = 0
        if limit > 0 {
            index.sketcher.project(q, into: proj, tables: 1)
            querySketch = index.sketcher.sketch(proj)
        }
        index.hash.project(q, into: proj, tables: L)
        // per table: the base bucket, and bit positions by |margin|
        index.hash.orderByMargin(proj, tables: L, order: order, squares: squares)
        for l in 0..<L {
            baseCodes[l] = index.hash.code(proj, table: l)
            probeHeap.push(0, table: l, mask: 0)
        }
        // 1. the probe sequence, best first across all tables: table << 32 | code
        var probeCount = 0
        while probeCount < totalProbes && !probeHeap.isEmpty {
            let (score, l, mask) = probeHeap.pop()
            let ol = order + l * K, sl = squares + l * K
            let high = mask == 0 ? -1 : 31 - Int(mask.leadingZeroBitCount)
            if high + 1 < K {
                let n2 = sl[high + 1]
                probeHeap.push(score + n2, table: l, mask: mask | (1 << UInt32(high + 1)))
                if high >= 0 {
                    probeHeap.push(score - sl[high] + n2, table: l, mask: (mask & ~(1 << UInt32(high))) | (1 << UInt32(high + 1)))
                }
            }
            var code = baseCodes[l]
            var m = mask
            while m != 0 {
                code ^= 1 << UInt32(ol[m.trailingZeroBitCount])
                m &= m - 1
            }
            probeCodes[probeCount] = UInt64(l) << 32 | UInt64(code)
            probeCount += 1
        }
        // 2. bucket ranges of every probe, then their first entries, prefetched
        // before any is read: the cache misses overlap instead of queueing
        let bounds = s.boundsBuffer(count: 2 * probeCount)
        var upperBound = 0
        for b in 0..<probeCount {
            recsys_prefetch(UnsafeRawPointer(index.offsets[Int(probeCodes[b] >> 32)] + Int(probeCodes[b] & 0xFFFF_FFFF)))
        }
        let hasDelta = !index.deltaBuckets.isEmpty
        for b in 0..<probeCount {
            let l = Int(probeCodes[b] >> 32), code = Int(probeCodes[b] & 0xFFFF_FFFF)
            let lo = index.offsets[l][code], hi = index.offsets[l][code + 1]
            bounds[2 * b] = lo
            bounds[2 * b + 1] = hi
            upperBound += Int(hi - lo)
            if hi > lo {
                // the whole list, up to 4 cache lines (32 entries)
                let first = UnsafeRawPointer(index.entries[l] + 2 * Int(lo))
                let bytes = min(8 * Int(hi - lo), 256)
                var off = 0
                while off < bytes { recsys_prefetch(first + off); off += 64 }
            }
            if hasDelta { upperBound += index.deltaBuckets[probeCodes[b]]?.count ?? 0 }
        }
        // 3. gather each row once, admissible rows only, into buffers sized for the worst case
        let buffers = s.candidateBuffers(capacity: upperBound)
        let cRows = buffers.rows, cNorms = buffers.norms, touched = buffers.touched
        var count = 0, touchedCount = 0, probes = 0
        let overridden = index.overridden
        // without filters, exclusions, deletions or changes every new row is a candidate
        let everyRowAdmissible = allowed == nil && options.excludedRows.isEmpty && !rows.hasDeletions && overridden == nil
        for b in 0..<probeCount {
            if budget > 0 && count >= budget { break }
            probes += 1
            let entries = index.entries[Int(probeCodes[b] >> 32)]
            if everyRowAdmissible {
                // branch-free: every entry is written, only a first sighting advances
                for i in Int(bounds[2 * b])..<Int(bounds[2 * b + 1]) {
                    let row = Int(entries[2 * i])
                    let bit: UInt64 = 1 &<< UInt64(row & 63)
                    let word = visited[row >> 6]
                    visited[row >> 6] = word | bit
                    cRows[count] = Int32(truncatingIfNeeded: row)
                    cNorms[count] = Float(bitPattern: entries[2 * i + 1])
                    count += word & bit == 0 ? 1 : 0
                }
                continue
            }
            for i in Int(bounds[2 * b])..<Int(bounds[2 * b + 1]) {
                let row = Int(entries[2 * i])
                let bit: UInt64 = 1 << UInt64(row & 63)
                // a row changed since the build is found through the delta only
                if let overridden, overridden[row >> 6] & bit != 0 { continue }
                if visited[row >> 6] & bit != 0 { continue }
                visited[row >> 6] |= bit
                touched[touchedCount] = Int32(row); touchedCount += 1
                if !admissible(row, options, allowed) { continue }
                cRows[count] = Int32(row)
                cNorms[count] = Float(bitPattern: entries[2 * i + 1])
                count += 1
            }
            if hasDelta, let extra = index.deltaBuckets[probeCodes[b]] {
                for r in extra {
                    let row = Int(r)
                    let bit: UInt64 = 1 << UInt64(row & 63)
                    if row >= rows.slots || visited[row >> 6] & bit != 0 { continue }
                    visited[row >> 6] |= bit
                    touched[touchedCount] = r; touchedCount += 1
                    if !admissible(row, options, allowed) { continue }
                    cRows[count] = r
                    cNorms[count] = index.deltaInvNorms[r] ?? 0
                    count += 1
                }
            }
        }
        // clear the seen bits: every touched row (on the fast path, the candidates)
        for i in 0..<touchedCount { visited[Int(touched[i]) >> 6] = 0 }
        if everyRowAdmissible { for i in 0..<count { visited[Int(cRows[i]) >> 6] = 0 } }
        let gathered = count
        // 4. keep the `limit` nearest by sketch (sketches prefetched ahead)
        if limit > 0 && count > limit {
            let sketchedRows = index.info.rows
            let distances = buffers.distances
            let histogram = s.histogram
            histogram.initialize(repeating: 0, count: 65)
            let ahead = 16
            for i in 0..<count {
                if i + ahead < count, Int(cRows[i + ahead]) < sketchedRows { recsys_prefetch(UnsafeRawPointer(index.sketches + Int(cRows[i + ahead]))) }
                let row = Int(cRows[i])
                // rows changed since the build have no sketch: always kept
                let changed = row >= sketchedRows || (overridden.map { $0[row >> 6] & (1 << UInt64(row & 63)) != 0 } ?? false)
                let h = changed ? 0 : (index.sketches[row] ^ querySketch).nonzeroBitCount
                distances[i] = UInt8(h)
                histogram[h] += 1
            }
            // the smallest distance that keeps `limit`, then everything within it
            var cutoff = 0, kept = histogram[0]
            while kept < limit && cutoff < 64 { cutoff += 1; kept += histogram[cutoff] }
            var w = 0
            for i in 0..<count where Int(distances[i]) <= cutoff {
                cRows[w] = cRows[i]
                cNorms[w] = cNorms[i]
                w += 1
            }
            count = w
        }
        // 5. score them in one tight pass, rows prefetched ahead
        let ahead = 8
        let bytesPerRow = d * 4
        for i in 0..<min(ahead, count) { prefetchRow(rows.row(Int(cRows[i])), bytesPerRow) }
        for i in 0..<count {
            if i + ahead < count { prefetchRow(rows.row(Int(cRows[i + ahead])), bytesPerRow) }
            let row = Int(cRows[i])
            var sc = VectorMath.dot(q, rows.row(row), d)
            if cosine { sc *= cNorms[i] }
            heap.insert(score: sc, row: row)
        }
        return SearchResult(hits: heap.sorted(), candidates: count, gathered: gathered, probes: probes, method: "lsh", note: nil)
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
        lock.lock()
        let cached = filterCache[filters]
        lock.unlock()
        if let cached { return cached }
        let bits = try withReader { try matchingRows(filters, $0) }
        lock.lock(); filterCache[filters] = bits; lock.unlock()
        return bits
    }

    private func matchingRows(_ filters: [ItemFilter], _ reader: Reader) throws -> [UInt64] {
        let txn = reader.txn
        let columns = try txn.itemColumns()
        if columns.isEmpty { throw RecallError.invalidParameter("--where needs item metadata: run `recsys items import FILE` first") }
        for f in filters where !columns.contains(f.column) && !(f.column == "genre" && columns.contains("genres")) && f.column != "id" {
            throw RecallError.invalidParameter("--where: the items table has no column '\(f.column)' (columns: \(columns.joined(separator: ", ")))")
        }
        var bits = [UInt64](repeating: 0, count: (rows.slots + 63) / 64)
        try reader.table.forEachID { row, rawID in
            let id = String(decoding: rawID, as: UTF8.self)
            if let item = try txn.item(id), filters.allSatisfy({ item.matches(column: $0.column, value: $0.value) }) {
                bits[row >> 6] |= 1 << UInt64(row & 63)
            }
        }
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

