import Foundation
import RecsysTestSupport
import XCTest

/// A seeded fuzz of damaged stores (the class of bug, not one case): byte
/// flips aimed at table records, items, meta values, checksum trailers and
/// page headers, uniform flips, zeroed and copied pages, truncation. For each
/// damaged copy every command exits 0 or 1 (no signal) within its timeout,
/// and when one answers 0 with output unlike the undamaged store's, `store
/// verify` fails on that copy. `scripts/damage-fuzz.py` runs longer on demand.
final class DamageFuzzCLITests: XCTestCase {
    let commands: [[String]] = [
        ["embedding", "list", "--json"],
        ["embedding", "get", "item2vec", "1", "2", "318", "--json"],
        ["items", "get", "1", "2", "--json"],
        ["recall", "item", "1", "-k", "5", "--json"],
        ["rank", "--model", "m", "--user", "10292", "1", "2", "318", "--json"],
        ["recommend", "user", "10292", "-k", "5", "--json"],
    ]

    /// The output without timings (they differ between runs).
    func normalised(_ out: String) -> String {
        out.split(separator: "\n").map { line in
            line.replacingOccurrences(of: #""[a-z_]*ms"\s*:\s*[0-9.e+-]+,?"#, with: "", options: .regularExpression)
        }.joined(separator: "\n")
    }

    func testDamagedStoresGiveTheRightAnswerOrAnErrorNeverASignal() throws {
        let cases = ProcessInfo.processInfo.environment["RECSYS_FUZZ_CASES"].flatMap(Int.init) ?? 70
        let dir = TempDir()
        let base = dir.file("base.lmdb")
        for args in [["embedding", "import", sampleData + "/item2vecEmb.csv", "--table", "item2vec"],
                     ["embedding", "import", sampleData + "/userEmb.csv", "--table", "user", "--kind", "user"],
                     ["items", "import", sampleData + "/movies.csv"],
                     ["index", "build", "--table", "item2vec"],
                     ["train", "--samples", sampleData + "/testSamples.csv", "--holdout-every", "5", "--model", "m", "--epochs", "1"]] {
            XCTAssertEqual(try recsys(args + ["--store", base]).status, 0, args.joined(separator: " "))
        }
        var expected: [String] = []
        for c in commands {
            let r = try recsys(c + ["--store", base])
            XCTAssertEqual(r.status, 0, r.stderr)
            expected.append(normalised(r.stdout))
        }
        let original = try Data(contentsOf: URL(fileURLWithPath: base + "/data.mdb"))
        let bytes = [UInt8](original)
        let page = 4096
        let needles = [#""dimension""#, #""generation""#, "Toy Story", "Jumanji", "items-versions", "movieId", "history\u{1}", "RCK1"].map { Array($0.utf8) }
        var aimed: [Int] = []
        for n in needles {
            var i = 0
            while let r = bytes[i...].firstRange(of: n) { aimed.append(r.lowerBound); i = r.upperBound }
        }
        XCTAssertGreaterThan(aimed.count, 8)
        var rng = SeededRandom(seed: 20261207)
        var failures: [String] = [], errors = 0, ran = 0
        let deadline = Date().addingTimeInterval(90)
        for n in 0..<cases where Date() < deadline {
            var data = bytes
            let kind = ["aimed", "aimed", "aimed", "flip", "page-header", "zero-page", "copy-page", "truncate"].randomElement(using: &rng)!
            let pages = data.count / page
            switch kind {
            case "aimed":
                let i = min(data.count - 1, max(2 * page, aimed.randomElement(using: &rng)! + Int.random(in: -48..<48, using: &rng)))
                data[i] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            case "flip": data[Int.random(in: 2 * page..<data.count, using: &rng)] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            case "page-header": data[Int.random(in: 2..<pages, using: &rng) * page + Int.random(in: 0..<16, using: &rng)] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            case "zero-page":
                let p = Int.random(in: 2..<pages, using: &rng)
                for i in p * page..<(p + 1) * page { data[i] = 0 }
            case "copy-page":
                let a = Int.random(in: 2..<pages, using: &rng), b = Int.random(in: 2..<pages, using: &rng)
                data.replaceSubrange(b * page..<(b + 1) * page, with: data[a * page..<(a + 1) * page])
            default: data.removeLast(Int.random(in: 1..<(data.count - 2 * page), using: &rng))
            }
            let store = dir.file("case\(n).lmdb")
            try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
            try Data(data).write(to: URL(fileURLWithPath: store + "/data.mdb"))
            let verify = try recsys(["store", "verify", "--store", store])
            if verify.status > 1 { failures.append("case \(n) (\(kind)): store verify exited \(verify.status): \(verify.stderr.suffix(200))") }
            for (c, want) in zip(commands, expected) {
                let r = try recsys(c + ["--store", store])
                let name = "case \(n) (\(kind)): \(c.prefix(3).joined(separator: " "))"
                if r.status > 1 || r.stderr.contains("killed after") { failures.append("\(name) exited \(r.status): \(r.stderr.suffix(200))") }
                if r.status == 1 { errors += 1 }
                if r.status == 0 && normalised(r.stdout) != want && verify.status == 0 { failures.append("\(name): a different answer while store verify passes") }
            }
            try FileManager.default.removeItem(atPath: store)
            ran += 1
        }
        XCTAssertGreaterThan(ran, 20, "cases run within the time bound")
        XCTAssertGreaterThan(errors, 0, "some damage was reported")
        XCTAssertEqual(failures, [], "\(failures.count) failures in \(ran) cases")
    }
}
