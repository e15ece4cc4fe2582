import ArgumentParser
import EmbedStore
import Foundation
import Serving
import Recall

extension Metric: ExpressibleByArgument {}

/// `recsys index ...`: the LSH recall index of a table.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Build and inspect a table's LSH recall index.",
        subcommands: [Build.self, Info.self, Drop.self]
    )

    struct Build: PrioritizedJob {
        static let configuration = CommandConfiguration(
            abstract: "Build (or rebuild) the multi-probe SimHash index of a table, in one transaction.",
            discussion: "Parameters left out are chosen by measuring recall@10 on a sample of the table's own vectors (the mean must keep \(IndexTuner.promisedRecall) on a quarter of the queries with 99% confidence, and reach at least \(IndexTuner.floorRecall)); a small table whose scan costs less than any index is left to scan. The automatic table count keeps the bucket lists within a sixth of the vectors' bytes (8 to 16 tables), so that serving needs at most a quarter more memory than the vectors; --tables overrides it."
        )
        @Option(help: "The table to index.") var table: String
        @Option(help: "Hash tables L (default: automatic).") var tables: Int = 0
        @Option(help: "Bits per table K (default: from the table size).") var bits: Int = 0
        @Option(help: "Buckets probed per table (default: automatic).") var probes: Int = 0
        @Option(help: "Stop after re-scoring this many candidates (default: no limit).") var budget: Int = 0
        @Option(help: "Re-score this many candidates per result wanted, the nearest by a 64-bit sketch or, with --quantize, by the 8-bit copy (default: automatic).") var rescore: Int = 0
        @Flag(help: "Keep an 8-bit copy of the rows in the index (a quarter of the vectors' bytes) and choose the candidates to re-score by it: faster at like recall, for more memory.") var quantize = false
        @Option(help: "cosine or dot.") var metric: Metric = .cosine
        @Option(help: "Seed of the random hyperplanes.") var seed: UInt64 = 0x5EED
        @OptionGroup var store: StoreOptions
        @OptionGroup var priority: PriorityOptions
        var jobName: String { "building the index" }
        @OptionGroup var output: OutputOptions

        func run() throws {
            let s = try store.openExisting()
            let verbose = isatty(2) == 1
            let info = try LSHIndex.build(store: s, table: table, parameters: IndexParameters(tables: tables, bits: bits, probes: probes, candidateBudget: budget, rescore: rescore, quantized: quantize), metric: metric, seed: seed) { message in
                if verbose { writeStderr(message + "\n") }
            }
            printIndexInfo(info, output)
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a table's index: parameters, recall at build, size, freshness.")
        @Option(help: "The table.") var table: String
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let s = try store.openExisting()
            let (info, stale) = try s.read { txn -> (IndexInfo?, String?) in
                let t = try txn.table(table)
                let i = try IndexInfo.load(txn, table: table)
                return (i, i?.staleness(against: t))
            }
            guard let info else { throw RecallError.noIndex(table) }
            printIndexInfo(info, output, stale: stale)
        }
    }

    struct Drop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a table's index (queries use exact search).")
        @Option(help: "The table.") var table: String
        @OptionGroup var store: StoreOptions

        func run() throws {
            try store.openExisting().write { txn in
                _ = try txn.table(table)
                guard try IndexInfo.load(txn, table: table) != nil else {
                    throw StoreError.notFound("table '\(table)' has no recall index to drop")
                }
                try LSHIndex.drop(txn, table: table)
            }
            writeStderr("dropped the recall index of '\(table)'\n")
        }
    }
}

func printIndexInfo(_ info: IndexInfo, _ output: OutputOptions, stale: String? = nil) {
    if output.json {
        printJSON(info)
        return
    }
    var t = ResultTable(columns: ["field", "value"])
    func add(_ k: String, _ v: String) { t.rows.append([.text(k), .text(v)]) }
    add("table", "\(info.table) (version \(info.tableVersion))")
    add("state", stale == nil ? "current" : "stale: \(stale!)")
    add("metric", info.metric.rawValue)
    add("tables x bits", "\(info.parameters.tables) x \(info.parameters.bits)")
    add("probes per table", "\(info.parameters.probes)")
    add("candidate budget", info.parameters.candidateBudget == 0 ? "none" : "\(info.parameters.candidateBudget)")
    add("re-scored per result", info.parameters.rescore == 0 ? "all candidates" : "\(info.parameters.rescore) (nearest by \(info.parameters.quantized ? "8-bit copy" : "sketch"))")
    add("recall@10 at build", info.recallAtBuild.map { String(format: "%.3f on %d sample queries", $0, info.sampleQueries) } ?? "-")
    add("worst tenth of queries", info.worstTenthRecallAtBuild.map { String(format: "recall@10 %.3f", $0) } ?? "-")
    if info.prefersScan == true { add("queries", "scan the table (cheaper than any index reaching the target recall)") }
    add("candidates per query", info.candidatesAtBuild.map { String(format: "%.0f", $0) } ?? "-")
    add("rows changed since build", "\(info.deltaRows)")
    add("index bytes", "\(info.bytes)")
    add("build seconds", String(format: "%.2f", info.buildSeconds))
    t.print(output)
}
