import EmbedStore
import Foundation
import XCTest

/// A temporary directory removed when the test ends.
final class TempDir {
    let url: URL
    var path: String { url.path }

    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("recsys-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let p = file(name)
        FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        return p
    }

    @discardableResult
    func write(_ name: String, bytes: [UInt8]) -> String {
        let p = file(name)
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }

    func bytes(_ name: String) -> [UInt8] { Array(FileManager.default.contents(atPath: file(name)) ?? Data()) }
}

/// A deterministic generator so failures reproduce.
typealias SeededRandom = SplitMix64

/// Every id and the bits of its vector, for exact comparisons.
func snapshot(_ store: Store, _ table: String) throws -> [String: [UInt32]] {
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
func fingerprint(_ store: Store) throws -> String {
    let infos = try store.read { try $0.tables() }
    var s = ""
    for i in infos {
        s += "\(i.name) v\(i.version) prev\(i.previous?.version ?? 0) n\(i.count) d\(i.dimension) g\(i.current.generation)\n"
        let snap = try snapshot(store, i.name)
        for k in snap.keys.sorted() { s += "\(k):\(snap[k]!)\n" }
    }
    return s
}

func randomVectors(_ n: Int, _ d: Int, seed: UInt64) -> [[Float]] {
    var rng = SeededRandom(seed: seed)
    return (0..<n).map { _ in (0..<d).map { _ in Float.random(in: -3...3, using: &rng) } }
}
