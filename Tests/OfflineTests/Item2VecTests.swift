import EmbedStore
import Foundation
import Offline
import RecsysTestSupport
import XCTest

final class Item2VecTests: XCTestCase {
    /// A log with a planted structure: 4 groups of 10 items, each user
    /// rating (positively) only items of one group, in random order.
    func plantedLog(_ dir: TempDir) throws -> InteractionLog {
        var rng = SplitMix64(seed: 21)
        var csv = "userId,movieId,rating,timestamp\n"
        for u in 0..<80 {
            let group = u % 4
            for t in 0..<25 {
                let item = group * 10 + Int(rng.next() % 10)
                csv += "u\(u),i\(item),\(rng.next() % 4 == 0 ? "2.0" : "4.5"),\(t)\n"
            }
        }
        return try InteractionLog(path: dir.write("planted.csv", csv))
    }

    func cosine(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
        let dot = zip(a, b).map(*).reduce(0, +)
        return dot / (zip(a, a).map(*).reduce(0, +).squareRoot() * zip(b, b).map(*).reduce(0, +).squareRoot())
    }

    /// Items of a planted group come out nearest to each other.
    func testPlantedGroupsAreNearestNeighbours() throws {
        let dir = TempDir()
        var job = Item2Vec()
        job.options.dimension = 8
        job.options.epochs = 20
        let r = try job.train(try plantedLog(dir))
        XCTAssertEqual(r.ids.count, 40)
        let d = r.dimension
        func v(_ i: Int) -> ArraySlice<Float> { r.vectors[(i * d)..<((i + 1) * d)] }
        func group(_ i: Int) -> Int { Int(r.ids[i].dropFirst())! / 10 }
        var same = 0, total = 0
        for i in 0..<r.ids.count {
            let nearest = (0..<r.ids.count).filter { $0 != i }.sorted { cosine(v(i), v($0)) > cosine(v(i), v($1)) }.prefix(5)
            same += nearest.filter { group($0) == group(i) }.count
            total += nearest.count
        }
        XCTAssertGreaterThan(Double(same) / Double(total), 0.9, "\(same) of \(total) nearest neighbours in the planted group")
    }

    /// One thread is reproducible from the seed; another seed differs.
    func testSeededRunsAreReproducible() throws {
        let dir = TempDir()
        let log = try plantedLog(dir)
        var job = Item2Vec()
        job.options.epochs = 2
        let a = try job.train(log), b = try job.train(log)
        XCTAssertEqual(a.vectors, b.vectors)
        job.options.seed = 2
        XCTAssertNotEqual(try job.train(log).vectors, a.vectors)
    }

    /// The vectors, the users' mean vectors and their histories go into the
    /// store in one transaction; only positive events count.
    func testStoresItemsUsersAndHistories() throws {
        let dir = TempDir()
        var csv = "userId,movieId,rating,timestamp\n"
        csv += "a,1,5.0,1\na,2,4.0,2\na,3,1.0,3\nb,2,4.0,1\nb,1,4.0,2\n"
        let log = try InteractionLog(path: dir.write("r.csv", csv))
        var job = Item2Vec()
        job.options.dimension = 4
        let r = try job.train(log)
        XCTAssertEqual(Set(r.ids), ["1", "2"], "item 3 has no positive event")
        let store = try Store(path: dir.file("s.lmdb"))
        let (items, users) = try Item2Vec.store(r, into: store, table: "item2vec", userTable: "user", source: "test")
        XCTAssertEqual(items.kind, .pretrained)
        XCTAssertEqual(items.count, 2)
        XCTAssertEqual(users?.count, 2)
        try store.read { txn in
            XCTAssertEqual(try txn.history(of: "a"), ["1", "2"])
            XCTAssertEqual(try txn.history(of: "b"), ["2", "1"])
            let t = try txn.table("item2vec"), u = try txn.table("user")
            let mean = zip(try t.vector(of: "1"), try t.vector(of: "2")).map { ($0 + $1) / 2 }
            XCTAssertEqual(Array(try u.vector(of: "a")), mean)
        }
        let recent = try Store(path: dir.file("r.lmdb"))
        _ = try Item2Vec.store(r, into: recent, table: "item2vec", userTable: "user", userRecent: 1, source: "test")
        try recent.read { txn in
            XCTAssertEqual(Array(try txn.table("user").vector(of: "a")), Array(try txn.table("item2vec").vector(of: "2")), "a's last item")
            XCTAssertEqual(try txn.history(of: "a"), ["1", "2"], "the whole history is kept")
        }
        // --before: only earlier events (a's item 2 at time 2 and b's item 1 at time 2 are left out)
        var early = Item2Vec()
        early.options.dimension = 4
        early.before = 2
        XCTAssertEqual(try early.train(log).sequences.map { $0.count }.reduce(0, +), 2)
        XCTAssertEqual(Item2Vec.positiveSequences(log, minRating: 3.5, holdoutLast: 0, before: 2).train.map { $0.map { log.itemIDs[Int($0)] } }, [["1"], ["2"]])
        early.before = 1
        XCTAssertThrowsError(try early.train(log)) { XCTAssertTrue("\($0)".contains("nothing to train on"), "\($0)") }
        job.minCount = 5
        XCTAssertThrowsError(try job.train(log)) { XCTAssertTrue("\($0)".contains("nothing to train on"), "\($0)") }
    }
}
