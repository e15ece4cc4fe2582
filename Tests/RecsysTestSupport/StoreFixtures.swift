import EmbedStore
import Foundation

/// A deterministic generator so failures reproduce.
public typealias SeededRandom = SplitMix64

/// Writes `vectors` as a new version of table `name`, row i under `id(i)`.
public func writeTable(_ store: Store, _ name: String, _ vectors: [[Float]], id: (Int) -> String = { "\($0)" }) throws {
    try store.write { txn in
        let b = try TableBuilder(txn: txn, name: name, kind: .pretrained, source: "test")
        for (i, v) in vectors.enumerated() { try b.append(id: id(i), vector: v) }
        try b.finish()
    }
}

/// Every id and the bits of its vector, for exact comparisons.
public func snapshot(_ store: Store, _ table: String) throws -> [String: [UInt32]] {
    try store.read { txn in
        let t = try txn.table(table)
        var out: [String: [UInt32]] = [:]
        try t.forEachID { row, id in
            out[String(decoding: id, as: UTF8.self)] = try t.vector(ofRow: row).map(\.bitPattern)
        }
        return out
    }
}

/// A whole-store fingerprint: table infos and every table's contents.
public func fingerprint(_ store: Store) throws -> String {
    let infos = try store.read { try $0.tables() }
    var s = ""
    for i in infos {
        s += "\(i.name) v\(i.version) prev\(i.previous?.version ?? 0) n\(i.count) d\(i.dimension) g\(i.current.generation)\n"
        let snap = try snapshot(store, i.name)
        for k in snap.keys.sorted() { s += "\(k):\(snap[k]!)\n" }
    }
    return s
}

public func randomVectors(_ n: Int, _ d: Int, seed: UInt64) -> [[Float]] {
    var rng = SeededRandom(seed: seed)
    return (0..<n).map { _ in (0..<d).map { _ in Float.random(in: -3...3, using: &rng) } }
}

/// The clustered unit-vector mixture of `gen_vectors.py` (same recipe, Swift
/// generator): item-embedding-like, and hard for LSH since neighbours are
/// close in angle.
public struct ClusteredVectors {
    public var base: [[Float]]
    public var queries: [[Float]]

    public init(n: Int, queries q: Int, dim: Int = 64, clusters: Int = 1000, spread: Float = 0.35, seed: UInt64 = 20201118) {
        var rng = SplitMix64(seed: seed)
        func uniform() -> Double { rng.openUnit() }
        func gaussian() -> Float { Float((-2 * Foundation.log(uniform())).squareRoot() * cos(2 * .pi * uniform())) }
        func normalize(_ v: [Float]) -> [Float] {
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / n }
        }
        let centres = (0..<clusters).map { _ in normalize((0..<dim).map { _ in gaussian() }) }
        let s = spread / Float(dim).squareRoot()
        func draw() -> [Float] {
            let c = centres[Int(uniform() * Double(clusters)) % clusters]
            return normalize(c.map { $0 + s * gaussian() })
        }
        base = (0..<n).map { _ in draw() }
        queries = (0..<q).map { _ in draw() }
    }

    public func load(into store: Store, table: String) throws {
        try store.write { txn in
            let b = try TableBuilder(txn: txn, name: table, kind: .pretrained, source: "generated")
            for (i, v) in base.enumerated() { try b.append(id: String(i), vector: v) }
            try b.finish()
        }
    }
}

/// A count several threads add to.
public final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    public init() {}
    public func add(_ n: Int = 1) { lock.lock(); count += n; lock.unlock() }
    public var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}

/// A flag one thread sets and others poll.
public final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    public init() {}
    public func set() { lock.lock(); flag = true; lock.unlock() }
    public var isSet: Bool { lock.lock(); defer { lock.unlock() }; return flag }
}

/// A store in `dir` with table `t` of 20,000 8-dimensional vectors imported
/// from a text file, and that file's path (to import it again).
public func storeWithTable(in dir: TempDir) throws -> (Store, String) {
    let store = try Store(path: dir.file("s.lmdb"))
    var text = ""
    for i in 0..<20_000 {
        let values: [String] = (0..<8).map { (j: Int) -> String in String(Float((i * 7 + j * 3) % 101) / 101) }
        text += "i\(i):" + values.joined(separator: " ") + "\n"
    }
    let file = dir.write("t.txt", text)
    try store.importVectors(from: file, table: "t")
    return (store, file)
}
