import Foundation
import RecsysTestSupport
import XCTest

/// A test split of one class is refused with the reason, not reported as AUC 0.5.
final class TrainHoldoutCLITests: XCTestCase {
    func testAOneClassHoldoutIsRefusedAndSaysWhy() throws {
        let dir = TempDir()
        var movies = "movieId,title,genres\n"
        for i in 1...20 { movies += "\(i),Film \(i) (199\(i % 10)),\(["Comedy", "Drama"][i % 2])\n" }
        var log = "userId,movieId,timestamp\n"
        var t = 0
        for u in 0..<30 { for j in 0..<6 { t += 1; log += "u\(u),\(1 + (u * 3 + j * 7) % 20),\(t)\n" } }
        let samples = dir.file("samples.csv")
        var r = try recsys(["samples", "build", "--ratings", dir.write("log.csv", log), "--movies", dir.write("movies.csv", movies), "-o", samples, "--negatives", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let store = dir.file("s.lmdb")
        // every 5th row is a positive's 4th negative: the test rows are all label 0
        r = try recsys(["train", "--samples", samples, "--holdout-every", "5", "--epochs", "1", "--model", "m", "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("the test rows hold only label 0") && r.stderr.contains("--holdout-every"), r.stderr)
        r = try recsys(["train", "--samples", samples, "--holdout-every", "7", "--epochs", "1", "--model", "m", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
    }
}
