import Foundation
import RecsysTestSupport
import XCTest

final class PipelineCLITests: XCTestCase {
    /// recall -> rank -> recommend from the command line, with the errors a
    /// user meets on the way: one line, exit 1.
    func testRecallRankRecommendAndTheirErrors() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        for args in [["embedding", "import", sampleData + "/item2vecEmb.csv", "--table", "item2vec"],
                     ["embedding", "import", sampleData + "/userEmb.csv", "--table", "user", "--kind", "user"],
                     ["items", "import", sampleData + "/movies.csv"],
                     ["index", "build", "--table", "item2vec"]] {
            XCTAssertEqual(try recsys(args + ["--store", store]).status, 0, args.joined(separator: " "))
        }
        // recall's JSON: results in descending score, with titles
        let recall = try recsys(["recall", "user", "10292", "-k", "20", "--json", "--store", store])
        XCTAssertEqual(recall.status, 0, recall.stderr)
        let body = try jsonObject(recall.stdout) as! [String: Any]
        let results = body["results"] as! [[String: Any]]
        XCTAssertEqual(results.count, 20)
        let scores = results.map { $0["score"] as! Double }
        XCTAssertEqual(scores, scores.sorted(by: >))
        XCTAssertNotNil(results[0]["title"] as? String)

        // default k: 100 for a user, 10 for an item; -k anywhere on the line overrides it
        for (args, count) in [(["recall", "user", "10292"], 100), (["recall", "item", "1"], 10), (["recall", "item", "-k", "3", "1"], 3), (["recall", "item", "1", "-k", "4"], 4)] {
            let out = try recsys(args + ["--json", "--store", store])
            XCTAssertEqual(out.status, 0, out.stderr)
            XCTAssertEqual(((try jsonObject(out.stdout) as! [String: Any])["results"] as! [Any]).count, count, args.joined(separator: " "))
        }

        // errors
        var r = try recsys(["--store", store, "recal", "user", "1"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.hasPrefix("error: unknown command 'recal' (did you mean 'recall'?)"), r.stderr)
        r = try recsys(["--version"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.hasPrefix("recsys "), r.stdout)
        r = try recsys(["recall", "user", "nobody", "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("error: unknown user 'nobody'"), r.stderr)
        r = try recsys(["recall", "user", "--vector", "1,2,3", "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("dimension 10"), r.stderr)
        r = try recsys(["recall", "item", "nope", "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1)
        r = try recsys(["rank", "--model", "none", "--user", "1", "1", "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("no model named 'none'"), r.stderr)

        // recommend without a model says so, in recall order
        r = try recsys(["recommend", "user", "10292", "-k", "5", "--json", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        let plain = try jsonObject(r.stdout) as! [String: Any]
        XCTAssertTrue((plain["note"] as? String ?? "").contains("recall order"))

        // train, then rank recall's JSON from stdin and recommend with the model
        let samples = sampleData + "/testSamples.csv"
        r = try recsys(["train", "--samples", samples, "--holdout-every", "5", "--model", "m", "--epochs", "2", "--json", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        let trained = try jsonObject(r.stdout) as! [String: Any]
        let test = trained["test"] as! [String: Any]
        XCTAssertGreaterThan(test["roc_auc"] as! Double, 0.7)
        XCTAssertNotNil(test["pr_auc"] as? Double)
        r = try recsys(["rank", "--model", "m", "--user", "10292", "--candidates", "-", "--json", "--store", store], stdin: recall.stdout)
        XCTAssertEqual(r.status, 0, r.stderr)
        let ranked = (try jsonObject(r.stdout) as! [String: Any])["results"] as! [[String: Any]]
        XCTAssertEqual(Set(ranked.map { $0["id"] as! String }), Set(results.map { $0["id"] as! String }))
        let rankScores = ranked.map { $0["score"] as! Double }
        XCTAssertEqual(rankScores, rankScores.sorted(by: >))
        r = try recsys(["recommend", "user", "10292", "-k", "5", "--model", "m", "--json", "--store", store])
        let rec = try jsonObject(r.stdout) as! [String: Any]
        XCTAssertEqual(rec["model"] as? String, "m")
        XCTAssertEqual((rec["results"] as! [[String: Any]]).count, 5)
        // the learned tables are ordinary tables
        r = try recsys(["embedding", "export", "--table", "ranker/m/movieId", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").count, 1001)
    }
}
