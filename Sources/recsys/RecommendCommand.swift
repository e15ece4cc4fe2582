import ArgumentParser
import EmbedStore
import Foundation
import Serving
import Recall

/// `recsys recommend user ID`: recall, rank, top k.
struct RecommendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract: "Recommend items: recall candidates, rank them with a model, keep the top k.",
        subcommands: [User.self]
    )

    struct User: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "user",
            abstract: "Recommend items for a user.",
            discussion: """
            When the store holds neighbours (`recsys neighbours build`), the default is multi-source recall over the \
            user's stored history (or --history): the neighbours of the history items, the nearest items of the last \
            history items in --table, most popular filling short histories; ranked by neighbour weights with the \
            latest items weighing most. --explain says which sources proposed each result. --model (or --from \
            embedding) takes the embedding path instead: recall by the user's vector, ranked by the model (without \
            --model the most recently trained one; without any model the recall order, and the output says so).

            Examples:
              recsys recommend user 10292 -k 10 --explain
              recsys recommend user 10292 --history 1,32,110 --where genres=Comedy
              recsys recommend user 10292 --model deepcrossing --from embedding
            """
        )
        @Argument(help: "The user id.") var id: String
        @Option(help: "The item table to recall from.") var table: String = RequestDefaults.itemTable
        @Option(name: .customLong("from"), help: "embedding or history (default: embedding when the user table has the user).") var source: UserVectorSource?
        @Option(name: .customLong("user-table"), help: "The table of user vectors.") var userTable: String = RequestDefaults.userTable
        @Option(help: "The user's items, comma-separated (default: the stored history).") var history: String?
        @Option(help: "The ranking model.") var model: String?
        @Option(help: "Candidates to recall before ranking.") var candidates: Int = RequestDefaults.candidates
        @Option(name: .short, help: "Results to return.") var k: Int = RequestDefaults.recommendK
        @Option(name: .customLong("where"), help: "Only items whose COLUMN equals VALUE; repeatable.") var filters: [String] = []
        @Flag(name: .customLong("include-seen"), help: "Keep items from the user's history.") var includeSeen = false
        @Flag(help: "Show the time each stage took and the candidate counts.") var explain = false
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let s = try store.openExisting()
            let request = RecommendRequest(user: id, table: table, source: source, userTable: userTable, history: history.map(splitIDs), model: model,
                                           candidates: candidates, k: k, filters: try filters.map(ItemFilter.init(parsing:)), includeSeen: includeSeen)
            let response = try Pipeline.recommend(request, view: ServingView(store: s, snapshotID: 0))
            if output.json { printJSON(response); return }
            if let note = response.note { writeStderr("note: \(note)\n") }
            // --explain adds where each result came from (multi-source recall)
            let tagged = explain && response.sources != nil
            var t = ResultTable(columns: ["rank", "id", "title", "genres", "recall", "score"] + (tagged ? ["sources"] : []))
            withExtendedLifetime(response.owner) {  // the results refer to their items unretained
                for (i, r) in response.results.enumerated() {
                    var row: [Cell] = [.int(i + 1), .text(r.id), .text(r.title ?? ""), .text(r.genres?.joined(separator: "|") ?? ""),
                                                   .float(Double(r.recallScore)), r.rankScore.map { .float(Double($0)) } ?? .null]
                    if tagged { row.append(.text((r.sources ?? []).map(\.rawValue).joined(separator: "+"))) }
                    t.rows.append(row)
                }
            }
            t.print(output)
            if explain {
                let tm = response.timings
                writeStderr(String(format: "model load (%@): %.2f ms\n", response.model ?? "none", tm.modelLoadMs))
                writeStderr(String(format: "user vector (%@): %.2f ms\nrecall (%@): %d candidates from %d examined: %.2f ms\nrank (%@): %.2f ms\ntotal: %.2f ms\n",
                                   response.from, tm.userVectorMs, response.recallMethod, response.candidatesRecalled, response.candidatesExamined, tm.recallMs,
                                   response.ranking ?? response.model ?? "no model", tm.rankMs, tm.totalMs))
                if let sources = response.sources { writeStderr("recall sources, in merge order: \(sources.joined(separator: ", "))\n") }
            }
        }
    }
}
