import Foundation
@testable import Offline
import RecsysTestSupport
import XCTest

/// Logs in the shapes they come in load without flags, and a bad field is
/// reported with its file and line.
final class InteractionLogTests: XCTestCase {
    func testRecBoleTypedTabSeparatedLogWithDecimalTimes() throws {
        let dir = TempDir()
        let path = dir.write("ml.inter", "user_id:token\titem_id:token\trating:float\ttimestamp:float\n1\t10\t4.5\t881250949.0\n1\t11\t2\t881250948.5\n2\t10\t5\t1.5e9\n")
        let log = try InteractionLog(path: path)
        XCTAssertFalse(log.implicit)
        XCTAssertEqual(log.userIDs, ["1", "2"])
        XCTAssertEqual(log.itemIDs, ["10", "11"])
        XCTAssertEqual(log.ratings, [4.5, 2, 5])
        XCTAssertEqual(log.times, [881_250_949, 881_250_948, 1_500_000_000])
    }

    func testPurchaseLogWithoutRatingsAndISOTimes() throws {
        let dir = TempDir()
        let path = dir.write("orders.tsv", """
        customer_id\tsku\tevent_time\tprice
        c1\tp2\t2024-05-01T10:30:00Z\t9.99
        c1\tp1\t2024-05-01 12:30:00+02:00\t1
        c2\tp1\t2024-05-01\t3
        c2\tp3\t2024-05-02T00:00:00.250-01:00\t3

        """)
        let log = try InteractionLog(path: path)
        XCTAssertTrue(log.implicit, "no rating column: every event is positive")
        XCTAssertEqual(log.ratings, [1, 1, 1, 1])
        XCTAssertEqual(log.times, [1_714_559_400, 1_714_559_400, 1_714_521_600, 1_714_611_600])
        // ties by time keep file order
        let (order, starts) = log.eventsByUser()
        XCTAssertEqual(Array(order[starts[0]..<starts[1]]), [0, 1])
    }

    func testAliasesCaseAndFileOrderWithoutTime() throws {
        let dir = TempDir()
        let log = try InteractionLog(path: dir.write("a.csv", "UserID,ItemID\nu,b\nu,a\n"))
        XCTAssertEqual(log.itemIDs, ["b", "a"])
        XCTAssertEqual(log.times, [0, 1], "no time column: file order")
    }

    func testBadFieldsNameTheFileLineAndColumn() throws {
        let dir = TempDir()
        let bad = dir.write("bad.tsv", "user_id\titem_id\ttimestamp\nu\ti\t2024-13-01\n")
        XCTAssertThrowsError(try InteractionLog(path: bad)) { error in
            XCTAssertTrue("\(error)".contains("bad.tsv:2") && "\(error)".contains("ISO 8601"), "\(error)")
        }
        let named = dir.write("n.csv", "userId,movieId,timestamp\nu,i,1\n")
        XCTAssertThrowsError(try InteractionLog(path: named, columns: LogColumns(parsing: "time=when"))) { error in
            XCTAssertTrue("\(error)".contains("no time column 'when'"), "\(error)")
        }
        XCTAssertThrowsError(try InteractionLog(path: named, columns: LogColumns(parsing: "rating=stars"))) { error in
            XCTAssertTrue("\(error)".contains("no rating column 'stars'"), "\(error)")
        }
        XCTAssertThrowsError(try InteractionLog(path: dir.write("x.csv", "who,what\nu,i\n"))) { error in
            XCTAssertTrue("\(error)".contains("no user column 'userId'") && "\(error)".contains("--columns user=NAME"), "\(error)")
        }
    }

    /// The date parser against Foundation's, over random instants and offsets.
    func testISOParserAgreesWithFoundation() {
        let f = ISO8601DateFormatter()
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let t = Int64.random(in: -2_000_000_000...4_000_000_000, using: &rng)
            let offset = Int.random(in: -12...14, using: &rng) * 3600 + [0, 1800, 2700].randomElement(using: &rng)! * (Bool.random(using: &rng) ? 1 : -1)
            f.timeZone = TimeZone(secondsFromGMT: offset)!
            let text = f.string(from: Date(timeIntervalSince1970: TimeInterval(t)))
            XCTAssertEqual(InteractionLog.isoSeconds(Array(text.utf8)), t, text)
        }
    }
}
