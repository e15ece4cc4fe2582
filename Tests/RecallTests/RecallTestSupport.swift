import EmbedStore
import Foundation
import Recall

/// A temporary store removed when the test ends.
final class TempStore {
    let dir: URL
    let store: Store
    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("recsys-recall-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try Store(path: dir.appendingPathComponent("s.lmdb").path)
    }
    deinit { try? FileManager.default.removeItem(at: dir) }

    func file(_ name: String, _ text: String) -> String {
        let p = dir.appendingPathComponent(name).path
        FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        return p
    }
}

/// The clustered unit-vector mixture of `gen_vectors.py` (same recipe, Swift
/// generator): item-embedding-like, and hard for LSH since neighbours are
/// close in angle.
struct ClusteredVectors {
    var base: [[Float]]
    var queries: [[Float]]

    init(n: Int, queries q: Int, dim: Int = 64, clusters: Int = 1000, spread: Float = 0.35, seed: UInt64 = 20201118) {
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

    func load(into store: Store, table: String) throws {
        try store.write { txn in
            let b = try TableBuilder(txn: txn, name: table, kind: .pretrained, source: "generated")
            for (i, v) in base.enumerated() { try b.append(id: String(i), vector: v) }
            try b.finish()
        }
    }
}

/// A count several threads add to.
final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
