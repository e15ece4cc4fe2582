import EmbedStore
import Foundation

/// Per-item first-layer parts of one loaded model, in fixed chunks that never
/// move once allocated: a slot handed out by `lookup` or `insert` names the
/// same part for the cache's lifetime, and scoring reads the parts in place
/// (no per-item arrays to retain and release). Bounded by `limit` items: past
/// it, new items are scored without being cached.
final class ItemPartCache: @unchecked Sendable {
    /// Floats per part (the first layer's width).
    let width: Int
    /// Most items kept.
    let limit: Int
    private static let chunkItems = 1024
    private let lock = AdaptiveLock()
    private var slots: [String: Int32] = [:]
    private var count = 0
    /// `limit` flags, written once per slot before the slot is handed out.
    private let known: UnsafeMutablePointer<Bool>
    /// `limit` attention query rows (-1: none), written as `known` is.
    private let queries: UnsafeMutablePointer<Int32>
    /// Chunk pointers, preallocated so that `part(_:)` never reads a growing array.
    private let chunks: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>

    init(width: Int, limit: Int = 1 << 18) {
        self.width = width
        self.limit = limit
        known = .allocate(capacity: limit)
        queries = .allocate(capacity: limit)
        let chunkCount = (limit + Self.chunkItems - 1) / Self.chunkItems
        chunks = .allocate(capacity: chunkCount)
        chunks.initialize(repeating: nil, count: chunkCount)
    }

    deinit {
        for c in 0..<((limit + Self.chunkItems - 1) / Self.chunkItems) { chunks[c]?.deallocate() }
        chunks.deallocate()
        known.deallocate()
        queries.deallocate()
    }

    /// The part in `slot` (a slot this cache handed out: a slot from
    /// anywhere else is a programming error and traps, never a stray read).
    func part(_ slot: Int32) -> UnsafePointer<Float> {
        let s = Int(slot)
        precondition(s >= 0 && s < limit, "item part slot \(s) outside 0..<\(limit)")
        guard let chunk = chunks[s / Self.chunkItems] else { preconditionFailure("item part slot \(s) was never handed out") }
        return UnsafePointer(chunk + (s % Self.chunkItems) * width)
    }

    /// Whether the item in `slot` has stored features.
    func isKnown(_ slot: Int32) -> Bool { known[Int(slot)] }

    /// The attention query row of the item in `slot` (-1: none).
    func query(_ slot: Int32) -> Int32 { queries[Int(slot)] }

    /// The slot of each of `ids`, -1 where it is not cached.
    func lookup(_ ids: [String]) -> [Int32] {
        lock.lock()
        defer { lock.unlock() }
        return ids.map { slots[$0] ?? -1 }
    }

    /// Copies the parts of `ids` (`width` floats each, from `parts`), whether
    /// each is known and its attention query row into the cache while there
    /// is room; returns each one's slot, -1 where full.
    func insert(_ ids: [String], parts: UnsafePointer<Float>, known isKnown: [Bool], queries query: [Int32]) -> [Int32] {
        lock.lock()
        defer { lock.unlock() }
        return ids.enumerated().map { j, id in
            if let s = slots[id] { return s }
            let slot = count
            guard slot < limit else { return -1 }
            if chunks[slot / Self.chunkItems] == nil { chunks[slot / Self.chunkItems] = .allocate(capacity: Self.chunkItems * width) }
            (chunks[slot / Self.chunkItems]! + (slot % Self.chunkItems) * width).update(from: parts + j * width, count: width)
            known[slot] = isKnown[j]
            queries[slot] = query[j]
            count += 1
            slots[id] = Int32(slot)
            return Int32(slot)
        }
    }
}

/// A model's cached item parts addressed by a caller's dense item keys, such
/// as the rows of one table snapshot: the serving path reads an array slot per
/// candidate instead of building and hashing its id. Valid for the key space
/// it was made for (a re-imported table gets a new one); made by
/// `RankerModel.rowIndex(count:)`.
public final class ItemRowIndex: @unchecked Sendable {
    /// Number of keys (rows).
    public let count: Int
    let parts: ItemPartCache
    private let lock = AdaptiveLock()
    private var slots: [Int32]

    init(count: Int, parts: ItemPartCache) {
        self.count = count
        self.parts = parts
        slots = [Int32](repeating: -1, count: count)
    }

    /// The cache slot of each of `rows`, -1 where not yet resolved or
    /// outside the key space (such a row is resolved by id instead).
    func slots<Rows: Collection>(of rows: Rows) -> [Int32] where Rows.Element == Int {
        lock.lock()
        defer { lock.unlock() }
        return slots.withUnsafeBufferPointer { s in rows.map { $0 >= 0 && $0 < s.count ? s[$0] : -1 } }
    }

    /// Records resolved slots (entries of -1 and rows outside the key space are skipped).
    func record(rows: [Int], slots resolved: [Int32]) {
        lock.lock()
        defer { lock.unlock() }
        for (r, s) in zip(rows, resolved) where s >= 0 && r >= 0 && r < slots.count { slots[r] = s }
    }
}
