import EmbedStore
@testable import Ranker
import RecsysTestSupport
import Serving
import XCTest

/// The service keeps loaded models across snapshots while no model record
/// changed, and loads afresh after a retrain.
final class ModelCacheTests: XCTestCase {
    static let spec = FeatureSpec(
        categorical: [CategoricalFeature(name: "iid", identity: 20, dimension: 2, entity: .item)],
        numeric: [NumericFeature(name: "x", transform: .standardize, entity: .item)],
        label: "label", userID: "uid", itemID: "iid", hidden: [4])

    func train(_ store: Store, dir: TempDir, seed: UInt64) throws {
        var csv = "uid,iid,x,label\n"
        var rng = SplitMix64(seed: seed)
        for i in 0..<200 {
            let x = rng.unit() * 2 - 1
            csv += "u\(i % 5),\(i % 20),\(x),\(x > 0 ? 1 : 0)\n"
        }
        let data = try SampleSet.load(dir.write("s\(seed).csv", csv), spec: Self.spec)
        let model = try EmbeddingMLP(spec: Self.spec, seed: seed)
        try Trainer(model: model).train(data, options: TrainingOptions(epochs: 2, batchSize: 16, seed: seed))
        try store.write { txn in try RankerModel.save(txn, name: "m", model: model, options: TrainingOptions(), metrics: [:], data: data) }
    }

    func testRetrainLoadsTheNewModelAndOtherCommitsKeepTheLoadedOne() throws {
        let dir = TempDir()
        let (store, file) = try storeWithTable(in: dir)
        try train(store, dir: dir, seed: 1)
        let state = ServingState(store: store)
        let first = try XCTUnwrap(try state.view().model("m"))
        XCTAssertTrue(try state.view().model(nil) === first, "the latest model is the one trained")

        // an import commits, but no model record changed: the same instance (and its cached item parts)
        try store.importVectors(from: file, table: "t")
        XCTAssertTrue(try state.view().model("m") === first)

        // a retrain under the same name: a new instance with the new weights
        try train(store, dir: dir, seed: 2)
        let second = try XCTUnwrap(try state.view().model("m"))
        XCTAssertFalse(second === first, "a retrained model must not be served from the old instance")
        let reloaded = try store.read { try RankerModel.load($0, name: "m") }
        XCTAssertEqual(second.model.layers.map(\.weights), reloaded.model.layers.map(\.weights))
        XCTAssertNotEqual(second.model.layers.map(\.weights), first.model.layers.map(\.weights))
    }
}
