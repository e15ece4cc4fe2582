import Foundation
import RecsysTestSupport
import XCTest

/// `recsys spec` and training a DIN spec from the command line.
final class SpecCLITests: XCTestCase {
    func testPrintedPresetTrainsAndServesAndMistakesAreNamed() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        let printed = try recsys(["spec", "din"])
        XCTAssertEqual(printed.status, 0, printed.stderr)
        var spec = try XCTUnwrap(try jsonObject(printed.stdout) as? [String: Any])
        let columns = try XCTUnwrap(spec["categorical"] as? [[String: Any]])
        XCTAssertEqual((columns.last?["attention"] as? [String: Any])?["query"] as? String, "movieId")
        let specFile = dir.write("din.json", printed.stdout)

        let rows = try String(contentsOfFile: sampleData + "/testSamples.csv", encoding: .utf8).split(separator: "\n").prefix(301).joined(separator: "\n") + "\n"
        let samples = dir.write("samples.csv", rows)
        let trained = try recsys(["train", "--samples", samples, "--spec", specFile, "--epochs", "1", "--model", "din", "--store", store, "--json"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let ranked = try recsys(["rank", "--model", "din", "--user", "10096", "1", "2", "3", "--store", store, "--json"])
        XCTAssertEqual(ranked.status, 0, ranked.stderr)
        XCTAssertTrue(ranked.stdout.contains("\"score\""), ranked.stdout)

        // attention on a single-valued column: refused, naming the file and the column
        var broken = columns
        broken[broken.count - 1]["columns"] = nil
        broken[broken.count - 1]["multi"] = nil
        spec["categorical"] = broken
        let bad = dir.write("bad.json", String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self))
        let refused = try recsys(["train", "--samples", samples, "--spec", bad, "--epochs", "1", "--model", "bad", "--store", store])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("recentMovies") && refused.stderr.contains("attention needs a user bag"), refused.stderr)

        // an unknown combiner: named with the allowed ones and where it is
        var badCombiner = columns
        badCombiner[0]["multi"] = ["combiner": "max"]
        spec["categorical"] = badCombiner
        let combinerFile = dir.write("combiner.json", String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self))
        let combiner = try recsys(["train", "--samples", samples, "--spec", combinerFile, "--epochs", "1", "--model", "bad", "--store", store])
        XCTAssertEqual(combiner.status, 1)
        XCTAssertTrue(combiner.stderr.contains("categorical[0].multi.combiner") && combiner.stderr.contains("combiner 'max' is not one of sum, mean, sqrtn"), combiner.stderr)

        let unknown = try recsys(["spec", "nope"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("presets: sparrow, sparrow-plus, sparrow-history, din"), unknown.stderr)
    }
}
