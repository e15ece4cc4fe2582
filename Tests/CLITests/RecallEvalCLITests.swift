import EmbedStore
import Foundation
import RecsysTestSupport
import XCTest

final class RecallEvalCLITests: XCTestCase {
    /// Writes vectors as `.fvecs` (an int32 dimension, then float32s).
    func fvecs(_ vectors: [[Float]]) -> [UInt8] {
        var out: [UInt8] = []
        for v in vectors {
            withUnsafeBytes(of: Int32(v.count)) { out += $0 }
            for x in v { withUnsafeBytes(of: x) { out += $0 } }
        }
        return out
    }

    /// `recall eval --groundtruth` scores the search against the given lists:
    /// the true lists give recall 1 for an exact search, lists of other rows give 0.
    func testGroundTruthFromAnIvecsFile() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        let data = ClusteredVectors(n: 500, queries: 20, dim: 8, clusters: 10)
        XCTAssertEqual(try recsys(["embedding", "import", dir.write("base.fvecs", bytes: fvecs(data.base)), "--table", "t", "--store", store]).status, 0)
        let queries = dir.write("q.fvecs", bytes: fvecs(data.queries))
        // exact top 10 by cosine, computed here
        func truth(_ q: [Float]) -> [Int] {
            func cos(_ a: [Float], _ b: [Float]) -> Float {
                zip(a, b).map(*).reduce(0, +) / (zip(a, a).map(*).reduce(0, +).squareRoot() * zip(b, b).map(*).reduce(0, +).squareRoot())
            }
            return data.base.indices.sorted { cos(q, data.base[$0]) > cos(q, data.base[$1]) }.prefix(10).map { $0 }
        }
        func ivecs(_ lists: [[Int]]) -> [UInt8] {
            var out: [UInt8] = []
            for l in lists {
                withUnsafeBytes(of: Int32(l.count)) { out += $0 }
                for x in l { withUnsafeBytes(of: Int32(x)) { out += $0 } }
            }
            return out
        }
        let right = dir.write("gt.ivecs", bytes: ivecs(data.queries.map(truth)))
        let wrong = dir.write("wrong.ivecs", bytes: ivecs(data.queries.map { q in
            let t = Set(truth(q))
            return Array(data.base.indices.filter { !t.contains($0) }.prefix(10))
        }))
        func recall(_ gt: String) throws -> Double {
            let r = try recsys(["recall", "eval", "--table", "t", "--queries", queries, "--groundtruth", gt, "-k", "10", "--json", "--store", store])
            XCTAssertEqual(r.status, 0, r.stderr)
            let evals = try XCTUnwrap(try jsonObject(r.stdout) as? [[String: Any]], r.stdout)
            return try XCTUnwrap(evals.first?["recall"] as? Double, r.stdout)
        }
        XCTAssertEqual(try recall(right), 1, accuracy: 1e-6)
        XCTAssertEqual(try recall(wrong), 0, accuracy: 1e-6)
        // --with-exact adds a row for exact search on the same queries (after an index sweep)
        XCTAssertEqual(try recsys(["index", "build", "--table", "t", "--store", store]).status, 0)
        let both = try recsys(["recall", "eval", "--table", "t", "--queries", queries, "--groundtruth", right, "--probes", "1,2", "--with-exact", "--json", "--store", store])
        XCTAssertEqual(both.status, 0, both.stderr)
        let rows = try XCTUnwrap(try jsonObject(both.stdout) as? [[String: Any]])
        XCTAssertEqual(rows.count, 3, both.stdout)
        XCTAssertEqual(rows.last?["method"] as? String, "exact")
        XCTAssertEqual(rows.last?["recall"] as? Double ?? 0, 1, accuracy: 1e-6)
        XCTAssertEqual(rows.last?["candidates"] as? Double, 500)
        let short = dir.write("short.ivecs", bytes: ivecs([truth(data.queries[0])]))
        let r = try recsys(["recall", "eval", "--table", "t", "--queries", queries, "--groundtruth", short, "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("1 rows for 20 queries"), r.stderr)
    }

    /// A store open in this process adopts a map that another process grew
    /// (LMDB's MDB_MAP_RESIZED) and reads what that process wrote.
    func testAnOpenStoreAdoptsAMapGrownByAnotherProcess() throws {
        let dir = TempDir()
        let path = dir.file("s.lmdb")
        XCTAssertEqual(try recsys(["embedding", "import", dir.write("a.txt", "a:1 2\n"), "--table", "small", "--store", path],
                                  environment: ["RECSYS_MAP_SIZE": "\(1 << 20)"]).status, 0)
        let store = try Store(path: path, mapSize: 1 << 20)
        let before = store.mapSize
        // 200k x 16 floats: far past the 1 MiB this process mapped
        var text = ""
        for i in 0..<200_000 { text += "i\(i):" + (0..<16).map { String(Float((i + $0) % 97) / 97) }.joined(separator: " ") + "\n" }
        let r = try recsys(["embedding", "import", dir.write("big.txt", text), "--table", "big", "--store", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try store.read { try $0.table("big").count }
        XCTAssertEqual(rows, 200_000)
        XCTAssertGreaterThan(store.mapSize, before, "the map should have been adopted from the other process")
    }
}
