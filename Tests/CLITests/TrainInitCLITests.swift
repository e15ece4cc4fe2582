import Foundation
import RecsysTestSupport
import XCTest

/// `recsys train --init COLUMN=TABLE [--freeze COLUMN]` from the command line.
final class TrainInitCLITests: XCTestCase {
    func testInitReportsRowsFoundAndRefusesMistakesBeforeTraining() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        XCTAssertEqual(try recsys(["embedding", "import", sampleData + "/item2vecEmb.csv", "--table", "item2vec", "--store", store]).status, 0)
        XCTAssertEqual(try recsys(["embedding", "import", dir.write("wide.txt", "1:1 2 3\n"), "--table", "wide", "--store", store]).status, 0)
        // 300 rows are enough to check the wiring, not the model
        let rows = try String(contentsOfFile: sampleData + "/testSamples.csv", encoding: .utf8).split(separator: "\n").prefix(301).joined(separator: "\n") + "\n"
        let samples = dir.write("samples.csv", rows)
        let base = ["train", "--samples", samples, "--epochs", "1", "--model", "m", "--store", store]

        let ok = try recsys(base + ["--init", "movieId=item2vec", "--freeze", "movieId", "--json"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let report = try XCTUnwrap((try jsonObject(ok.stdout) as? [String: Any])?["initialized"] as? [[String: Any]])
        XCTAssertEqual(report.first?["column"] as? String, "movieId")
        XCTAssertEqual(report.first?["found"] as? Int, 881)
        XCTAssertEqual(report.first?["rows"] as? Int, 1001)
        XCTAssertEqual(report.first?["frozen"] as? Bool, true)

        let cases: [([String], String)] = [
            (["--init", "movieId=wide"], "table 'wide' has dimension 3, column 'movieId' embeds in 10"),
            (["--init", "movieId=nope"], "nope"),
            (["--init", "movieId"], "is not COLUMN=TABLE"),
            (["--freeze", "movieId"], "only a column given to --init can be frozen"),
        ]
        for (extra, expected) in cases {
            let r = try recsys(base.map { $0 == "m" ? "bad" : $0 } + extra)
            XCTAssertEqual(r.status, 1, "\(extra): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(expected), "\(extra): \(r.stderr)")
        }
        let models = try recsys(["rank", "--model", "bad", "--user", "1", "1", "--store", store])
        XCTAssertNotEqual(models.status, 0, "a refused run stores no model")
    }
}
