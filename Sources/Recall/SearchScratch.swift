/// Per-query working memory, allocated once per thread and reused: no
/// allocation on the query path.
final class SearchScratch {
    /// One bit per row: seen by the current query. Cleared after each query
    /// through `touched`, so the cost is per candidate, not per row.
    var visited: [UInt64]
    var touched: [Int32] = []
    var candidateRows: [Int32] = []
    var candidateNorms: [Float] = []
    var query: [Float]
    var projections: [Float]
    /// Per table: bit positions sorted by |projection|, ascending.
    var order: [Int32]
    var heap: TopK
    var probeHeap = ProbeHeap()

    init(slots: Int, dimension: Int, maxPlanes: Int) {
        visited = [UInt64](repeating: 0, count: slots / 64 + 1)
        touched.reserveCapacity(4096)
        candidateRows.reserveCapacity(4096)
        candidateNorms.reserveCapacity(4096)
        query = [Float](repeating: 0, count: dimension)
        projections = [Float](repeating: 0, count: max(1, maxPlanes))
        order = [Int32](repeating: 0, count: max(1, maxPlanes))
        heap = TopK(k: 10)
    }

    /// Readies the buffers for a query over `slots` rows.
    func prepare(slots: Int) {
        if visited.count < slots / 64 + 1 { visited = [UInt64](repeating: 0, count: slots / 64 + 1) }
        touched.removeAll(keepingCapacity: true)
        candidateRows.removeAll(keepingCapacity: true)
        candidateNorms.removeAll(keepingCapacity: true)
    }
}

/// Multi-probe perturbation sets, best (smallest summed squared margin) first,
/// across all tables at once. A set is a bit mask over a table's bit positions
/// sorted by margin; children are "shift" (move the highest position up by
/// one) and "expand" (add the next position), as in Lv et al. 2007.
struct ProbeHeap {
    var scores: [Float] = []
    var tables: [Int32] = []
    var masks: [UInt32] = []

    mutating func reset() {
        scores.removeAll(keepingCapacity: true)
        tables.removeAll(keepingCapacity: true)
        masks.removeAll(keepingCapacity: true)
    }

    var isEmpty: Bool { scores.isEmpty }

    mutating func push(_ score: Float, table: Int, mask: UInt32) {
        scores.append(score)
        tables.append(Int32(table))
        masks.append(mask)
        var i = scores.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if scores[p] <= scores[i] { break }
            swap(i, p)
            i = p
        }
    }

    mutating func pop() -> (score: Float, table: Int, mask: UInt32) {
        let top = (scores[0], Int(tables[0]), masks[0])
        let last = scores.count - 1
        swap(0, last)
        scores.removeLast()
        tables.removeLast()
        masks.removeLast()
        var i = 0
        let n = scores.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < n && scores[l] < scores[m] { m = l }
            if r < n && scores[r] < scores[m] { m = r }
            if m == i { break }
            swap(i, m)
            i = m
        }
        return top
    }

    private mutating func swap(_ a: Int, _ b: Int) {
        scores.swapAt(a, b)
        tables.swapAt(a, b)
        masks.swapAt(a, b)
    }
}
