/// Item-to-item neighbours from co-occurrence in users' positive histories:
/// the cosine of two items' user sets, |U(i) ∩ U(j)| / sqrt(|U(i)| |U(j)|),
/// the item-kNN recall source that recommender libraries ship (and the
/// baseline a learned recall stage has to beat).
///
/// Rules:
/// - Built from the sequences given only: pass training events, never the
///   events a metric will score.
/// - Each item keeps its `neighbours` most similar items (ties by index), so
///   memory is items x neighbours and a user's scores cost history x
///   neighbours, whatever the catalogue size.
/// - A user's score of item j is the sum of sim(i, j) over the items i of the
///   history (the last `recent`, when given); items of the history are never
///   returned.
public struct ItemKNN: Sendable {
    /// Items (vocabulary indices of the log).
    public let itemCount: Int
    public let neighbours: Int
    /// `itemCount * neighbours` neighbour indices (-1: none) and similarities.
    private let ids: [Int32]
    private let sims: [Float]

    public init(sequences: [[Int32]], itemCount: Int, neighbours: Int = 100) {
        self.itemCount = itemCount
        self.neighbours = neighbours
        // users of each item (each user once per item)
        var usersOf = [[Int32]](repeating: [], count: itemCount)
        var distinct: [[Int32]] = []
        distinct.reserveCapacity(sequences.count)
        for (u, seq) in sequences.enumerated() {
            var seen = Set<Int32>()
            var items: [Int32] = []
            for i in seq where seen.insert(i).inserted { items.append(i); usersOf[Int(i)].append(Int32(u)) }
            distinct.append(items)
        }
        var ids = [Int32](repeating: -1, count: itemCount * neighbours)
        var sims = [Float](repeating: 0, count: itemCount * neighbours)
        var co = [Float](repeating: 0, count: itemCount)
        var touched: [Int32] = []
        for i in 0..<itemCount where !usersOf[i].isEmpty {
            for u in usersOf[i] {
                for j in distinct[Int(u)] where Int(j) != i {
                    if co[Int(j)] == 0 { touched.append(j) }
                    co[Int(j)] += 1
                }
            }
            let ni = Float(usersOf[i].count)
            var scored = touched.map { j in (j, co[Int(j)] / (ni * Float(usersOf[Int(j)].count)).squareRoot()) }
            for j in touched { co[Int(j)] = 0 }
            touched.removeAll(keepingCapacity: true)
            scored.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            for (n, (j, s)) in scored.prefix(neighbours).enumerated() {
                ids[i * neighbours + n] = j
                sims[i * neighbours + n] = s
            }
        }
        self.ids = ids
        self.sims = sims
    }

    /// The `k` best items for a history (vocabulary indices), best first;
    /// fewer when the history's neighbours hold fewer. `scratch` is
    /// `itemCount` zeros, left zeroed.
    public func recommend(history: [Int32], recent: Int? = nil, k: Int, scratch: inout [Float]) -> [(item: Int32, score: Float)] {
        let used = recent.map { history.suffix($0) } ?? history[...]
        var touched: [Int32] = []
        for i in used where Int(i) < itemCount {
            let base = Int(i) * neighbours
            for n in 0..<neighbours {
                let j = ids[base + n]
                if j < 0 { break }
                if scratch[Int(j)] == 0 { touched.append(j) }
                scratch[Int(j)] += sims[base + n]
            }
        }
        let exclude = Set(history)
        var out = touched.filter { !exclude.contains($0) }.map { (item: $0, score: scratch[Int($0)]) }
        for j in touched { scratch[Int(j)] = 0 }
        out.sort { $0.score != $1.score ? $0.score > $1.score : $0.item < $1.item }
        return Array(out.prefix(k))
    }
}
