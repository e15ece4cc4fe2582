/// Top-k selection over a dense array of scores: a 256-bin histogram of the
/// score range finds the bin that holds the k-th best; the rows in that bin
/// and better ones are placed by bin (a counting sort) and each bin is sorted
/// on its own. Three passes over the scores (the first eight lanes at a time)
/// and many tiny sorts: when k is a sizable share of the rows (100 of
/// SparrowRecSys's 881 items) this is several times faster than a heap, whose
/// inserts mispredict at every level and happen for every row that improves
/// the top k.
enum HistogramSelection {
    /// The histogram's bins; one more bin (`rejected`) collects inadmissible rows.
    private static let bins = 256
    private static let rejected = 256
    /// Stride of the four interleaved histograms (room for `rejected`).
    private static let stride = 260

    /// The `k` best admissible rows, best first (ties by row, ascending).
    /// A row is admissible when its score is above -infinity (NaN is not)
    /// and, with `admitted`, its bit is set. Rows not admitted have their
    /// score overwritten with -infinity in `scores`.
    static func best(_ k: Int, of scores: UnsafeMutablePointer<Float>, count n: Int, admitted: UnsafePointer<UInt64>?) -> [(row: Int, score: Float)] {
        guard k > 0, n > 0 else { return [] }
        if let admitted { reject(scores, count: n, unless: admitted) }
        let (lo, hi, available) = range(UnsafePointer(scores), count: n)
        if available == 0 { return [] }
        // bin 0 holds the best scores; +infinity (a NaN distance from hi) lands in some bin, kept
        let scale: Float = hi > lo ? 255 / (hi - lo) : 0
        return withUnsafeTemporaryAllocation(of: UInt16.self, capacity: n) { binOfRow in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: 4 * stride) { counts in
                let rowBin = binOfRow.baseAddress!
                // four interleaved histograms, so runs of equal bins do not wait
                // on each other's increments; then folded into the first
                counts.initialize(repeating: 0)
                let histogram = counts.baseAddress!
                for row in 0..<n {
                    // the bin is x rounded to nearest (x in 0..<256: adding 2^23
                    // leaves it in the low mantissa bits), without a checked conversion
                    let s = scores[row], x = (hi - s) * scale
                    let b = s > -.infinity ? Swift.min(Int((x + 8_388_608).bitPattern & 0x1FF), bins - 1) : rejected
                    rowBin[row] = UInt16(truncatingIfNeeded: b)
                    histogram[(row & 3) &* stride &+ b] &+= 1
                }
                for b in 0..<bins { histogram[b] = histogram[b] &+ histogram[stride + b] &+ histogram[2 * stride + b] &+ histogram[3 * stride + b] }
                let wanted = min(k, available)
                var cutoff = 0, kept = Int(histogram[0])
                while kept < wanted { cutoff += 1; kept += Int(histogram[cutoff]) }
                // counting sort by bin (the histogram gives each bin's place),
                // then each bin sorted on its own: bins hold a few keys each
                let next = histogram + stride
                var offset: Int32 = 0
                for b in 0...cutoff { next[b] = offset; offset &+= histogram[b] }
                let keys = [UInt64](unsafeUninitializedCapacity: kept) { buffer, initialized in
                    let out = buffer.baseAddress!
                    for row in 0..<n {
                        let b = Int(rowBin[row])
                        if b <= cutoff { out[Int(next[b])] = TopK.descendingKey(scores[row], row); next[b] &+= 1 }
                    }
                    var start = 0
                    for b in 0...cutoff where start < wanted {
                        let end = start + Int(histogram[b])
                        Self.sort(buffer[start..<end])
                        start = end
                    }
                    initialized = kept
                }
                return keys.prefix(k).map { (row: Int(UInt32(truncatingIfNeeded: $0)), score: TopK.score(ofKey: $0)) }
            }
        }
    }

    /// Sets the score of every row whose `admitted` bit is clear to -infinity:
    /// work in proportion to the rows rejected, not to the rows.
    @inline(__always)
    static func reject(_ scores: UnsafeMutablePointer<Float>, count n: Int, unless admitted: UnsafePointer<UInt64>) {
        let words = (n + 63) / 64
        for w in 0..<words {
            var cleared = ~admitted[w]
            if w == words - 1 && n & 63 != 0 { cleared &= (1 << UInt64(n & 63)) - 1 }
            while cleared != 0 {
                scores[w << 6 | cleared.trailingZeroBitCount] = -.infinity
                cleared &= cleared - 1
            }
        }
    }

    /// The smallest and largest admissible score and how many there are,
    /// eight lanes at a time.
    @inline(__always)
    static func range(_ scores: UnsafePointer<Float>, count n: Int) -> (lo: Float, hi: Float, available: Int) {
        let floor = SIMD8<Float>(repeating: -.infinity)
        var lo = SIMD8<Float>(repeating: .infinity), hi = floor
        var available = SIMD8<Int32>()
        let raw = UnsafeRawPointer(scores)
        var row = 0
        while row + 8 <= n {
            let v = raw.loadUnaligned(fromByteOffset: row * 4, as: SIMD8<Float>.self)
            let admissible = v .> floor
            lo.replace(with: v, where: admissible .& (v .< lo))
            hi.replace(with: v, where: v .> hi)
            available.replace(with: available &+ 1, where: admissible)
            row += 8
        }
        var l = lo.min(), h = hi.max(), count = Int(available.wrappedSum())
        while row < n {
            let s = scores[row]
            if s > -.infinity { l = Swift.min(l, s); h = Swift.max(h, s); count += 1 }
            row += 1
        }
        return (l, h, count)
    }

    /// Sorts a bin's keys in place: insertion sort for the few keys a bin
    /// usually holds, the standard sort for a crowded one.
    @inline(__always)
    static func sort(_ keys: Slice<UnsafeMutableBufferPointer<UInt64>>) {
        var keys = keys
        guard keys.count > 16 else {
            var i = keys.startIndex + 1
            while i < keys.endIndex {
                let key = keys[i]
                var j = i
                while j > keys.startIndex && keys[j - 1] > key { keys[j] = keys[j - 1]; j -= 1 }
                keys[j] = key
                i += 1
            }
            return
        }
        keys.sort()
    }
}
