import Foundation

/// Ids appended to a table version but not yet written to the id B-tree,
/// with their rows: one byte arena and an open-addressing table of entry
/// numbers, so collecting a run costs no allocation per id. (A Dictionary
/// keyed by `[UInt8]` doubled the time of a 10M-row import: an array and a
/// byte-by-byte hash per id.)
struct PendingIDs {
    private var bytes: [UInt8] = []
    /// Entry i's id is `bytes[starts[i]..<starts[i + 1]]`.
    private var starts: [Int] = [0]
    private var rows: [UInt32] = []
    /// Entry number per slot, -1 when empty; a power of two, at most half full.
    private var slots: [Int32]

    init(capacity: Int) {
        var n = 16
        while n < 2 * capacity { n *= 2 }
        slots = [Int32](repeating: -1, count: n)
        rows.reserveCapacity(capacity)
        starts.reserveCapacity(capacity + 1)
    }

    /// Ids held.
    var count: Int { rows.count }

    /// The row of `id`, or nil when it is not pending.
    func row(of id: UnsafeRawBufferPointer) -> UInt32? {
        let mask = slots.count - 1
        var s = Self.hash(id) & mask
        while slots[s] >= 0 {
            let e = Int(slots[s])
            if equals(e, id) { return rows[e] }
            s = (s + 1) & mask
        }
        return nil
    }

    /// Adds `id` (not already held) at `row`.
    mutating func insert(_ id: UnsafeRawBufferPointer, row: UInt32) {
        if 2 * (count + 1) > slots.count { grow() }
        let e = count
        bytes.append(contentsOf: id)
        starts.append(bytes.count)
        rows.append(row)
        place(e, hash: Self.hash(id))
    }

    /// Calls `body` with each id and its row, in the order they were added.
    func forEach(_ body: (UnsafeRawBufferPointer, UInt32) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { all in
            for e in 0..<count { try body(UnsafeRawBufferPointer(rebasing: all[starts[e]..<starts[e + 1]]), rows[e]) }
        }
    }

    /// Forgets every id, keeping the memory for the next run.
    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        starts.append(0)
        rows.removeAll(keepingCapacity: true)
        for i in slots.indices { slots[i] = -1 }
    }

    private func equals(_ e: Int, _ id: UnsafeRawBufferPointer) -> Bool {
        let a = starts[e], b = starts[e + 1]
        guard b - a == id.count else { return false }
        return bytes.withUnsafeBytes { all in id.count == 0 || memcmp(all.baseAddress! + a, id.baseAddress!, id.count) == 0 }
    }

    private mutating func place(_ e: Int, hash: Int) {
        let mask = slots.count - 1
        var s = hash & mask
        while slots[s] >= 0 { s = (s + 1) & mask }
        slots[s] = Int32(e)
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let all = bytes
        all.withUnsafeBytes { raw in
            for e in 0..<count { place(e, hash: Self.hash(UnsafeRawBufferPointer(rebasing: raw[starts[e]..<starts[e + 1]]))) }
        }
    }

    private static func hash(_ id: UnsafeRawBufferPointer) -> Int {
        var h = Hasher()
        h.combine(bytes: id)
        return h.finalize()
    }
}
