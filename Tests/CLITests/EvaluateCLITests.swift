import Foundation
import RecsysTestSupport
import XCTest

final class EvaluateCLITests: XCTestCase {
    /// Two taste groups: item-kNN finds each user's held-out item, most popular cannot.
    func testEvaluateScoresSourcesByTheLeaveLastOutProtocol() throws {
        let dir = TempDir()
        var log = "userId,movieId,rating,timestamp\n"
        var t = 0
        for u in 0..<40 {
            let base = u % 2 == 0 ? ["a1", "a2", "a3", "a4"] : ["b1", "b2", "b3", "b4"]
            // everyone saw the popular item first; each user ends on another group item (the target)
            let shift = (u / 2) % 4
            let group = Array(base[shift...] + base[..<shift])
            for item in ["pop"] + group { t += 1; log += "\(u),\(item),5,\(t)\n" }
        }
        let ratings = dir.write("r.csv", log)
        let store = dir.file("s.lmdb")
        XCTAssertEqual(try recsys(["items", "import", dir.write("i.csv", "id,title\npop,P\n"), "--store", store]).status, 0)
        let r = try recsys(["evaluate", "--ratings", ratings, "-k", "1,10", "--json", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        let body = try jsonObject(r.stdout) as! [String: Any]
        XCTAssertEqual(body["users"] as? Int, 40)
        let sources = Dictionary(uniqueKeysWithValues: (body["sources"] as! [[String: Any]]).map { ($0["source"] as! String, $0["rows"] as! [[String: Any]]) })
        XCTAssertEqual(Set(sources.keys), ["popular", "item-knn", "ease", "merged", "recommend"], "no table, no model: those sources are left out")
        XCTAssertEqual(body["neighbours"] as? String, "ease", "a small catalogue learns EASE^R by default")
        XCTAssertEqual(sources["item-knn"]![0]["hr"] as? Double, 1, "the group's last item is its only unseen neighbour")
        XCTAssertEqual(sources["item-knn"]![0]["ndcg"] as? Double, 1)
        XCTAssertLessThan(sources["popular"]![0]["hr"] as! Double, 1)
        for name in ["ease", "merged", "recommend"] {
            XCTAssertGreaterThan(sources[name]![0]["hr"] as! Double, sources["popular"]![0]["hr"] as! Double, "\(name) beats most popular at 1")
        }
        let bad = try recsys(["evaluate", "--ratings", ratings, "--protocol", "time:2", "--store", store])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("--protocol must be"), bad.stderr)
    }
}
