import EmbedStore
import Foundation
import Offline
import RecsysTestSupport
import XCTest

final class SampleBuilderTests: XCTestCase {
    let movies = """
    movieId,title,genres
    1,Toy Story (1995),Adventure|Animation|Children
    2,"Heat, The (1995)",Action|Crime|Thriller
    3,Sabrina (1995),Comedy|Romance
    4,No Year,Drama
    5,Balto (1995),Adventure
    """

    /// Rows of a samples file as dictionaries by header name.
    func rows(_ path: String) throws -> [[String: String]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(separator: "\n").map(String.init)
        let header = lines.removeFirst().split(separator: ",").map(String.init)
        XCTAssertEqual(header, SampleBuilder.header)
        return lines.map { line in
            // the test data holds no quoted commas in these fields except titles, which are not written
            Dictionary(uniqueKeysWithValues: zip(header, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
        }
    }

    func build(_ ratings: String, movies: String? = nil, options: SampleOptions = SampleOptions(), in dir: TempDir) throws -> (SampleReport, String) {
        let log = try InteractionLog(path: dir.write("ratings.csv", ratings))
        let items = try (movies ?? self.movies).isEmpty ? nil : ItemCatalogFile(path: dir.write("movies.csv", movies ?? self.movies))
        let out = dir.file("samples.csv")
        return (try SampleBuilder.build(log, items: items, options: options, output: out), out)
    }

    /// Rows computed by hand: the first two events of a user are dropped,
    /// and each row's user features come only from strictly earlier events.
    func testHandComputedRowsUseOnlyEarlierEvents() throws {
        let dir = TempDir()
        // user 7, in time order: 1 (4.0), 2 (3.0), 3 (5.0), 5 (2.0); file order differs on purpose
        let ratings = """
        userId,movieId,rating,timestamp
        7,3,5.0,300
        7,1,4.0,100
        7,5,2.0,400
        7,2,3.0,200
        8,1,1.0,50
        8,2,4.5,60
        """
        let (report, out) = try build(ratings, in: dir)
        XCTAssertEqual(report.rows, 2)
        XCTAssertEqual(report.dropped, 4, "two events of user 7, both of user 8")
        let r = try rows(out)
        XCTAssertEqual(r.count, 2)
        // movie 3 at t=300: earlier events are movie 1 (4.0, 1995, positive) and movie 2 (3.0, 1995, negative)
        let third = r[0]
        XCTAssertEqual(third["movieId"], "3")
        XCTAssertEqual(third["userId"], "7")
        XCTAssertEqual(third["rating"], "5.0")
        XCTAssertEqual(third["label"], "1")
        XCTAssertEqual(third["releaseYear"], "1995")
        XCTAssertEqual(third["movieGenre1"], "Comedy")
        XCTAssertEqual(third["movieGenre2"], "Romance")
        XCTAssertEqual(third["movieGenre3"], "\"\"")
        XCTAssertEqual(third["movieRatingCount"], "1")
        XCTAssertEqual(third["movieAvgRating"], "5.00")
        XCTAssertEqual(third["movieRatingStddev"], "0.00")
        XCTAssertEqual(third["userRatedMovie1"], "1", "only the positive earlier rating")
        XCTAssertEqual(third["userRatedMovie2"], "\"\"")
        XCTAssertEqual(third["userRatingCount"], "2")
        XCTAssertEqual(third["userAvgReleaseYear"], "1995")
        XCTAssertEqual(third["userReleaseYearStddev"], "0.00")
        XCTAssertEqual(third["userAvgRating"], "3.50", "(4 + 3) / 2: nothing from this rating or later ones")
        XCTAssertEqual(third["userRatingStddev"], "0.71", "sample deviation of 4 and 3")
        XCTAssertEqual(third["userGenre1"], "Adventure", "genres of the positive earlier event, in its order")
        XCTAssertEqual(third["userGenre2"], "Animation")
        XCTAssertEqual(third["userGenre3"], "Children")
        XCTAssertEqual(third["userGenre4"], "\"\"")
        // movie 5 at t=400: earlier 1 (4.0), 2 (3.0), 3 (5.0); positives most recent first: 3, 1
        let fourth = r[1]
        XCTAssertEqual(fourth["movieId"], "5")
        XCTAssertEqual(fourth["label"], "0")
        XCTAssertEqual(fourth["userRatedMovie1"], "3")
        XCTAssertEqual(fourth["userRatedMovie2"], "1")
        XCTAssertEqual(fourth["userRatingCount"], "3")
        XCTAssertEqual(fourth["userAvgRating"], "4.00")
        XCTAssertEqual(fourth["userRatingStddev"], "1.00")
        // movie 1 was rated by users 7 (4.0) and 8 (1.0): item features span the whole log
        let log = try InteractionLog(path: dir.write("r2.csv", ratings))
        XCTAssertEqual(log.count, 6)
        // Comedy and Romance (movie 3, the most recent positive) rank before movie 1's genres at equal counts
        XCTAssertEqual(fourth["userGenre1"], "Comedy")
        XCTAssertEqual(fourth["userGenre2"], "Romance")
        XCTAssertEqual(fourth["userGenre3"], "Adventure")
    }

    /// The window holds at most `window` earlier events; item statistics
    /// over all events; a title without a year gets 1990.
    func testWindowAndItemStatistics() throws {
        let dir = TempDir()
        var ratings = "userId,movieId,rating,timestamp\n"
        for t in 0..<6 { ratings += "1,\(t % 2 == 0 ? 4 : 1),\(t % 2 == 0 ? "4.0" : "2.0"),\(t)\n" }
        var options = SampleOptions()
        options.window = 3
        let (report, out) = try build(ratings, options: options, in: dir)
        XCTAssertEqual(report.rows, 4)
        let r = try rows(out)
        XCTAssertEqual(r.map { $0["userRatingCount"]! }, ["2", "3", "3", "3"])
        XCTAssertEqual(r[0]["releaseYear"], "1990", "movie 4's title has no year")
        XCTAssertEqual(r[0]["movieRatingCount"], "3")
        XCTAssertEqual(r[0]["movieAvgRating"], "4.00")
        XCTAssertEqual(r[0]["userAvgReleaseYear"], "1992", "(1990 + 1995) / 2, truncated")
        XCTAssertEqual(r[1]["userAvgReleaseYear"], "1991", "(1990 + 1995 + 1990) / 3 = 1991.67, truncated")
    }

    /// Bad input names file, line and reason, and writes nothing.
    func testBadInputNamesFileAndLineAndWritesNothing() throws {
        let dir = TempDir()
        let cases: [(String, String, String)] = [
            ("userId,movieId,timestamp,rating\n1,1,5,4.0\n1,2,6,x\n", "ratings.csv:3: rating 'x' is not a number", ""),
            ("userId,thing,rating,timestamp\n1,1,4.0,5\n", "ratings.csv:1: no item column 'movieId'", ""),
            ("userId,movieId,rating,timestamp\n1,1,4.0,5\n1,99,4.0,6\n", "ratings.csv:3: item '99' is not in", ""),
            ("", "ratings.csv: empty", ""),
            ("userId,movieId,rating,timestamp\n1,1,4.0,later\n", "ratings.csv:2: time 'later' is not a number or an ISO 8601 date", ""),
            ("userId,movieId,rating,timestamp\n1,1\n", "ratings.csv:2: 2 fields", ""),
        ]
        for (ratings, message, _) in cases {
            XCTAssertThrowsError(try build(ratings, in: dir), message) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error) should contain \(message)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("samples.csv")), "nothing written for: \(message)")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }
            XCTAssertEqual(leftovers, [], "no temporary file left behind")
        }
    }

    /// Splits: time puts the latest rows in test, user holds out whole users,
    /// random is a seeded fraction; every row lands on exactly one side.
    func testSplits() throws {
        let dir = TempDir()
        var ratings = "userId,movieId,rating,timestamp\n"
        var rng = SplitMix64(seed: 11)
        for u in 0..<40 { for t in 0..<12 { ratings += "\(u),\(1 + Int(rng.next() % 5)),\(1 + Int(rng.next() % 5)).0,\(t * 1000 + u)\n" } }
        for split in [SampleSplit.time(0.2), .user(0.25), .random(0.3)] {
            var options = SampleOptions()
            options.split = split
            let (report, out) = try build(ratings, options: options, in: dir)
            let (trainPath, testPath) = SampleSplit.paths(for: out)
            let train = try rows(trainPath), test = try rows(testPath)
            XCTAssertEqual(train.count + test.count, report.rows)
            XCTAssertEqual(report.rows, 40 * 10)
            let share = Double(test.count) / Double(report.rows)
            switch split {
            case .time(let f):
                XCTAssertEqual(share, f, accuracy: 0.05)
                let latestTrain = train.map { Int($0["timestamp"]!)! }.max()!, earliestTest = test.map { Int($0["timestamp"]!)! }.min()!
                XCTAssertLessThan(latestTrain, earliestTest, "every test row is later than every train row")
            case .user(let f):
                XCTAssertEqual(share, f, accuracy: 0.05)
                XCTAssertTrue(Set(train.map { $0["userId"]! }).isDisjoint(with: test.map { $0["userId"]! }))
            case .random(let f):
                XCTAssertEqual(share, f, accuracy: 0.08)
                let again = try build(ratings, options: options, in: dir).0
                XCTAssertEqual(again.testRows, report.testRows, "seeded")
            }
        }
    }

    /// An implicit log (no rating column) makes every event positive, with
    /// configurable column names; negatives are items the user never touched.
    func testImplicitLogWithNegatives() throws {
        let dir = TempDir()
        var log = "uid,sku,ts\n"
        for u in 0..<5 { for t in 0..<6 { log += "u\(u),\((u + t % 3) % 5 + 1),\(t)\n" } }
        let columns = try LogColumns(parsing: "user=uid,item=sku,time=ts")
        let parsed = try InteractionLog(path: dir.write("clicks.csv", log), columns: columns)
        XCTAssertTrue(parsed.implicit)
        var options = SampleOptions()
        options.negatives = 2
        options.seed = 3
        let catalog = try ItemCatalogFile(path: dir.write("movies.csv", movies + "\n6,Extra (2001),Drama\n"), idColumn: "sku")
        // item 6 is in the catalogue but never logged: a negative can only come from logged items
        let out = dir.file("s.csv")
        let report = try SampleBuilder.build(parsed, items: catalog, options: options, output: out)
        let r = try rows(out)
        XCTAssertEqual(report.rows - report.negatives, 5 * 4)
        XCTAssertEqual(r.filter { $0["label"] == "1" }.count, 20)
        var touched: [String: Set<String>] = [:]
        for u in 0..<5 { touched["u\(u)"] = Set((0..<6).map { String((u + $0 % 3) % 5 + 1) }) }
        XCTAssertEqual(report.negatives, 20 * 2, "two untouched items per user, both drawn for every positive")
        for row in r where row["label"] == "0" {
            XCTAssertFalse(touched[row["userId"]!]!.contains(row["movieId"]!), "a negative the user touched: \(row)")
        }
        XCTAssertThrowsError(try LogColumns(parsing: "who=uid"))
    }

    func testReleaseYearFromTitles() {
        XCTAssertEqual(ItemCatalogFile.releaseYear("Toy Story (1995)"), 1995)
        XCTAssertEqual(ItemCatalogFile.releaseYear("Babylon 5 (1994) "), 1994)
        XCTAssertEqual(ItemCatalogFile.releaseYear("Cosmos"), 1990)
        XCTAssertEqual(ItemCatalogFile.releaseYear("Brazil (19xx)"), 1990)
    }
}

/// Mutated logs either parse or fail with an `OfflineError`: never a crash.
final class InteractionLogFuzzTests: XCTestCase {
    func testMutatedLogsNeverCrash() throws {
        let dir = TempDir()
        let valid = Array("userId,movieId,rating,timestamp\n1,1,4.0,100\n1,2,\"3.5\",200\n2,1,5,300\n2,3,0.5,400\n".utf8)
        var rng = SplitMix64(seed: 99)
        let alphabet = Array(",\"\n\r .-+e0123456789abc\u{0}".utf8) + [0xFF, 0xC3]
        for round in 0..<400 {
            var bytes = valid
            for _ in 0..<(1 + Int(rng.next() % 6)) {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 1: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                default: bytes.remove(at: at)
                }
            }
            let path = dir.write("fuzz\(round).csv", bytes: bytes)
            do {
                let log = try InteractionLog(path: path)
                _ = try SampleBuilder.build(log, items: nil, options: SampleOptions(), output: dir.file("out.csv"))
            } catch is OfflineError {
            } catch let error as StoreError {
                // malformed quoting reported by the shared CSV splitter
                XCTAssertTrue("\(error)".contains("fuzz\(round).csv"), "\(error)")
            }
        }
    }
}
