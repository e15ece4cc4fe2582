import Foundation
import RecsysTestSupport
import XCTest

/// `neighbours build` then `recommend`: the default path recommends from the
/// user's history, tags each result with its sources, honours filters, and
/// keeps answering after the tables change.
final class NeighboursCLITests: XCTestCase {
    /// Two taste groups (Comedy a*, Drama b*), everyone also saw `pop`.
    private func tasteLog() -> String {
        var log = "userId,movieId,rating,timestamp\n"
        var t = 0
        for u in 0..<30 {
            let group = u % 2 == 0 ? "a" : "b"
            // each user sees 4 of the group's 6 items, in a user-dependent order
            let items = (0..<4).map { "\(group)\(1 + (u / 2 + $0 * 5) % 6)" }
            for item in ["pop"] + items { t += 1; log += "u\(u),\(item),5,\(t)\n" }
        }
        return log
    }

    func testRecommendUsesNeighboursOfTheHistoryAndSaysWhy() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        var catalogue = "movieId,title,genres\npop,Popular,Comedy|Drama\n"
        for g in ["a", "b"] { for i in 1...6 { catalogue += "\(g)\(i),\(g.uppercased())\(i),\(g == "a" ? "Comedy" : "Drama")\n" } }
        XCTAssertEqual(try recsys(["items", "import", dir.write("movies.csv", catalogue), "--store", store]).status, 0)

        // a log with a missing column is refused and writes nothing
        var r = try recsys(["neighbours", "build", "--ratings", dir.write("bad.csv", "userId,rating\n1,5\n"), "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("bad.csv"), r.stderr)
        r = try recsys(["neighbours", "list", "--json", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual((try jsonObject(r.stdout) as! [Any]).count, 0)

        r = try recsys(["neighbours", "build", "--ratings", dir.write("r.csv", tasteLog()), "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("30 histories stored"), r.stdout)

        // user u0 (group a): the unseen Comedy items first, none of the history, each tagged
        r = try recsys(["recommend", "user", "u0", "-k", "4", "--json", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        var body = try jsonObject(r.stdout) as! [String: Any]
        XCTAssertEqual(body["recall_method"] as? String, "sources")
        var results = body["results"] as! [[String: Any]]
        let history = Set(tasteLog().split(separator: "\n").filter { $0.hasPrefix("u0,") }.map { String($0.split(separator: ",")[1]) })
        XCTAssertEqual(history.count, 5)
        XCTAssertTrue(results.allSatisfy { !history.contains($0["id"] as! String) }, "\(results)")
        XCTAssertEqual(results.prefix(2).map { ($0["id"] as! String).prefix(1) }, ["a", "a"], "\(results)")
        XCTAssertTrue(results.allSatisfy { ($0["sources"] as? [String])?.isEmpty == false }, "\(results)")
        let scores = results.map { $0["rank_score"] as! Double }
        XCTAssertEqual(scores, scores.sorted(by: >))

        // a filter: only Drama, still a full list (popular fills what neighbours cannot)
        r = try recsys(["recommend", "user", "u0", "-k", "4", "--where", "genres=Drama", "--json", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        results = (try jsonObject(r.stdout) as! [String: Any])["results"] as! [[String: Any]]
        XCTAssertEqual(results.count, 4)
        XCTAssertTrue(results.allSatisfy { ($0["genres"] as! [String]).contains("Drama") && !history.contains($0["id"] as! String) }, "\(results)")
        r = try recsys(["recommend", "user", "u0", "--where", "colour=red", "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("colour"), r.stderr)

        // a new user by --history; --explain names the sources per result
        r = try recsys(["recommend", "user", "new", "--history", "b1,b2", "-k", "3", "--explain", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("sources"), r.stdout)
        XCTAssertTrue(r.stdout.contains("neighbours"), r.stdout)
        XCTAssertTrue(r.stderr.contains("recall sources, in merge order: neighbours"), r.stderr)
        // no history at all: most popular, and the note says so
        r = try recsys(["recommend", "user", "stranger", "-k", "3", "--json", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        body = try jsonObject(r.stdout) as! [String: Any]
        XCTAssertEqual((body["results"] as! [[String: Any]]).first?["id"] as? String, "pop")
        XCTAssertTrue((body["note"] as? String ?? "").contains("most popular"), "\(body)")

        // an embedding source, then a delete of a row: recommend keeps answering, without the deleted item from embedding
        var emb = ""
        for g in ["a", "b"] { for i in 1...6 { emb += "\(g)\(i):\(g == "a" ? 1 : -1) \(Float(i) / 10)\n" } }
        for args in [["embedding", "import", dir.write("e.txt", emb), "--format", "sparrow", "--table", "item2vec"], ["embedding", "remove", "item2vec", "a2"]] {
            r = try recsys(args + ["--store", store])
            XCTAssertEqual(r.status, 0, args.joined(separator: " ") + r.stderr)
        }
        r = try recsys(["recommend", "user", "u0", "-k", "8", "--json", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        body = try jsonObject(r.stdout) as! [String: Any]
        XCTAssertEqual(body["sources"] as? [String], ["neighbours 'neighbours' (ease)", "embedding 'item2vec'", "popular"])
        results = body["results"] as! [[String: Any]]
        XCTAssertTrue(results.contains { ($0["sources"] as! [String]).contains("embedding") }, "\(results)")
        XCTAssertFalse(results.contains { $0["id"] as? String == "a2" && ($0["sources"] as! [String]) == ["embedding"] }, "\(results)")

        // a serving error prints like every other error: `error: ...`, exit 1
        r = try recsys(["recommend", "user", "u0", "-k", "0", "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("error: k must be in 1..."), r.stderr)

        // --model takes the embedding path: no model stored, so it says which
        r = try recsys(["recommend", "user", "u0", "--model", "none", "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("no model named 'none'"), r.stderr)
    }
}
