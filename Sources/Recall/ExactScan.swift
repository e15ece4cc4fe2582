import EmbedStore

/// Exact search: every admitted row scored against the query, the k best kept.
struct ExactScan {
    let rows: RowAccessor
    /// Live rows in the table (reported as the candidates examined).
    let liveRows: Int
    let cache: ScanCache

    func search(k: Int, metric: Metric, admission: Admission, _ s: SearchScratch, timed: Bool = false) -> SearchResult {
        let t0 = timed ? QueryStatistics.now() : 0
        let q = UnsafePointer(s.query)
        let admitted = admission.bits(s)
        let hits: [(row: Int, score: Float)]
        if let layout = cache.layout(rows, metric: metric) {
            hits = layoutScan(layout, k: k, query: q, admitted: admitted, s)
        } else {
            hits = rowScan(k: k, metric: metric, query: q, admitted: admitted, s)
        }
        var result = SearchResult(hits: hits, candidates: liveRows, gathered: liveRows, probes: 0, method: .exact, note: nil)
        result.statistics.gathered = liveRows
        result.statistics.filtered = liveRows
        result.statistics.rescored = liveRows
        if timed { result.statistics.rescoreNs = QueryStatistics.now() - t0 }
        return result
    }

    /// Every score in one SIMD pass over the copied layout, then the k best:
    /// by histogram when k is a sizable share of the rows, else through the
    /// heap (each measured faster in its range with `recall eval` on SparrowRecSys).
    private func layoutScan(_ layout: ScanLayout, k: Int, query q: UnsafePointer<Float>, admitted: RowBits?, _ s: SearchScratch) -> [(row: Int, score: Float)] {
        let scores = s.scoreBuffer(count: layout.groups * 8)
        layout.scores(query: q, into: scores)
        if k * 16 >= rows.slots {
            return HistogramSelection.best(k, of: scores, count: rows.slots, admitted: admitted.map { UnsafePointer($0.words) })
        }
        var heap = s.heap
        heap.reset(k: k)
        var threshold = -Float.infinity
        for row in 0..<rows.slots where scores[row] >= threshold && scores[row] > -.infinity {
            if let admitted, !admitted.contains(row) { continue }
            heap.insert(score: scores[row], row: row)
            threshold = heap.threshold
        }
        return heap.sorted()
    }

    /// Scores read from the store's blocks in place. Cosine needs each row's
    /// inverse norm: computed beside the scores by the first scan of a
    /// snapshot and kept for the next.
    private func rowScan(k: Int, metric: Metric, query q: UnsafePointer<Float>, admitted: RowBits?, _ s: SearchScratch) -> [(row: Int, score: Float)] {
        var heap = s.heap
        heap.reset(k: k)
        let d = rows.dimension
        // k a large share of the table: keep every key and sort once instead
        // of sifting most rows through the heap
        let keepAll = k * 4 >= rows.slots
        var all: [UInt64] = []
        if keepAll { all.reserveCapacity(rows.slots) }
        @inline(__always) func offer(_ score: Float, _ row: Int) {
            if let admitted, !admitted.contains(row) { return }
            if keepAll { all.append(TopK.descendingKey(score, row)) } else { heap.insert(score: score, row: row) }
        }
        let cosine = metric == .cosine
        let known = cosine ? cache.knownInverseNorms : nil
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
        if !computed.isEmpty { cache.remember(inverseNorms: computed) }
        if keepAll {
            all.sort()
            return all.prefix(k).map { (row: Int(UInt32(truncatingIfNeeded: $0)), score: TopK.score(ofKey: $0)) }
        }
        return heap.sorted()
    }
}
