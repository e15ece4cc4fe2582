import Foundation

/// Per-item first-layer parts of one loaded model, in fixed chunks that never
/// move once allocated: a reader that found a slot under the lock reads it
/// after the lock is released, and scoring reads the parts in place (no
/// per-item arrays to retain and release). Bounded by `limit` items: past it,
/// new items are scored without being cached.
final class ItemPartCache: @unchecked Sendable {
    /// Floats per part (the first layer's width).
    let width: Int
    /// Most items kept.
    let limit: Int
    private static let chunkItems = 1024
    private let lock = NSLock()
    private var slots: [String: Int32] = [:]
    private var known: [Bool] = []
    private var chunks: [UnsafeMutablePointer<Float>] = []

    init(width: Int, limit: Int = 1 << 18) {
        self.width = width
        self.limit = limit
    }

    deinit { for c in chunks { c.deallocate() } }

    /// Fills `parts[i]` for every cached id and returns the indices of the
    /// others; ids cached as having no stored features go to `unknown`.
    func lookup(_ ids: [String], into parts: inout [UnsafePointer<Float>?], unknown: inout [String]) -> [Int] {
        var missing: [Int] = []
        lock.lock()
        defer { lock.unlock() }
        for (i, id) in ids.enumerated() {
            guard let s = slots[id] else { missing.append(i); continue }
            let slot = Int(s)
            parts[i] = UnsafePointer(chunks[slot / Self.chunkItems] + (slot % Self.chunkItems) * width)
            if !known[slot] { unknown.append("item \(id)") }
        }
        return missing
    }

    /// Copies the parts of `ids` (`width` floats each, from `parts`) into the
    /// cache, while there is room.
    func insert(_ ids: [String], parts: UnsafePointer<Float>, known isKnown: [Bool]) {
        lock.lock()
        defer { lock.unlock() }
        for (j, id) in ids.enumerated() where slots[id] == nil {
            let slot = known.count
            guard slot < limit else { return }
            if slot / Self.chunkItems == chunks.count { chunks.append(.allocate(capacity: Self.chunkItems * width)) }
            (chunks[slot / Self.chunkItems] + (slot % Self.chunkItems) * width).update(from: parts + j * width, count: width)
            known.append(isKnown[j])
            slots[id] = Int32(slot)
        }
    }
}
