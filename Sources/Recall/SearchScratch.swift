import EmbedStore
/// Per-query working memory, allocated once per thread and reused: no
/// allocation on the query path. The hot loops work on raw pointers into
/// buffers this object owns (no bounds or uniqueness checks per candidate).
final class SearchScratch {
    /// The normalised query.
    let query: UnsafeMutablePointer<Float>
    /// Projections of the query on every hyperplane (and the 64 sketch planes).
    let projectionBuffer: UnsafeMutablePointer<Float>
    /// Per table: bit positions sorted by |projection|, ascending, and the
    /// squared projections in that order.
    let orderBuffer: UnsafeMutablePointer<Int32>
    let squaredMarginBuffer: UnsafeMutablePointer<Float>
    /// Per table: the query's own bucket.
    let baseCodeBuffer: UnsafeMutablePointer<UInt32>
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
    /// The top-k heap (copies share its buffer).
    let heap: TopK
    private let probeKeys = ScratchBuffer<UInt64>()
    private let admission = ScratchBuffer<UInt64>()
    private let scores = ScratchBuffer<Float>()
    private let quantizedQuery = ScratchBuffer<Int16>()
    private let approximateScores = ScratchBuffer<Int32>()
    private let probeTables = ScratchBuffer<Int32>()
    private let probeMasks = ScratchBuffer<UInt32>()

    /// Candidate rows and their sketch distances, and every
    /// row the query touched.
    struct CandidateBuffers {
        var rows: UnsafeMutablePointer<Int32>
        var distances: UnsafeMutablePointer<UInt8>
        var touched: UnsafeMutablePointer<Int32>
    }

    init(slots: Int, dimension: Int, maxPlanes: Int) {
        query = .allocate(capacity: max(1, dimension))
        projectionBuffer = .allocate(capacity: max(64, maxPlanes))
        orderBuffer = .allocate(capacity: max(1, maxPlanes))
        squaredMarginBuffer = .allocate(capacity: max(1, maxPlanes))
        baseCodeBuffer = .allocate(capacity: 64)
        visitedWords = slots / 64 + 1
        visitedBuffer = .allocate(capacity: visitedWords)
        visitedBuffer.initialize(repeating: 0, count: visitedWords)
        buffers = CandidateBuffers(rows: .allocate(capacity: 1), distances: .allocate(capacity: 1), touched: .allocate(capacity: 1))
        histogram = .allocate(capacity: 65)
        heap = TopK(k: 10)
    }

    deinit {
        query.deallocate(); projectionBuffer.deallocate(); orderBuffer.deallocate(); visitedBuffer.deallocate()
        squaredMarginBuffer.deallocate(); baseCodeBuffer.deallocate()
        histogram.deallocate()
        buffers.rows.deallocate(); buffers.distances.deallocate(); buffers.touched.deallocate()
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

    /// An empty probe heap with room for `capacity` pushes.
    func probeHeap(capacity: Int) -> ProbeHeap {
        ProbeHeap(keys: probeKeys.room(for: capacity), tables: probeTables.room(for: capacity), masks: probeMasks.room(for: capacity))
    }

    /// Room for a bit per row: the rows an exact scan may return.
    func admissionBuffer(words: Int) -> UnsafeMutablePointer<UInt64> { admission.room(for: words) }

    /// Room for `count` scores.
    func scoreBuffer(count: Int) -> UnsafeMutablePointer<Float> { scores.room(for: count) }

    /// The query in 16-bit integers for the 8-bit row copy.
    func quantizedQueryBuffer(count: Int) -> UnsafeMutablePointer<Int16> { quantizedQuery.room(for: count) }

    /// Each candidate's approximate score from the 8-bit row copy.
    func approximateScoreBuffer(count: Int) -> UnsafeMutablePointer<Int32> { approximateScores.room(for: count) }

    /// Room for `count` bucket bounds.
    func boundsBuffer(count: Int) -> UnsafeMutablePointer<UInt32> { bounds.room(for: count) }

    /// Candidate buffers for at most `capacity` rows (grown, never shrunk).
    func candidateBuffers(capacity: Int) -> CandidateBuffers {
        if capacity > candidateCapacity {
            buffers.rows.deallocate(); buffers.distances.deallocate(); buffers.touched.deallocate()
            candidateCapacity = max(capacity, 2 * candidateCapacity, 1024)
            buffers = CandidateBuffers(rows: .allocate(capacity: candidateCapacity),
                                       distances: .allocate(capacity: candidateCapacity), touched: .allocate(capacity: candidateCapacity))
        }
        return buffers
    }
}
