import EmbedStore
import Foundation
import Ranker
import Recall
import RecsysTestSupport
import Serving
import XCTest

/// A model-based test of the store's mutations: seeded random sequences of
/// imports, upserts, deletes, rollbacks, index builds, retraining and items
/// imports, against a plain in-memory model of the table; after every step
/// `get`, export, exact and indexed recall, rank and recommend, read through
/// one long-lived `ServingState` as the service reads, agree with the model.
///
/// `RECSYS_MODEL_STEPS` runs more steps (the suite runs a bounded number).
final class StoreModelTests: XCTestCase {
    /// The table as the test believes it is.
    struct Model {
        var current: [String: [Float]]
        var previous: [String: [Float]]?
        var deleted: Set<String> = []
    }

    func cosine(_ a: [Float], _ b: [Float]) -> Float {
        var d: Float = 0, na: Float = 0, nb: Float = 0
        for i in a.indices { d += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i] }
        return d / (na.squareRoot() * nb.squareRoot())
    }

    func train(_ store: Store, seed: UInt64) throws {
        let spec = try XCTUnwrap(FeatureSpec.preset("sparrow"))
        let data = try SampleSet.load(sampleData + "/testSamples.csv", spec: spec)
        let mlp = try EmbeddingMLP(spec: spec, seed: seed)
        let options = TrainingOptions(epochs: 1, batchSize: 64, seed: seed)
        _ = try Trainer(model: mlp).train(data, options: options)
        try store.write { try RankerModel.save($0, name: "m", model: mlp, options: options, metrics: [:], data: data) }
    }

    func testRandomMutationSequencesAgreeWithAPlainModel() throws {
        let steps = ProcessInfo.processInfo.environment["RECSYS_MODEL_STEPS"].flatMap(Int.init) ?? 1_500
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        try store.importVectors(from: sampleData + "/item2vecEmb.csv", table: "item2vec")
        try store.importVectors(from: sampleData + "/userEmb.csv", table: "user", options: ImportOptions(kind: .user))
        try store.importItems(from: sampleData + "/movies.csv")
        try train(store, seed: 1)
        var model = Model(current: try snapshot(store, "item2vec").mapValues { $0.map(Float.init(bitPattern:)) }, previous: nil)
        let movies = try store.read { try $0.items() }
        // users the ranker has features for (from its samples) that have user vectors
        let vectors = try snapshot(store, "user")
        let sampled = try String(contentsOfFile: sampleData + "/testSamples.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            .compactMap { $0.split(separator: ",").dropFirst().first.map(String.init) }
        let users = Array(Set(sampled).filter { vectors[$0] != nil }.sorted().prefix(40))
        XCTAssertFalse(users.isEmpty)
        let state = ServingState(store: store)
        var rng = SeededRandom(seed: 20261207)
        let dimension = 10
        func randomVector() -> [Float] { (0..<dimension).map { _ in Float.random(in: -1...1, using: &rng) } }
        var fresh = 0
        let deadline = Date().addingTimeInterval(75)
        var done = 0
        for step in 0..<steps where Date() < deadline {
            let op = Int.random(in: 0..<100, using: &rng)
            var what = ""
            switch op {
            case 0..<35: // upsert: a new id or an existing one
                let id: String
                if Bool.random(using: &rng) || model.current.isEmpty { fresh += 1; id = "new\(fresh)" } else { id = model.current.keys.sorted().randomElement(using: &rng)! }
                let v = randomVector()
                _ = try store.write { try MutationHooks.upsert($0, table: "item2vec", id: id, vector: v) }
                model.current[id] = v
                model.deleted.remove(id)
                what = "upsert \(id)"
            case 35..<65: // delete, any row
                guard model.current.count > 20, let id = model.current.keys.sorted().randomElement(using: &rng) else { continue }
                try store.write { try MutationHooks.remove($0, table: "item2vec", id: id) }
                model.current[id] = nil
                model.deleted.insert(id)
                what = "delete \(id)"
            case 65..<72: // a new version from a file: some rows changed, some dropped
                var next = model.current
                for id in next.keys.sorted() where Int.random(in: 0..<10, using: &rng) == 0 { next[id] = nil }
                for id in next.keys.sorted() where Int.random(in: 0..<10, using: &rng) == 0 { next[id] = randomVector() }
                try writeTable(store, "item2vec", next.keys.sorted().map { next[$0]! }, id: { next.keys.sorted()[$0] })
                model.deleted.formUnion(model.current.keys.filter { next[$0] == nil })
                model.previous = model.current
                model.current = next
                what = "import \(next.count) rows"
            case 72..<78: // rollback
                guard let previous = model.previous else { continue }
                _ = try store.write { try $0.rollbackTable("item2vec") }
                model.deleted.formUnion(model.current.keys.filter { previous[$0] == nil })
                model.deleted.subtract(previous.keys)
                model.current = previous
                model.previous = nil
                what = "rollback"
            case 78..<88:
                _ = try LSHIndex.build(store: store, table: "item2vec", seed: UInt64(step))
                what = "index build"
            case 88..<90:
                try train(store, seed: UInt64(step))
                what = "retrain"
            default: // items import: a random part of the catalogue
                let part = movies.filter { _ in Int.random(in: 0..<3, using: &rng) > 0 }
                var csv = "movieId,title,genres\n"
                for m in part { csv += "\(m.id),\"\(m.title ?? "")\",\(m.genres.joined(separator: "|"))\n" }
                try store.importItems(from: dir.write("items.csv", csv))
                what = "items import \(part.count)"
            }
            try check(state, store, model, users: users, rng: &rng, context: "step \(step) (\(what))")
            done += 1
        }
        XCTAssertGreaterThan(done, min(steps, 300), "steps run within the time bound")
    }

    private func check(_ state: ServingState, _ store: Store, _ model: Model, users: [String], rng: inout SeededRandom, context: String) throws {
        let view = try state.view()
        let snap = try view.snapshot("item2vec")
        // get, and export (the whole table, bit for bit)
        let exported = try snapshot(store, "item2vec")
        XCTAssertEqual(Set(exported.keys), Set(model.current.keys), "export: \(context)")
        for id in model.current.keys.sorted().prefix(3) + model.deleted.sorted().prefix(3) {
            let row = snap.row(of: id)
            if let v = model.current[id] {
                XCTAssertEqual(row.map { snap.vector(ofRow: $0) }, v, "get \(id): \(context)")
            } else {
                XCTAssertNil(row, "deleted \(id) still there: \(context)")
            }
        }
        // exact recall equals brute force; indexed recall returns live ids with their true scores
        let query = (0..<10).map { _ in Float.random(in: -1...1, using: &rng) }
        let truth = model.current.map { ($0.key, cosine(query, $0.value)) }.sorted { $0.1 > $1.1 }
        let k = 10
        let exact = try view.recallVector(query, table: "item2vec", options: SearchOptions(k: k, exact: true)).result.hits
        XCTAssertEqual(exact.count, min(k, truth.count), "exact count: \(context)")
        for (h, t) in zip(exact, truth) { XCTAssertEqual(h.score, t.1, accuracy: 1e-4, "exact recall: \(context)") }
        let indexed = try view.recallVector(query, table: "item2vec", options: SearchOptions(k: k)).result.hits
        for h in indexed {
            let id = snap.id(ofRow: h.row)
            guard let v = model.current[id] else { XCTFail("indexed recall returned \(id), not live: \(context)"); continue }
            XCTAssertEqual(h.score, cosine(query, v), accuracy: 1e-4, "indexed score of \(id): \(context)")
        }
        // recall item of a live id and of a deleted one
        if let live = model.current.keys.sorted().randomElement(using: &rng) {
            let near = try view.recallItem(live, table: "item2vec", options: SearchOptions(k: 5)).result.hits
            XCTAssertTrue(near.allSatisfy { model.current[snap.id(ofRow: $0.row)] != nil }, "recall item: \(context)")
        }
        if let gone = model.deleted.sorted().randomElement(using: &rng) {
            XCTAssertThrowsError(try view.recallItem(gone, table: "item2vec", options: SearchOptions(k: 5)), "recall item of deleted \(gone): \(context)")
        }
        // recommend and rank: no trap, only live ids, every result scored
        let user = users.randomElement(using: &rng)!
        let rec = try Pipeline.recommend(RecommendRequest(user: user, candidates: 200, k: 10), view: view)
        XCTAssertFalse(rec.results.isEmpty, "recommend: \(context)")
        for r in rec.results {
            XCTAssertNotNil(model.current[r.item.fields.id], "recommended \(r.item.fields.id), not live: \(context)")
            XCTAssertNotNil(r.rankScore, "recommend: \(context)")
        }
        let items = Array(model.current.keys.sorted().prefix(5))
        let ranked = try view.rank(user: user, items: items, model: nil)
        XCTAssertEqual(Set(ranked.results.map(\.id)).union(ranked.unknown), Set(items), "rank: \(context)")
    }
}
