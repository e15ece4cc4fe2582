/// The k best (score, row) pairs seen so far: a bounded min-heap on flat
/// arrays, allocated once and reused across queries.
public struct TopK {
    private(set) var scores: [Float]
    private(set) var rows: [Int32]
    public private(set) var count = 0
    public private(set) var k: Int

    public init(k: Int) {
        self.k = max(1, k)
        scores = [Float](repeating: 0, count: self.k)
        rows = [Int32](repeating: 0, count: self.k)
    }

    /// Empties the heap, optionally changing k.
    public mutating func reset(k newK: Int? = nil) {
        if let newK, newK != k {
            k = max(1, newK)
            scores = [Float](repeating: 0, count: k)
            rows = [Int32](repeating: 0, count: k)
        }
        count = 0
    }

    /// The smallest score kept, once full; -infinity before.
    @inline(__always)
    public var threshold: Float { count < k ? -.infinity : scores[0] }

    /// Offers a candidate.
    @inline(__always)
    public mutating func insert(score: Float, row: Int) {
        if count < k {
            var i = count
            count += 1
            scores[i] = score
            rows[i] = Int32(row)
            while i > 0 {
                let parent = (i - 1) / 2
                if scores[parent] <= scores[i] { break }
                scores.swapAt(parent, i)
                rows.swapAt(parent, i)
                i = parent
            }
        } else if score > scores[0] {
            scores[0] = score
            rows[0] = Int32(row)
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < count && scores[l] < scores[m] { m = l }
                if r < count && scores[r] < scores[m] { m = r }
                if m == i { break }
                scores.swapAt(m, i)
                rows.swapAt(m, i)
                i = m
            }
        }
    }

    /// The kept pairs, best first (ties by row, ascending).
    public func sorted() -> [(row: Int, score: Float)] {
        var keys = (0..<count).map { TopK.descendingKey(scores[$0], Int(rows[$0])) }
        keys.sort()
        return keys.map { (Int(UInt32(truncatingIfNeeded: $0)), TopK.score(ofKey: $0)) }
    }

    /// A key whose ascending order is descending `score`, then ascending
    /// `index`: sorting plain integers is several times faster than sorting
    /// tuples with a comparison closure.
    @inline(__always)
    public static func descendingKey(_ score: Float, _ index: Int) -> UInt64 {
        let bits = score.bitPattern
        let ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        return UInt64(~ascending) << 32 | UInt64(UInt32(truncatingIfNeeded: index))
    }

    /// The score a `descendingKey` was made from.
    @inline(__always)
    public static func score(ofKey key: UInt64) -> Float {
        let ascending = ~UInt32(truncatingIfNeeded: key >> 32)
        return Float(bitPattern: ascending & 0x8000_0000 != 0 ? ascending & 0x7FFF_FFFF : ~ascending)
    }

    /// Indices of the `limit` best `scores` (all without a limit), best
    /// first (ties by index, ascending).
    public static func descendingOrder(_ scores: [Float], limit: Int? = nil) -> [Int] {
        let k = min(limit ?? scores.count, scores.count)
        if k < scores.count / 4 {
            // select with a small heap, then sort only what is kept
            var heap = TopK(k: max(1, k))
            for (i, s) in scores.enumerated() where s > heap.threshold { heap.insert(score: s, row: i) }
            return heap.sorted().prefix(k).map(\.row)
        }
        var keys = scores.indices.map { descendingKey(scores[$0], $0) }
        keys.sort()
        return keys.prefix(k).map { Int(UInt32(truncatingIfNeeded: $0)) }
    }
}
