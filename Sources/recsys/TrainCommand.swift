import ArgumentParser
import EmbedStore
import Foundation
import Serving
import Ranker

extension NumericTransform: ExpressibleByArgument {}

/// `recsys train`: fit the Embedding+MLP ranker and store it.
struct TrainCommand: PrioritizedJob {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the Embedding+MLP ranker on labelled samples and store it with its learned embeddings.",
        discussion: """
        Specs: \(FeatureSpec.presetSummaries), or a JSON file (`recsys spec NAME` \
        prints a preset to start one; columns may hold bags of values: "multi", "columns", "attention"). \
        Test metrics come from --test FILE, --holdout-every N (row i is test when i % N == N-1, the SparrowRecSys \
        benchmark split with N=5) or a random --split fraction.
        """
    )
    @Option(help: "The training samples (CSV with a header), or a Spark output directory of such part files (refused without _SUCCESS).") var samples: String
    @Option(help: "The model name.") var model: String
    @Option(help: "A preset (\(FeatureSpec.presets.joined(separator: ", "))) or a JSON spec file.") var spec: String = FeatureSpec.defaultPreset
    @Option(help: "A separate test file.") var test: String?
    @Option(parsing: .unconditional, help: "Hold out this random fraction as the test set.") var split: Double?
    @Option(name: .customLong("holdout-every"), help: "Row i is a test row when i % N == N-1.") var holdoutEvery: Int?
    @Option(parsing: .unconditional, help: "Hold out this fraction of the training rows for validation (per-epoch AUC, early stopping).") var validation: Double = 0
    @Option(help: "Stop after this many epochs without a better validation AUC (0: never).") var patience: Int = 0
    @Option(help: "Override every numeric column's transform: raw, standardize or log1p.") var numeric: NumericTransform?
    @Option var epochs: Int = 5
    @Option(name: .customLong("batch-size")) var batchSize: Int = 256
    @Option(name: .customLong("learning-rate"), parsing: .unconditional) var learningRate: Float = 0.001
    @Option(name: .customLong("embedding-l2"), parsing: .unconditional, help: "DIN's mini-batch aware regularisation: each embedding row a batch looks up is pulled toward 0 by this over the number of training samples using it (0: off; default: the spec's embeddingL2).")
    var embeddingL2: Float?
    @Option var seed: UInt64 = 1
    @Option(name: .customLong("init"), help: "COLUMN=TABLE: start the column's embedding rows from the store's table, by id (repeatable; dimensions must match; ids the table lacks keep their random start). Train the table on events before these samples: vectors that saw the training events leak their labels.") var initFrom: [String] = []
    @Option(help: "Keep this column's embedding table as initialised (repeatable; with --init).") var freeze: [String] = []
    @OptionGroup var store: StoreOptions
    @OptionGroup var priority: PriorityOptions
    @OptionGroup var output: OutputOptions
    var jobName: String { "training" }

    func loadSpec() throws -> FeatureSpec {
        if let preset = FeatureSpec.preset(spec) { return preset }
        guard let data = FileManager.default.contents(atPath: spec) else {
            throw CLIError("--spec: '\(spec)' is neither a preset (\(FeatureSpec.presets.joined(separator: ", "))) nor a readable file")
        }
        do { return try JSONDecoder().decode(FeatureSpec.self, from: data) } catch {
            throw CLIError("\(spec): not a valid feature spec: \(error)")
        }
    }

    func run() throws {
        var featureSpec = try loadSpec()
        if let numeric { featureSpec.numeric = featureSpec.numeric.map { NumericFeature(name: $0.name, transform: numeric, entity: $0.entity) } }
        if [test != nil, split != nil, holdoutEvery != nil].filter({ $0 }).count > 1 { throw CLIError("give one of --test, --split, --holdout-every") }
        var all = try SampleSet.load(samples, spec: featureSpec)
        var testSet: SampleSet?
        if let test { testSet = try SampleSet.load(test, spec: featureSpec) }
        if let split {
            guard split > 0 && split < 1 else { throw CLIError("--split must be between 0 and 1") }
            let (a, b) = all.split(fraction: split, seed: seed)
            all = a; testSet = b
        }
        if let n = holdoutEvery {
            guard n >= 2 else { throw CLIError("--holdout-every must be at least 2") }
            (all, testSet) = all.splitEvery(n)
        }
        // a test set of one class makes AUC 0.5 and PR-AUC 0, which reads like a bad
        // model: --holdout-every N over samples whose negatives follow their positive in
        // blocks (samples build --negatives K) picks one class when N is a multiple of K+1
        if let testSet, testSet.count > 0, Set(testSet.labels.map { $0 > 0.5 }).count < 2 {
            throw CLIError("the test rows hold only label \(testSet.labels[0] > 0.5 ? 1 : 0) (\(testSet.count) rows), so AUC cannot be measured"
                + (holdoutEvery.map { "; with `samples build --negatives K` every (K+1)th row is a positive, so pick a --holdout-every that is not a multiple of K+1 (e.g. \($0 + 1)) or use --split" } ?? ""))
        }
        var validationSet: SampleSet?
        var trainSet = all
        if validation > 0 {
            guard validation < 1 else { throw CLIError("--validation must be between 0 and 1") }
            let (a, b) = all.split(fraction: validation, seed: seed &+ 1)
            trainSet = a; validationSet = b
        }
        let mlp = try EmbeddingMLP(spec: featureSpec, seed: seed)
        let initialized = try initialize(mlp)
        let trainer = Trainer(model: mlp)
        let options = TrainingOptions(epochs: epochs, batchSize: batchSize, learningRate: learningRate, seed: seed, patience: patience, embeddingL2: embeddingL2)
        let params = mlp.parameterCount
        try checkStoreCanTakeModel(parameters: params.embeddings + params.dense, users: all.count)
        if !output.json {
            for i in initialized {
                writeStderr("initialised '\(i.column)' from table '\(i.source)': \(i.found) of its \(i.rows) rows found\(freeze.contains(i.column) ? ", frozen" : "")\n")
            }
            writeStderr("training on \(trainSet.count) rows (\(params.embeddings) embedding + \(params.dense) dense parameters)\(validationSet.map { ", validating on \($0.count)" } ?? "")\(testSet.map { ", testing on \($0.count)" } ?? "")\n")
        }
        let reports = try trainer.train(trainSet, validation: validationSet, options: options) { r in
            if !output.json {
                var line = String(format: "epoch %d/%d  loss %.4f", r.epoch, epochs, r.loss)
                if let v = r.validation { line += String(format: "  validation auc %.4f", v.rocAUC) }
                line += "  \(Int(r.samplesPerSecond).formatted()) samples/s\n"
                writeStderr(line)
            }
        }
        var metrics: [String: Metrics] = ["train": Metrics.compute(labels: trainSet.labels, predictions: mlp.predict(trainSet))]
        if let v = validationSet { metrics["validation"] = Metrics.compute(labels: v.labels, predictions: mlp.predict(v)) }
        if let t = testSet { metrics["test"] = Metrics.compute(labels: t.labels, predictions: mlp.predict(t)) }
        let s = try store.open()  // only now: a failed run must not leave a new empty store
        try s.write { txn in try txn.requireSoundStructure(); try RankerModel.save(txn, name: model, model: mlp, options: options, metrics: metrics, data: trainSet) }
        if output.json {
            printJSON(TrainJSON(model: model, epochs: reports, train: metrics["train"], validation: metrics["validation"], test: metrics["test"],
                                parameters: ["embeddings": params.embeddings, "dense": params.dense], unknownValues: all.unknownValues,
                                initialized: initialized.map { InitJSON(column: $0.column, table: $0.source, found: $0.found, rows: $0.rows, frozen: freeze.contains($0.column)) }))
            return
        }
        var t = ResultTable(columns: ["set", "rows", "roc_auc", "pr_auc", "logloss", "accuracy"])
        for name in ["train", "validation", "test"] {
            guard let m = metrics[name] else { continue }
            t.rows.append([.text(name), .int(m.count), .float(m.rocAUC), .float(m.prAUC), .float(m.logloss), .float(m.accuracy)])
        }
        t.print(output)
        writeStderr("stored model '\(model)' and its embedding tables ranker/\(model)/*\n")
    }
}

extension TrainCommand {
    /// Applies --init and --freeze to a fresh model, reading the store's tables.
    func initialize(_ mlp: EmbeddingMLP) throws -> [PretrainedInit] {
        var reports: [PretrainedInit] = []
        if !initFrom.isEmpty {
            let s = try store.openExisting()
            try s.read { txn in
                for pair in initFrom {
                    let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw CLIError("--init: '\(pair)' is not COLUMN=TABLE") }
                    reports.append(try mlp.initialize(column: parts[0], from: try txn.table(parts[1])))
                }
            }
        }
        for column in freeze {
            guard reports.contains(where: { $0.column == column }) else {
                throw CLIError("--freeze \(column): only a column given to --init can be frozen (a frozen random table learns nothing)")
            }
            try mlp.freeze(column: column)
        }
        return reports
    }

    /// Fails before the epochs, not after them, when the model could not be
    /// stored: a model name no table may carry, a read-only store, or a disk
    /// without room for the model (its parameters twice over, as LMDB writes
    /// new pages before freeing old ones, plus the per-user feature rows).
    func checkStoreCanTakeModel(parameters: Int, users: Int) throws {
        do { try TableName.validate(model) } catch {
            throw CLIError("--model: \(error)".replacingOccurrences(of: "table name", with: "model name"))
        }
        if FileManager.default.isWritableFile(atPath: store.path) == false, FileManager.default.fileExists(atPath: store.path + "/data.mdb") {
            throw StoreError.readOnly(path: store.path)
        }
        try DiskSpace.require(parameters * 4 * 2 + users * 256 + (16 << 20), at: store.path)
    }
}

struct TrainJSON: Encodable {
    let model: String
    let epochs: [EpochReport]
    let train: Metrics?
    let validation: Metrics?
    let test: Metrics?
    let parameters: [String: Int]
    let unknownValues: Int
    let initialized: [InitJSON]
}

struct InitJSON: Encodable {
    let column: String
    let table: String
    let found: Int
    let rows: Int
    let frozen: Bool
}

/// `recsys rank`: score items for a user with a stored model.
struct RankCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rank",
        abstract: "Score items for a user with a trained model, best first.",
        discussion: "Items come as arguments or from --candidates FILE (- for stdin): one id per line, or the JSON `recsys recall --json` prints."
    )
    @Option(help: "The model.") var model: String
    @Option(help: "The user id.") var user: String
    @Argument(help: "Item ids.") var items: [String] = []
    @Option(help: "A file of candidate ids (- for stdin).") var candidates: String?
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        var ids = items
        if let candidates { ids += try readCandidates(candidates) }
        guard !ids.isEmpty else { throw CLIError("no items to rank: give ids or --candidates FILE") }
        let s = try store.openExisting()
        let (ranked, unknown) = try s.read { txn -> ([(String, Float, String?)], [String]) in
            let m = try RankerModel.load(txn, name: model)
            let scored = try m.score(txn, user: user, items: ids)
            let scores = scored.scores
            let order = ids.indices.sorted { scores[$0] > scores[$1] }
            return (try order.map { (ids[$0], scores[$0], try txn.item(ids[$0])?.title) }, (scored.userKnown ? [] : ["user \(user)"]) + scored.unknownItems.map { "item \($0)" })
        }
        if !unknown.isEmpty { writeStderr("warning: no stored features for \(unknown.prefix(5).joined(separator: ", "))\(unknown.count > 5 ? " and \(unknown.count - 5) more" : ""): scored with empty features\n") }
        if output.json {
            printJSON(RankJSON(model: model, user: user, results: ranked.map { RankHitJSON(id: $0.0, score: $0.1, title: $0.2) }))
            return
        }
        var t = ResultTable(columns: ["rank", "id", "score", "title"])
        for (i, r) in ranked.enumerated() { t.rows.append([.int(i + 1), .text(r.0), .float(Double(r.1)), .text(r.2 ?? "")]) }
        t.print(output)
    }
}

struct RankJSON: Encodable { let model: String; let user: String; let results: [RankHitJSON] }

/// Candidate ids from a file: one per line, or recall's JSON (`results[].id`).
func readCandidates(_ path: String) throws -> [String] {
    let data: Data
    if path == "-" { data = FileHandle.standardInput.readDataToEndOfFile() } else {
        guard let d = FileManager.default.contents(atPath: path) else { throw CLIError("\(path): cannot read") }
        data = d
    }
    let text = String(decoding: data, as: UTF8.self)
    if text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{") {
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let results = obj["results"] as? [[String: Any]] else {
            throw CLIError("\(path): JSON candidates must be an object with \"results\": [{\"id\": ...}]")
        }
        return results.compactMap { $0["id"] as? String }
    }
    return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}
