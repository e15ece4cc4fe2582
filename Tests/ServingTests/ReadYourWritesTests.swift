import EmbedStore
import Foundation
import Recall
import RecsysTestSupport
import Serving
import XCTest

/// The consistency rule of `ServingState.view()`: a view's data is never
/// older than its label, so a request begun after a write committed sees it.
final class ReadYourWritesTests: XCTestCase {
    /// A store with an indexed table of `n` clustered unit vectors.
    private func indexedStore(_ dir: TempDir, n: Int = 2_000) throws -> Store {
        let store = try Store(path: dir.file("s.lmdb"))
        try ClusteredVectors(n: n, queries: 0, dim: 16, clusters: 50, seed: 7).load(into: store, table: "t")
        _ = try LSHIndex.build(store: store, table: "t")
        return store
    }

    private func unit(_ rng: inout SeededRandom, _ d: Int) -> [Float] {
        let v = (0..<d).map { _ in Float.random(in: -1...1, using: &rng) }
        let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / n }
    }

    /// A commit landing between a view's label and its first read is seen by
    /// the next request (deterministic: the commit is injected there).
    func testACommitBetweenTheLabelAndTheReadIsSeenByTheNextRequest() throws {
        let dir = TempDir()
        let store = try indexedStore(dir)
        let state = ServingState(store: store)
        let first = try state.view()
        XCTAssertEqual(first.snapshotID, try store.read { $0.snapshotID })
        let committed = ManagedCounter()
        state.hookAfterLabel = {
            guard committed.value == 0 else { return }
            committed.add(1)
            _ = try? store.write { try MutationHooks.upsert($0, table: "t", id: "injected", vector: [Float](repeating: 0.25, count: 16)) }
        }
        let raced = try state.view()
        state.hookAfterLabel = nil
        XCTAssertEqual(committed.value, 1)
        let next = try state.view()
        XCTAssertGreaterThan(next.snapshotID, raced.snapshotID, "the view labelled before the commit is not reused after it")
        for exact in [true, false] {
            let hits = try next.snapshot("t").search([Float](repeating: 0.25, count: 16), options: SearchOptions(k: 1, exact: exact)).hits
            XCTAssertEqual(try next.snapshot("t").id(ofRow: XCTUnwrap(hits.first).row), "injected", exact ? "exact" : "indexed")
        }
    }

    /// Writers and readers at once: every acknowledged upsert is recalled
    /// first (exact and indexed) by the writer's next request, every deleted
    /// id is in no answer, and no view is labelled newer than what it reads.
    func testEveryAcknowledgedWriteIsSeenByTheNextRequestUnderLoad() throws {
        let dir = TempDir()
        let store = try indexedStore(dir)
        let state = ServingState(store: store)
        let stop = ManagedFlag()
        let labelAhead = ManagedCounter(), reads = ManagedCounter()
        let readers = DispatchGroup()
        for r in 0..<2 {
            DispatchQueue.global().async(group: readers) {
                var rng = SeededRandom(seed: UInt64(100 + r))
                while !stop.isSet {
                    guard let view = try? state.view(), let snap = try? view.snapshot("t") else { continue }
                    if snap.withTransaction({ $0.snapshotID }) < view.snapshotID { labelAhead.add(1) }
                    _ = try? snap.search(self.unit(&rng, 16), options: SearchOptions(k: 10))
                    reads.add(1)
                }
            }
        }
        var rng = SeededRandom(seed: 42)
        var misses: [String] = []
        let deadline = Date().addingTimeInterval(20)
        var written = 0
        for i in 0..<300 where Date() < deadline {
            let id = "w\(i)", v = unit(&rng, 16)
            _ = try store.write { try MutationHooks.upsert($0, table: "t", id: id, vector: v) }
            written += 1
            let view = try state.view()
            let snap = try view.snapshot("t")
            for exact in [true, false] {
                let top = try snap.search(v, options: SearchOptions(k: 1, exact: exact)).hits.first.map { snap.id(ofRow: $0.row) }
                if top != id { misses.append("\(id) \(exact ? "exact" : "indexed") top \(top ?? "none")") }
            }
            if i % 3 == 2 {
                let gone = "w\(i - 1)"
                try store.write { try MutationHooks.remove($0, table: "t", id: gone) }
                let after = try state.view().snapshot("t")
                XCTAssertNil(after.row(of: gone), "\(gone) deleted")
                let hits = try after.search(v, options: SearchOptions(k: 50, exact: false)).hits.map { after.id(ofRow: $0.row) }
                if hits.contains(gone) { misses.append("deleted \(gone) recalled") }
            }
        }
        stop.set()
        XCTAssertEqual(readers.wait(timeout: .now() + 30), .success, "readers stop")
        XCTAssertGreaterThan(written, 50)
        XCTAssertGreaterThan(reads.value, 0)
        XCTAssertEqual(misses, [], "\(misses.count) of \(written) writes not seen")
        XCTAssertEqual(labelAhead.value, 0, "views labelled newer than the snapshot they read")
    }
}
