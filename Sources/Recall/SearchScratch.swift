/// Per-query working memory, allocated once per thread and reused: no
/// allocation on the query path. The hot loops work on raw pointers into
/// buffers this object owns (no bounds or uniqueness checks per candidate).
final class SearchScratch {
    /// The normalised query.
    let query: UnsafeMutablePointer<Float>
    /// Projections of the query on every hyperplane (and the 64 sketch planes).
    let projectionBuffer: UnsafeMutablePointer<Float>
    /// Per table: bit positions sorted by |projection|, ascending.
    let orderBuffer: UnsafeMutablePointer<Int32>
    /// One bit per row: seen by the current query. Cleared after each query
    /// through the touched rows, so the cost is per candidate, not per row.
    private(set) var visitedBuffer: UnsafeMutablePointer<UInt64>
    private var visitedWords: Int
    private let probeCodes = ScratchBuffer<UInt64>()
    private let bounds = ScratchBuffer<UInt32>()
    private var buffers: CandidateBuffers
    private var candidateCapacity = 0
    /// Candidates per sketch distance 0...64.
    let histogram: UnsafeMutablePointer<Int>
    var heap: TopK
    var probeHeap = ProbeHeap()

    /// Candidate rows, their inverse norms and sketch distances, and every
    /// row the query touched.
    struct CandidateBuffers {
        var rows: UnsafeMutablePointer<Int32>
        var norms: UnsafeMutablePointer<Float>
        var distances: UnsafeMutablePointer<UInt8>
        var touched: UnsafeMutablePointer<Int32>
    }

    init(slots: Int, dimension: Int, maxPlanes: Int) {
        query = .allocate(capacity: max(1, dimension))
        projectionBuffer = .allocate(capacity: max(64, maxPlanes))
        orderBuffer = .allocate(capacity: max(1, maxPlanes))
        visitedWords = slots / 64 + 1
        visitedBuffer = .allocate(capacity: visitedWords)
        visitedBuffer.initialize(repeating: 0, count: visitedWords)
        buffers = CandidateBuffers(rows: .allocate(capacity: 1), norms: .allocate(capacity: 1), distances: .allocate(capacity: 1), touched: .allocate(capacity: 1))
        histogram = .allocate(capacity: 65)
        heap = TopK(k: 10)
    }

    deinit {
        query.deallocate(); projectionBuffer.deallocate(); orderBuffer.deallocate(); visitedBuffer.deallocate()
        histogram.deallocate()
        buffers.rows.deallocate(); buffers.norms.deallocate(); buffers.distances.deallocate(); buffers.touched.deallocate()
    }

    /// Readies the seen-bits for a query over `slots` rows.
    func prepare(slots: Int) {
        if visitedWords < slots / 64 + 1 {
            visitedBuffer.deallocate()
            visitedWords = slots / 64 + 1
            visitedBuffer = .allocate(capacity: visitedWords)
            visitedBuffer.initialize(repeating: 0, count: visitedWords)
        }
    }

    /// Room for `count` probe codes.
    func probeCodeBuffer(count: Int) -> UnsafeMutablePointer<UInt64> { probeCodes.room(for: count) }

    /// Room for `count` bucket bounds.
    func boundsBuffer(count: Int) -> UnsafeMutablePointer<UInt32> { bounds.room(for: count) }

    /// Candidate buffers for at most `capacity` rows (grown, never shrunk).
    func candidateBuffers(capacity: Int) -> CandidateBuffers {
        if capacity > candidateCapacity {
            buffers.rows.deallocate(); buffers.norms.deallocate(); buffers.distances.deallocate(); buffers.touched.deallocate()
            candidateCapacity = max(capacity, 2 * candidateCapacity, 1024)
            buffers = CandidateBuffers(rows: .allocate(capacity: candidateCapacity), norms: .allocate(capacity: candidateCapacity),
                                       distances: .allocate(capacity: candidateCapacity), touched: .allocate(capacity: candidateCapacity))
        }
        return buffers
    }
}

/// A reusable buffer that grows (never shrinks) to the room asked for;
/// its contents do not survive growth.
final class ScratchBuffer<Element> {
    private var base: UnsafeMutablePointer<Element> = .allocate(capacity: 1)
    private var capacity = 1

    deinit { base.deallocate() }

    func room(for count: Int) -> UnsafeMutablePointer<Element> {
        if count > capacity {
            base.deallocate()
            capacity = max(count, 2 * capacity)
            base = .allocate(capacity: capacity)
        }
        return base
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
