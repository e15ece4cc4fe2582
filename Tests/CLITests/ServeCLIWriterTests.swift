import Foundation
import RecsysTestSupport
import XCTest

/// A running `serve` and CLI writers in other processes: every write's
/// commit is seen by the next request (design.md, "Consistency"), while
/// other clients read meanwhile.
extension ServeEndToEndTests {
    func testCLIWritesAreSeenByTheNextRequestWhileOthersRead() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        let dim = 8
        var rng = SeededRandom(seed: 11)
        let base = (0..<1_500).map { i in "b\(i):" + (0..<dim).map { _ in "\(Float.random(in: -1...1, using: &rng))" }.joined(separator: " ") }
        /// A marker per cycle: a direction no base vector is near.
        func marker(_ i: Int) -> [Float] { (0..<dim).map { $0 == i % dim ? 40 + Float(i) : ($0 == (i + 1) % dim ? Float(i % 3) : 0) } }
        func importVersion(_ i: Int) throws -> String {
            let text = (base + ["m\(i):" + marker(i).map { "\($0)" }.joined(separator: " ")]).joined(separator: "\n") + "\n"
            return dir.write("v\(i).txt", text)
        }
        XCTAssertEqual(try recsys(["embedding", "import", try importVersion(0), "--format", "sparrow", "--table", "item2vec", "--store", store]).status, 0)
        XCTAssertEqual(try recsys(["items", "import", dir.write("i0.csv", "movieId,title\nm0,Marker 0\n"), "--store", store]).status, 0)
        let (p, port) = try startServe(store: store)
        defer { if p.isRunning { p.terminate() } }
        let url = "http://127.0.0.1:\(port)"
        func topOfRecall(_ v: [Float]) -> String? {
            let r = request(url + "/v1/recall", method: "POST", body: #"{"vector": [\#(v.map { "\($0)" }.joined(separator: ","))], "k": 1}"#)
            guard r.0 == 200, let body = try? jsonObject(r.1) as? [String: Any] else { return "status \(r.0): \(r.1)" }
            return ((body["results"] as? [[String: Any]])?.first?["id"] as? String)
        }

        // two readers meanwhile, each request bounded by its timeout
        let stop = ManagedFlag()
        let readers = (0..<2).map { r -> Thread in
            let t = Thread { [self] in
                var i = 0
                while !stop.isSet && i < 20_000 { i += 1; _ = get(url + "/v1/recall/item/b\((r * 7 + i) % 1_500)?k=10") }
            }
            t.start()
            return t
        }
        defer { stop.set() }

        var misses: [String] = []
        for i in 1...12 {
            // an import: the new marker is recalled first at once, and answers recall/item
            XCTAssertEqual(try recsys(["embedding", "import", try importVersion(i), "--format", "sparrow", "--table", "item2vec", "--store", store]).status, 0)
            if topOfRecall(marker(i)) != "m\(i)" { misses.append("import \(i): top \(topOfRecall(marker(i)) ?? "none")") }
            if get(url + "/v1/recall/item/m\(i)?k=1").0 != 200 { misses.append("import \(i): recall/item/m\(i) not 200") }
            if get(url + "/v1/recall/item/m\(i - 1)?k=1").0 != 404 { misses.append("import \(i): the replaced version's m\(i - 1) still answers") }
            // an index build on every third cycle: indexed recall finds it too
            if i % 3 == 0 {
                XCTAssertEqual(try recsys(["index", "build", "--table", "item2vec", "--store", store]).status, 0)
                if topOfRecall(marker(i)) != "m\(i)" { misses.append("index \(i): top \(topOfRecall(marker(i)) ?? "none")") }
            }
            // a rollback on every fourth: the previous version's marker is back, this one gone
            if i % 4 == 0 {
                XCTAssertEqual(try recsys(["embedding", "rollback", "item2vec", "--store", store]).status, 0)
                if topOfRecall(marker(i - 1)) != "m\(i - 1)" { misses.append("rollback \(i): m\(i - 1) not recalled first") }
                if get(url + "/v1/recall/item/m\(i)?k=1").0 != 404 { misses.append("rollback \(i): m\(i) still answers") }
                XCTAssertEqual(try recsys(["embedding", "import", try importVersion(i), "--format", "sparrow", "--table", "item2vec", "--store", store]).status, 0)
            }
            // an items import: the new title at once
            XCTAssertEqual(try recsys(["items", "import", dir.write("i\(i).csv", "movieId,title\nm\(i),Marker \(i)\n"), "--store", store]).status, 0)
            let item = get(url + "/v1/items/m\(i)")
            if item.0 != 200 || !item.1.contains("Marker \(i)") { misses.append("items \(i): \(item.0) \(item.1)") }
        }
        // a neighbours build: the next recommend takes the multi-source path
        let log = dir.write("r.csv", "userId,movieId,rating,timestamp\nu,b1,5,1\nu,b2,5,2\nv,b1,5,3\nv,b2,5,4\nv,b3,5,5\n")
        XCTAssertEqual(try recsys(["neighbours", "build", "--ratings", log, "--store", store]).status, 0)
        let rec = get(url + "/v1/recommend/user/u?k=2")
        if rec.0 != 200 || !rec.1.contains("\"recall_method\":\"sources\"") { misses.append("neighbours: \(rec.0) \(rec.1)") }
        stop.set()
        let deadline = Date().addingTimeInterval(40)
        while readers.contains(where: { !$0.isFinished }) && Date() < deadline { usleep(20_000) }
        XCTAssertFalse(readers.contains { !$0.isFinished }, "readers did not stop")
        XCTAssertEqual(misses, [], "writes not seen by the next request")
    }
}
