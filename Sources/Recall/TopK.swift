import EmbedStore
/// The k best (score, row) pairs seen so far: a bounded max-heap of packed
/// keys (`descendingKey`: a smaller key is a better pair), so a candidate is
/// one integer compare against the worst kept pair and the heap moves 8-byte
/// words. The buffer is allocated once and reused across queries; copies of a
/// `TopK` share it, so use one copy at a time.
public struct TopK {
    private let storage: ScratchBuffer<UInt64>
    private var keys: UnsafeMutablePointer<UInt64>
    public private(set) var count = 0
    public private(set) var k: Int
    /// The key of the worst pair kept once the heap is full; `UInt64.max` before,
    /// so every key is admitted until then.
    public private(set) var worstKey: UInt64 = .max

    public init(k: Int) {
        self.k = max(1, k)
        storage = ScratchBuffer()
        keys = storage.room(for: self.k)
    }

    /// Empties the heap, optionally changing k.
    public mutating func reset(k newK: Int? = nil) {
        if let newK { k = max(1, newK) }
        keys = storage.room(for: k)
        count = 0
        worstKey = .max
    }

    /// The smallest score kept, once full; -infinity before.
    @inline(__always)
    public var threshold: Float { count < k ? -.infinity : TopK.score(ofKey: worstKey) }

    /// Offers a candidate.
    @inline(__always)
    public mutating func insert(score: Float, row: Int) {
        insert(key: TopK.descendingKey(score, row))
    }

    /// Offers a candidate by its `descendingKey`.
    @inline(__always)
    public mutating func insert(key: UInt64) {
        guard key < worstKey else { return }
        if count < k {
            var i = count
            count += 1
            while i > 0 {
                let parent = (i - 1) >> 1
                let p = keys[parent]
                if p >= key { break }
                keys[i] = p
                i = parent
            }
            keys[i] = key
            if count == k { worstKey = keys[0] }
            return
        }
        var i = 0
        while true {
            let l = 2 * i + 1
            if l >= count { break }
            var m = l
            if l + 1 < count && keys[l + 1] > keys[l] { m = l + 1 }
            if keys[m] <= key { break }
            keys[i] = keys[m]
            i = m
        }
        keys[i] = key
        worstKey = keys[0]
    }

    /// The kept pairs, best first (ties by row, ascending).
    public func sorted() -> [(row: Int, score: Float)] {
        var ordered = Array(UnsafeBufferPointer(start: keys, count: count))
        ordered.sort()
        return ordered.map { (Int(UInt32(truncatingIfNeeded: $0)), TopK.score(ofKey: $0)) }
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
            for (i, s) in scores.enumerated() { heap.insert(score: s, row: i) }
            return heap.sorted().prefix(k).map(\.row)
        }
        var keys = scores.indices.map { descendingKey(scores[$0], $0) }
        keys.sort()
        return keys.prefix(k).map { Int(UInt32(truncatingIfNeeded: $0)) }
    }
}
