import EmbedStore
import Foundation

/// Item-to-item weights learned from users' positive histories: for each
/// item of a history, the items that tend to follow it and how much. The
/// recall source behind `recommend`'s default (sparse EASE^R, or cosine
/// co-occurrence), stored in the store beside the tables.
///
/// Rules:
/// - Each item keeps its `neighbours` largest positive weights, best first,
///   so memory is items x neighbours and a user's scores cost history x
///   neighbours whatever the catalogue size.
/// - A user's score of item j is the sum over the history items i of
///   w(i) * weight(i, j), where w is 1 for every item (`decay` 1: long-term
///   interest, recall's wide net) or decay^age, age 0 for the latest item
///   (the order the user went in: what the ranking stage uses). An item seen
///   twice counts once, at its latest position.
/// - Items of the history are never returned; ids the model does not know
///   are ignored (they carry no weights).
/// - Built from training events only: pass the events a metric will score
///   and the figures measure memory, not recommendation.
public struct ItemNeighbours: Sendable {
    /// How the weights were learned.
    public enum Method: String, Codable, Sendable {
        /// EASE^R (Steck 2019): the closed-form item-item regression.
        case ease
        /// Co-occurrence cosine |U(i) ∩ U(j)| / sqrt(|U(i)| |U(j)|).
        case cosine
    }

    public struct Header: Codable, Sendable {
        public var method: Method
        public var lambda: Float?
        public var neighbours: Int
        public var itemIDs: [String]
        /// Training positives per item: the most-popular fallback.
        public var counts: [Int32]
        public var users: Int
        public var events: Int
        public var createdAt: Date

        public init(method: Method, lambda: Float?, neighbours: Int, itemIDs: [String], counts: [Int32], users: Int, events: Int, createdAt: Date) {
            self.method = method
            self.lambda = lambda
            self.neighbours = neighbours
            self.itemIDs = itemIDs
            self.counts = counts
            self.users = users
            self.events = events
            self.createdAt = createdAt
        }
    }

    public let header: Header
    /// `items * neighbours` neighbour indices (-1: none) and weights.
    public let ids: [Int32]
    public let weights: [Float]
    /// Item indices by training count, most first (ties by index).
    public let popular: [Int32]
    private let index: [String: Int32]

    public var itemCount: Int { header.itemIDs.count }
    public var neighbours: Int { header.neighbours }

    public init(header: Header, ids: [Int32], weights: [Float]) {
        precondition(ids.count == header.itemIDs.count * header.neighbours && weights.count == ids.count && header.counts.count == header.itemIDs.count)
        self.header = header
        self.ids = ids
        self.weights = weights
        let c = header.counts
        popular = (0..<Int32(c.count)).filter { c[Int($0)] > 0 }.sorted { c[Int($0)] != c[Int($1)] ? c[Int($0)] > c[Int($1)] : $0 < $1 }
        var index: [String: Int32] = [:]
        index.reserveCapacity(header.itemIDs.count)
        for (i, id) in header.itemIDs.enumerated() { index[id] = Int32(i) }
        self.index = index
    }

    /// The model's index of each id it knows, in order (unknown ids dropped).
    public func indices(of ids: [String]) -> [Int32] { ids.compactMap { index[$0] } }

    public func id(_ item: Int32) -> String { header.itemIDs[Int(item)] }

    /// Scores of every item reachable from `history` (item indices, oldest
    /// first) with the history's weights decay^age; `scratch` is `itemCount`
    /// zeros and is left zeroed. Returns (item, score) in no order.
    public func scores(history: [Int32], decay: Float, scratch: inout [Float]) -> [(item: Int32, score: Float)] {
        precondition(scratch.count >= itemCount)
        var touched: [Int32] = []
        var counted = Set<Int32>()
        var w: Float = 1
        let m = neighbours
        for i in history.reversed() where Int(i) < itemCount {
            guard counted.insert(i).inserted else { continue }  // latest position only
            let base = Int(i) * m
            for n in 0..<m {
                let j = ids[base + n]
                if j < 0 { break }
                if scratch[Int(j)] == 0 { touched.append(j) }
                scratch[Int(j)] += w * weights[base + n]
            }
            w *= decay
        }
        let out = touched.compactMap { j -> (item: Int32, score: Float)? in counted.contains(j) || scratch[Int(j)] <= 0 ? nil : (j, scratch[Int(j)]) }
        for j in touched { scratch[Int(j)] = 0 }
        return out
    }

    /// The `k` best items for `history`, best first (ties by index).
    public func recommend(history: [Int32], decay: Float = 1, k: Int, scratch: inout [Float]) -> [(item: Int32, score: Float)] {
        var s = scores(history: history, decay: decay, scratch: &scratch)
        s.sort { $0.score != $1.score ? $0.score > $1.score : $0.item < $1.item }
        return Array(s.prefix(k))
    }

    /// The score of each of `items` for `history` with weights decay^age.
    public func score(_ items: [Int32], history: [Int32], decay: Float, scratch: inout [Float]) -> [Float] {
        var seen = Set<Int32>()
        var w: Float = 1
        let m = neighbours
        for i in history.reversed() where Int(i) < itemCount {
            guard seen.insert(i).inserted else { continue }
            let base = Int(i) * m
            for n in 0..<m {
                let j = ids[base + n]
                if j < 0 { break }
                scratch[Int(j)] += w * weights[base + n]
            }
            w *= decay
        }
        let out = items.map { Int($0) < itemCount ? scratch[Int($0)] : 0 }
        for i in seen {
            let base = Int(i) * m
            for n in 0..<m { let j = ids[base + n]; if j < 0 { break }; scratch[Int(j)] = 0 }
        }
        return out
    }
}

// MARK: - In the store

extension ItemNeighbours {
    /// The default name `recommend` looks for.
    public static let defaultName = "neighbours"
    static func key(_ name: String) -> String { "neighbours\u{1}" + name }

    /// Layout: UInt32 LE header length, the JSON header, then `ids` (Int32
    /// LE) and `weights` (Float32 LE); the store's block trailer checksums it all.
    public func save(_ txn: Transaction, name: String = defaultName) throws {
        try TableName.validate(name)
        let enc = JSONEncoder()
        enc.dateEncodingStrategy = .secondsSince1970
        let head = try enc.encode(header)
        let count = 4 + head.count + ids.count * 8
        try txn.putBlob(.features, Self.key(name), count: count) { dst in
            dst.storeBytes(of: UInt32(head.count).littleEndian, toByteOffset: 0, as: UInt32.self)
            head.withUnsafeBytes { dst.baseAddress!.advanced(by: 4).copyMemory(from: $0.baseAddress!, byteCount: head.count) }
            let o = 4 + head.count
            ids.withUnsafeBytes { dst.baseAddress!.advanced(by: o).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            weights.withUnsafeBytes { dst.baseAddress!.advanced(by: o + ids.count * 4).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
    }

    /// The stored model `name`, or nil when the store has none.
    public static func load(_ txn: Transaction, name: String = defaultName) throws -> ItemNeighbours? {
        guard let raw = try txn.blob(.features, key(name)) else { return nil }
        func damaged(_ why: String) -> Error { StoreError.damaged(path: txn.store.path, reason: "neighbours '\(name)': \(why)") }
        guard raw.count >= 4 else { throw damaged("\(raw.count) bytes") }
        let n = Int(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
        guard n <= raw.count - 4 else { throw damaged("header length \(n) beyond the record") }
        let dec = JSONDecoder()
        dec.dateDecodingStrategy = .secondsSince1970
        let header: Header
        do { header = try dec.decode(Header.self, from: Data(raw[4..<(4 + n)])) } catch { throw damaged("header: \(error)") }
        let (cells, overflow) = header.itemIDs.count.multipliedReportingOverflow(by: header.neighbours)
        guard !overflow, header.neighbours > 0, header.counts.count == header.itemIDs.count, raw.count - 4 - n == cells * 8 else {
            throw damaged("\(raw.count - 4 - n) bytes of weights for \(header.itemIDs.count) items x \(header.neighbours)")
        }
        let body = UnsafeRawBufferPointer(rebasing: raw[(4 + n)...])
        var ids = [Int32](repeating: 0, count: cells), weights = [Float](repeating: 0, count: cells)
        ids.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: body[..<(cells * 4)])) }
        weights.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: body[(cells * 4)...])) }
        guard ids.allSatisfy({ $0 >= -1 && Int($0) < header.itemIDs.count }) else { throw damaged("a neighbour index beyond \(header.itemIDs.count) items") }
        return ItemNeighbours(header: header, ids: ids, weights: weights)
    }

    /// Names of the stored models.
    public static func list(_ txn: Transaction) throws -> [String] {
        var names: [String] = []
        try txn.forEachBlob(.features, prefix: key("")) { k, _ in names.append(String(k.dropFirst(key("").count))); return true }
        return names
    }
}
