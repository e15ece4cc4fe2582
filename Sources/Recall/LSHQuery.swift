import CKernels
import EmbedStore

/// One query against a snapshot's LSH index, in the phases FALCONN's query
/// object separates: candidate generation (the probe sequence, then gathering
/// each admitted row once), a sketch filter, and exact re-scoring. Each phase
/// works on the query's scratch buffers through raw pointers: no allocation
/// and no bounds checks per candidate.
struct LSHQuery {
    let index: LSHIndexView
    let rows: RowAccessor
    let scratch: SearchScratch
    /// Tables used (at most the index's), probes in all, candidate budget (0: none).
    let tables: Int
    let totalProbes: Int
    let budget: Int
    /// Candidates kept for re-scoring, nearest by sketch (0: all).
    let rescoreLimit: Int
    let cosine: Bool

    init(index: LSHIndexView, rows: RowAccessor, options: SearchOptions, metric: Metric, scratch: SearchScratch) {
        let p = index.info.parameters
        self.index = index
        self.rows = rows
        self.scratch = scratch
        tables = options.tables > 0 ? min(options.tables, p.tables) : p.tables
        // a table has 2^bits buckets: more probes than that find nothing new
        totalProbes = tables * min(1 << p.bits, max(1, options.probes > 0 ? options.probes : p.probes))
        budget = options.candidateBudget > 0 ? options.candidateBudget : p.candidateBudget
        let perResult = options.rescore ?? p.rescore
        rescoreLimit = perResult > 0 ? perResult * options.k : 0
        cosine = metric == .cosine
    }

    /// The `k` best admitted rows among the probed buckets' candidates.
    func search(k: Int, admission: Admission, timed: Bool = false) -> SearchResult {
        var stats = QueryStatistics()
        let t0 = timed ? QueryStatistics.now() : 0
        scratch.prepare(slots: rows.slots)
        let probes = probeSequence()
        let t1 = timed ? QueryStatistics.now() : 0
        let bounds = bucketBounds(probes)
        var candidates = gather(probes, bounds: bounds, admission: admission)
        let t2 = timed ? QueryStatistics.now() : 0
        let gathered = candidates.count
        if rescoreLimit > 0 && candidates.count > rescoreLimit {
            if let quantized = index.quantized {
                candidates.count = quantizedFilter(candidates.count, keep: rescoreLimit, quantized)
            } else {
                candidates.count = sketchFilter(candidates.count, keep: rescoreLimit)
            }
        }
        let t3 = timed ? QueryStatistics.now() : 0
        let hits = rescore(candidates.count, k: k)
        if timed {
            let t4 = QueryStatistics.now()
            (stats.probeNs, stats.gatherNs, stats.filterNs, stats.rescoreNs) = (t1 - t0, t2 - t1, t3 - t2, t4 - t3)
        }
        stats.probes = candidates.probed
        stats.gathered = gathered
        stats.filtered = candidates.count
        stats.rescored = candidates.count
        var result = SearchResult(hits: hits, candidates: candidates.count, gathered: gathered, probes: candidates.probed, method: .lsh, note: nil)
        result.statistics = stats
        return result
    }

    /// 1. The buckets to probe, best first across all tables, as
    /// `table << 32 | code`: multi-probe in order of summed squared margins
    /// (the query's own bucket in every table first, then flips of its
    /// lowest-margin bits).
    func probeSequence() -> UnsafeBufferPointer<UInt64> {
        let s = scratch, K = index.info.parameters.bits, L = tables
        let q = UnsafePointer(s.query)
        let proj = s.projectionBuffer, order = s.orderBuffer, squares = s.squaredMarginBuffer, baseCodes = s.baseCodeBuffer
        let probeCodes = s.probeCodeBuffer(count: totalProbes)
        // each pop pushes at most two children
        var heap = s.probeHeap(capacity: L + 2 * totalProbes + 2)
        index.hash.project(q, into: proj, tables: L)
        // per table: the base bucket, and bit positions by |margin|
        index.hash.orderByMargin(proj, tables: L, order: order, squares: squares)
        for l in 0..<L {
            baseCodes[l] = index.hash.code(proj, table: l)
            heap.push(0, table: l, mask: 0)
        }
        var count = 0
        while count < totalProbes && !heap.isEmpty {
            let (score, l, mask) = heap.pop()
            let ol = order + l * K, sl = squares + l * K
            let high = mask == 0 ? -1 : 31 - Int(mask.leadingZeroBitCount)
            if high + 1 < K {
                let n2 = sl[high + 1]
                heap.push(score + n2, table: l, mask: mask | (1 << UInt32(high + 1)))
                if high >= 0 {
                    heap.push(score - sl[high] + n2, table: l, mask: (mask & ~(1 << UInt32(high))) | (1 << UInt32(high + 1)))
                }
            }
            var code = baseCodes[l]
            var m = mask
            while m != 0 {
                code ^= 1 << UInt32(ol[m.trailingZeroBitCount])
                m &= m - 1
            }
            probeCodes[count] = UInt64(l) << 32 | UInt64(code)
            count += 1
        }
        return UnsafeBufferPointer(start: probeCodes, count: count)
    }

    /// 2. Each probe's entry range `[lo, hi)`, with the ranges and their first
    /// entries prefetched before any is read (the cache misses overlap
    /// instead of queueing), and an upper bound on the candidates.
    func bucketBounds(_ probes: UnsafeBufferPointer<UInt64>) -> (ranges: UnsafeMutablePointer<UInt32>, upperBound: Int) {
        let ranges = scratch.boundsBuffer(count: 2 * probes.count)
        for code in probes {
            recsys_prefetch(UnsafeRawPointer(index.offsets[Int(code >> 32)] + Int(code & 0xFFFF_FFFF)))
        }
        var upperBound = 0
        let hasDelta = !index.deltaBuckets.isEmpty
        for (b, probe) in probes.enumerated() {
            let l = Int(probe >> 32), code = Int(probe & 0xFFFF_FFFF)
            let lo = index.offsets[l][code], hi = index.offsets[l][code + 1]
            ranges[2 * b] = lo
            ranges[2 * b + 1] = hi
            upperBound += Int(hi - lo)
            if hi > lo {
                // the whole list, up to 4 cache lines (64 entries)
                let first = index.entries[l] + Int(lo) * index.entryWidth
                let bytes = min(index.entryWidth * Int(hi - lo), 256)
                var off = 0
                while off < bytes { recsys_prefetch(first + off); off += 64 }
            }
            if hasDelta { upperBound += index.deltaBuckets[probe]?.count ?? 0 }
        }
        return (ranges, upperBound)
    }

    /// 3. Every admitted row of the probed buckets once into the scratch's
    /// candidate buffer; stops at the budget.
    func gather(_ probes: UnsafeBufferPointer<UInt64>, bounds: (ranges: UnsafeMutablePointer<UInt32>, upperBound: Int),
                admission: Admission) -> (count: Int, probed: Int) {
        let buffers = scratch.candidateBuffers(capacity: bounds.upperBound)
        let cRows = buffers.rows, touched = buffers.touched
        let visited = RowBits(words: scratch.visitedBuffer)
        let ranges = bounds.ranges
        var count = 0, touchedCount = 0, probed = 0
        let overridden = index.overridden
        let hasDelta = !index.deltaBuckets.isEmpty
        // without filters, exclusions, deletions or changes every new row is a candidate
        let everyRowAdmissible = admission.admitsEveryRow && overridden == nil
        for (b, probe) in probes.enumerated() {
            if budget > 0 && count >= budget { break }
            probed += 1
            let entries = index.entries[Int(probe >> 32)]
            if everyRowAdmissible {
                // branch-free: every entry is written, only a first sighting advances
                for i in Int(ranges[2 * b])..<Int(ranges[2 * b + 1]) {
                    let row = index.row(inList: entries, at: i)
                    cRows[count] = Int32(truncatingIfNeeded: row)
                    count += visited.insertIfAbsent(row) ? 1 : 0
                }
                continue
            }
            for i in Int(ranges[2 * b])..<Int(ranges[2 * b + 1]) {
                let row = index.row(inList: entries, at: i)
                // a row changed since the build is found through the delta only
                if let overridden, overridden[row >> 6] & RowBits.mask(row) != 0 { continue }
                if !visited.insertIfAbsent(row) { continue }
                touched[touchedCount] = Int32(row); touchedCount += 1
                if !admission.admits(row) { continue }
                cRows[count] = Int32(row)
                count += 1
            }
            if hasDelta, let extra = index.deltaBuckets[probe] {
                for r in extra {
                    let row = Int(r)
                    if row >= rows.slots || !visited.insertIfAbsent(row) { continue }
                    touched[touchedCount] = r; touchedCount += 1
                    if !admission.admits(row) { continue }
                    cRows[count] = r
                    count += 1
                }
            }
        }
        // clear the seen bits: every touched row (on the fast path, the candidates)
        for i in 0..<touchedCount { visited.clearWord(of: Int(touched[i])) }
        if everyRowAdmissible { for i in 0..<count { visited.clearWord(of: Int(cRows[i])) } }
        return (count, probed)
    }

    /// 4. Keeps the `keep` candidates nearest to the query by 64-bit sign
    /// sketch (Hamming distance; sketches prefetched ahead), and any tie at
    /// the cutoff distance. Returns the candidates left, compacted in place.
    func sketchFilter(_ count: Int, keep limit: Int) -> Int {
        let s = scratch, buffers = s.candidateBuffers(capacity: 0)
        let cRows = buffers.rows, distances = buffers.distances
        index.sketcher.project(UnsafePointer(s.query), into: s.projectionBuffer, tables: 1)
        let querySketch = index.sketcher.sketch(s.projectionBuffer)
        let sketchedRows = index.info.rows
        let histogram = s.histogram
        histogram.initialize(repeating: 0, count: 65)
        let ahead = 16
        for i in 0..<count {
            if i + ahead < count, Int(cRows[i + ahead]) < sketchedRows { recsys_prefetch(UnsafeRawPointer(index.sketches + Int(cRows[i + ahead]))) }
            let row = Int(cRows[i])
            // rows changed since the build have no sketch: always kept
            let h = index.isChanged(row) ? 0 : (index.sketches[row] ^ querySketch).nonzeroBitCount
            distances[i] = UInt8(h)
            histogram[h] += 1
        }
        // the smallest distance that keeps `limit`, then everything within it
        var cutoff = 0, kept = histogram[0]
        while kept < limit && cutoff < 64 { cutoff += 1; kept += histogram[cutoff] }
        var w = 0
        for i in 0..<count where Int(distances[i]) <= cutoff {
            cRows[w] = cRows[i]
            w += 1
        }
        return w
    }

    /// 4'. With an 8-bit row copy instead of the sketch: keeps the `keep`
    /// candidates with the best approximate scores (codes prefetched ahead),
    /// and any tie at the cutoff. Rows changed since the build have no codes
    /// and are always kept.
    func quantizedFilter(_ count: Int, keep limit: Int, _ quantized: QuantizedRows) -> Int {
        let s = scratch, cRows = s.candidateBuffers(capacity: 0).rows
        let query = s.quantizedQueryBuffer(count: quantized.dimension)
        quantized.scaleQuery(UnsafePointer(s.query), into: query, work: s.scoreBuffer(count: quantized.dimension))
        let scores = s.approximateScoreBuffer(count: count)
        var heap = s.heap
        heap.reset(k: limit)
        let ahead = 16
        for i in 0..<min(ahead, count) where Int(cRows[i]) < quantized.rows { quantized.prefetch(row: Int(cRows[i])) }
        for i in 0..<count {
            if i + ahead < count, Int(cRows[i + ahead]) < quantized.rows { quantized.prefetch(row: Int(cRows[i + ahead])) }
            let row = Int(cRows[i])
            let score = index.isChanged(row) ? Int32.max : quantized.score(UnsafePointer(query), row: row)
            scores[i] = score
            heap.insert(score: Float(score), row: row)
        }
        let cutoff = heap.threshold
        var w = 0
        for i in 0..<count where Float(scores[i]) >= cutoff {
            cRows[w] = cRows[i]
            w += 1
        }
        return w
    }

    /// 5. Scores the first `count` candidates exactly in one tight pass
    /// (rows prefetched ahead) and returns the `k` best.
    func rescore(_ count: Int, k: Int) -> [(row: Int, score: Float)] {
        let buffers = scratch.candidateBuffers(capacity: 0)
        let cRows = buffers.rows
        let q = UnsafePointer(scratch.query), d = rows.dimension
        var heap = scratch.heap
        heap.reset(k: k)
        let ahead = 8
        let bytesPerRow = d * 4
        for i in 0..<min(ahead, count) { prefetch(rows.row(Int(cRows[i])), bytesPerRow) }
        for i in 0..<count {
            if i + ahead < count { prefetch(rows.row(Int(cRows[i + ahead])), bytesPerRow) }
            let row = Int(cRows[i])
            let sc: Float
            if cosine {
                // the row is read for the dot product anyway: its norm costs no memory access
                let (dot, squaredNorm) = VectorMath.dotAndSquaredNorm(q, rows.row(row), d)
                sc = squaredNorm > 0 ? dot / squaredNorm.squareRoot() : 0
            } else {
                sc = VectorMath.dot(q, rows.row(row), d)
            }
            heap.insert(score: sc, row: row)
        }
        return heap.sorted()
    }

    @inline(__always)
    private func prefetch(_ p: UnsafePointer<Float>, _ bytes: Int) {
        var off = 0
        while off < bytes {
            recsys_prefetch(UnsafeRawPointer(p) + off)
            off += 64
        }
    }
}
