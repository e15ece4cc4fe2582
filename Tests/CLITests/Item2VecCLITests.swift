import EmbedStore
import Foundation
import RecsysTestSupport
import XCTest

final class Item2VecCLITests: XCTestCase {
    /// From a raw log to recall: item2vec trained without each user's last
    /// positive event, then `recall holdout` finds those events far more
    /// often than the most popular items do on a log with planted groups.
    func testTrainWithoutTheTargetsThenHoldout() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        var rng = SplitMix64(seed: 4)
        var csv = "userId,movieId,rating,timestamp\n"
        for u in 0..<120 {
            for t in 0..<20 { csv += "u\(u),\((u % 6) * 20 + Int(rng.next() % 20)),4.0,\(t)\n" }
        }
        let log = dir.write("log.csv", csv)
        var r = try recsys(["item2vec", "train", "--ratings", log, "--table", "v", "--dim", "8", "--epochs", "15", "--holdout-last", "1",
                            "--user-table", "users", "--threads", "1", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("table 'v' version 1"), r.stdout)
        r = try recsys(["recall", "holdout", "--ratings", log, "--table", "v", "-k", "10,40", "--json", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        let body = try XCTUnwrap(try jsonObject(r.stdout) as? [String: Any])
        XCTAssertEqual(body["users"] as? Int, 120)
        let rows = try XCTUnwrap(body["rows"] as? [[String: Any]])
        func hitRate(_ method: String, _ k: Int) -> Double {
            rows.first { $0["method"] as? String == method && $0["k"] as? Int == k }?["hit_rate"] as? Double ?? -1
        }
        XCTAssertGreaterThan(hitRate("exact", 10), hitRate("most popular", 10) + 0.2, r.stdout)
        // the users' histories were stored: recall by history excludes them
        r = try recsys(["recall", "user", "u0", "--table", "v", "--from", "history", "-k", "5", "--json", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        // bad options are usage errors with a message
        r = try recsys(["item2vec", "train", "--ratings", log, "--dim", "0", "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("--dim"), r.stderr)
    }
}
