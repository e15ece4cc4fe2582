/// Multi-probe perturbation sets, best (smallest summed squared margin) first,
/// across all tables at once. A set is a bit mask over a table's bit positions
/// sorted by margin; children are "shift" (move the highest position up by
/// one) and "expand" (add the next position), as in Lv et al. 2007.
///
/// A min-heap of packed keys (score bits << 32 | push number) over buffers the
/// caller's scratch owns: a score is never negative, so its bit pattern orders
/// like the score, and equal scores pop in push order. Every push gets its own
/// slot in `tables`/`masks`, so the heap moves only 8-byte keys.
struct ProbeHeap {
    private let keys: UnsafeMutablePointer<UInt64>
    private let tables: UnsafeMutablePointer<Int32>
    private let masks: UnsafeMutablePointer<UInt32>
    private var count = 0
    private var pushes = 0

    /// A heap over caller-owned room for as many pushes as the query makes.
    init(keys: UnsafeMutablePointer<UInt64>, tables: UnsafeMutablePointer<Int32>, masks: UnsafeMutablePointer<UInt32>) {
        self.keys = keys
        self.tables = tables
        self.masks = masks
    }

    var isEmpty: Bool { count == 0 }

    @inline(__always)
    mutating func push(_ score: Float, table: Int, mask: UInt32) {
        let slot = pushes
        pushes += 1
        tables[slot] = Int32(truncatingIfNeeded: table)
        masks[slot] = mask
        let key = UInt64(max(0, score).bitPattern) << 32 | UInt64(slot)
        var i = count
        count += 1
        while i > 0 {
            let parent = (i - 1) >> 1
            let p = keys[parent]
            if p <= key { break }
            keys[i] = p
            i = parent
        }
        keys[i] = key
    }

    @inline(__always)
    mutating func pop() -> (score: Float, table: Int, mask: UInt32) {
        let top = keys[0]
        count -= 1
        let last = keys[count]
        var i = 0
        while true {
            let l = 2 * i + 1
            if l >= count { break }
            var m = l
            if l + 1 < count && keys[l + 1] < keys[l] { m = l + 1 }
            if keys[m] >= last { break }
            keys[i] = keys[m]
            i = m
        }
        keys[i] = last
        let slot = Int(top & 0xFFFF_FFFF)
        return (Float(bitPattern: UInt32(top >> 32)), Int(tables[slot]), masks[slot])
    }
}
