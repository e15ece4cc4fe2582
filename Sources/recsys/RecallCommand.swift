import ArgumentParser
import EmbedStore
import Foundation
import Serving
import Recall

extension UserVectorSource: ExpressibleByArgument {}

/// Options shared by the recall commands.
struct SearchFlags: ParsableArguments {
    @Option(name: .short, help: "Results to return (default: \(RequestDefaults.userRecallK) for a user, \(RequestDefaults.itemRecallK) for an item).") var k: Int?
    @Option(name: .customLong("where"), help: "Only items whose COLUMN equals VALUE (genre=Comedy matches one of the genres); repeatable.") var filters: [String] = []
    @Flag(help: "Scan every vector instead of using the index.") var exact = false
    @Option(help: "Override the index's probes per table.") var probes: Int = 0
    @Option(help: "Override the index's candidates re-scored per result (nearest by sketch first; 0: all).") var rescore: Int?
    @Option(help: "cosine or dot (default: the index's, else cosine).") var metric: Metric?

    func options(defaultK: Int, excluding rows: Set<Int> = []) throws -> SearchOptions {
        let k = self.k ?? defaultK
        guard k > 0 else { throw CLIError("-k must be positive") }
        if let rescore, rescore < 0 { throw CLIError("--rescore must be 0 (all) or positive") }
        return SearchOptions(k: k, metric: metric, exact: exact, probes: probes, rescore: rescore, excludedRows: rows, filters: try filters.map(ItemFilter.init(parsing:)))
    }
}

/// `recsys recall ...`: nearest items for a user, an item, or a whole evaluation.
struct RecallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recall",
        abstract: "Recall the nearest items for a user or an item; evaluate the index.",
        subcommands: [User.self, ItemCommand.self, Eval.self, HoldoutCommand.self]
    )

    struct User: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "user",
            abstract: "Nearest items to a user's vector.",
            discussion: "The vector is the user's stored embedding (--from embedding), the mean of the item vectors of their history (--from history: --history or the stored one), or given with --vector. Items in the known history are excluded unless --include-seen."
        )
        @Argument(help: "The user id (not needed with --vector).") var id: String?
        @Option(help: "The item table to search.") var table: String = RequestDefaults.itemTable
        @Option(name: .customLong("from"), help: "embedding or history (default: embedding when the user table has the user).") var source: UserVectorSource?
        @Option(name: .customLong("user-table"), help: "The table of user vectors.") var userTable: String = RequestDefaults.userTable
        @Option(help: "The user's items, comma-separated (default: the stored history).") var history: String?
        @Option(parsing: .unconditional, help: "The query vector, comma-separated (a leading minus is a number, not an option).") var vector: String?
        @Flag(name: .customLong("include-seen"), help: "Keep items from the user's history in the results.") var includeSeen = false
        @OptionGroup var search: SearchFlags
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let view = ServingView(store: try store.openExisting(), snapshotID: 0)
            let request = UserQueryRequest(user: id, source: source, userTable: userTable, history: history.map(splitIDs), vector: try vector.map(parseVector))
            printRecall(try view.recallUser(request, table: table, options: try search.options(defaultK: RequestDefaults.userRecallK), includeSeen: includeSeen), output: output)
        }
    }

    struct ItemCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "item", abstract: "Items most similar to an item (the item itself left out), best first.")
        @Argument(help: "The item id.") var id: String
        @Option(help: "The item table.") var table: String = RequestDefaults.itemTable
        @OptionGroup var search: SearchFlags
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let view = ServingView(store: try store.openExisting(), snapshotID: 0)
            printRecall(try view.recallItem(id, table: table, options: try search.options(defaultK: RequestDefaults.itemRecallK)), output: output)
        }
    }

    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recall@k of the index against exact search, candidates per query, latency.",
            discussion: "Queries come from --queries FILE (any vector format; .fvecs for ANN benchmark sets) or a --sample of the table's own vectors (each excluded from its own results)."
        )
        @Option(help: "The table.") var table: String
        @Option(help: "A file of query vectors.") var queries: String?
        @Option(help: "Exact top-k row lists (.ivecs) for --queries; computed by exact search when absent.") var groundtruth: String?
        @Option(help: "Sample this many of the table's own vectors as queries.") var sample: Int = 200
        @Option(name: .short, help: "k of recall@k.") var k: Int = 10
        @Option(help: "Probes per table to evaluate, comma-separated (a sweep).") var probes: String?
        @Option(help: "Tables to use, comma-separated (a sweep, at most the index's).") var tables: String?
        @Option(help: "Candidates re-scored per result, comma-separated (a sweep; 0: all; default: the index's).") var rescore: String?
        @Flag(help: "Copy the vectors into huge-page memory first, as `recsys serve` does.") var resident = false
        @Flag(name: .customLong("with-exact"), help: "Also time exact search (every vector scored) on the same queries, as a row of its own.") var withExact = false
        @Flag(inversion: .prefixedNo, help: "Keep the figures in the store (the service's tables page plots them).") var record = true
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let s = try store.openExisting()
            let snapshot = try RecallSnapshot(store: s, table: table, resident: resident)
            if let note = snapshot.staleNote { writeStderr("note: \(note)\n") }
            var queryVectors: [[Float]] = []
            var excluded: [Set<Int>] = []
            if let queries {
                queryVectors = try Store.readVectors(from: queries).map(\.vector)
                excluded = Array(repeating: [], count: queryVectors.count)
            } else {
                guard sample > 0 else { throw CLIError("--sample must be positive") }
                var rng = SystemRandomNumberGenerator()
                var rows = Set<Int>()
                let live = snapshot.table.count
                while rows.count < min(sample, live) {
                    let r = Int.random(in: 0..<snapshot.rows.slots, using: &rng)
                    if snapshot.rows.isLive(r) { rows.insert(r) }
                }
                queryVectors = rows.sorted().map { snapshot.vector(ofRow: $0) }
                excluded = rows.sorted().map { [$0] }
            }
            var truth: [[Int]]? = nil
            if let groundtruth {
                truth = try readIvecs(groundtruth)
                guard truth!.count >= queryVectors.count else { throw CLIError("\(groundtruth): \(truth!.count) rows for \(queryVectors.count) queries") }
            }
            let probeList = try (probes ?? "0").split(separator: ",").map { p -> Int in
                guard let v = Int(p), v >= 0 else { throw CLIError("--probes: '\(p)' is not a number") }
                return v
            }
            let tableList = try (tables ?? "0").split(separator: ",").map { p -> Int in
                guard let v = Int(p), v >= 0 else { throw CLIError("--tables: '\(p)' is not a number") }
                return v
            }
            let rescoreList: [Int?] = try rescore.map { list in
                try list.split(separator: ",").map { p -> Int? in
                    guard let v = Int(p), v >= 0 else { throw CLIError("--rescore: '\(p)' is not a number") }
                    return v
                }
            } ?? [nil]
            // one ground truth for the whole sweep
            if truth == nil {
                truth = try queryVectors.enumerated().map { i, q in
                    try snapshot.search(q, options: SearchOptions(k: k, exact: true, excludedRows: excluded[i])).hits.map(\.row)
                }
            }
            var rowsOut = ResultTable(columns: ["method", "tables", "probes", "rescore", "recall@\(k)", "worst 10%", "gathered", "candidates", "p50_us", "p99_us", "qps"])
            var evaluations: [RecallEvaluation] = []
            let exactOnly = snapshot.indexInfo == nil || snapshot.staleNote != nil
            var sweep = exactOnly ? [] : tableList.flatMap { t in rescoreList.flatMap { f in probeList.map { p in SearchOptions(k: k, tables: t, probes: p, rescore: f) } } }
            if exactOnly || withExact { sweep.append(SearchOptions(k: k, exact: true)) }
            for options in sweep {
                // queries with their own exclusions: run one at a time
                var evals: [RecallEvaluation] = []
                if excluded.allSatisfy(\.isEmpty) {
                    evals.append(try RecallEvaluation.run(snapshot, queries: queryVectors, truth: truth, options: options))
                } else {
                    for (i, q) in queryVectors.enumerated() {
                        var o = options
                        o.excludedRows = excluded[i]
                        evals.append(try RecallEvaluation.run(snapshot, queries: [q], truth: [truth![i]], options: o))
                    }
                }
                let e = merge(evals)
                evaluations.append(e)
                rowsOut.rows.append([.text(e.method), .int(e.tables), .int(e.probes), .int(e.rescore), .float(e.recall), .float(e.worstTenthRecall), .float(e.gathered), .float(e.candidates), .float(e.p50Micros), .float(e.p99Micros), .float(e.queriesPerSecond)])
            }
            if output.json { printJSON(evaluations) } else { rowsOut.print(output) }
            if record {
                let kept = RecordedEvaluations(table: table, tableVersion: snapshot.table.info.version,
                                               indexCreatedAt: exactOnly ? nil : snapshot.indexInfo?.createdAt, rows: evaluations)
                do { try s.write { try kept.save($0) } } catch StoreError.readOnly { writeStderr("note: the store is read-only here: figures not kept\n") }
            }
        }

        func merge(_ evals: [RecallEvaluation]) -> RecallEvaluation {
            guard evals.count > 1 else { return evals[0] }
            var m = evals[0]
            let n = Double(evals.count)
            m.queries = evals.count
            m.recall = evals.map(\.recall).reduce(0, +) / n
            // one query each: their recalls are the per-query recalls
            m.worstTenthRecall = TuningMeasurement(recallPerQuery: evals.map(\.recall), candidates: 0, gathered: 0).worstTenthRecall
            m.candidates = evals.map(\.candidates).reduce(0, +) / n
            m.gathered = evals.map(\.gathered).reduce(0, +) / n
            let lat = evals.map(\.p50Micros).sorted()
            m.p50Micros = lat[lat.count / 2]
            m.p99Micros = lat[min(lat.count - 1, Int(Double(lat.count) * 0.99))]
            m.queriesPerSecond = n / (evals.map { 1 / $0.queriesPerSecond }.reduce(0, +))
            return m
        }
    }
}

/// Reads an `.ivecs` file: per row an int32 count then that many int32s.
func readIvecs(_ path: String) throws -> [[Int]] {
    guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("\(path): cannot read") }
    var out: [[Int]] = []
    try data.withUnsafeBytes { raw in
        var off = 0
        while off < raw.count {
            guard off + 4 <= raw.count else { throw CLIError("\(path): record \(out.count + 1): truncated") }
            let n = Int(raw.loadUnaligned(fromByteOffset: off, as: Int32.self))
            guard n >= 0, off + 4 + n * 4 <= raw.count else { throw CLIError("\(path): record \(out.count + 1): truncated or bad count \(n)") }
            out.append((0..<n).map { Int(raw.loadUnaligned(fromByteOffset: off + 4 + $0 * 4, as: Int32.self)) })
            off += 4 + n * 4
        }
    }
    return out
}

func splitIDs(_ s: String) -> [String] {
    s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

func printRecall(_ answer: RecallAnswer, output: OutputOptions) {
    let (snapshot, result, response) = (answer.snapshot, answer.result, answer.response)
    if output.json {
        printJSON(response)
        return
    }
    if let note = result.note { writeStderr("note: \(note)\n") }
    var t = ResultTable(columns: ["rank", "id", "score", "title", "genres"])
    withExtendedLifetime(response.owner) {  // the results refer to their items unretained
        for (i, h) in response.results.enumerated() {
            t.rows.append([.int(i + 1), .text(h.id), .float(Double(h.score)), .text(h.title ?? ""), .text(h.genres?.joined(separator: "|") ?? "")])
        }
    }
    t.print(output)
    if !output.tsv {
        let why = result.method == .exact && snapshot.indexInfo != nil && snapshot.staleNote == nil ? " (a scan is cheaper than the index here)" : ""
        writeStderr(String(format: "%@: %d candidates, %d probes, %.2f ms%@\n", result.method.rawValue, result.candidates, result.probes, response.timings["search_ms"] ?? 0, why))
    }
}
