import EmbedStore
import Recall

package struct RecallHitJSON: ItemResult, Encodable {
    package let item: ItemReference
    package let score: Float

    package init(item: Unmanaged<ItemFields>, score: Float) {
        self.item = ItemReference(item)
        self.score = score
    }

    enum CodingKeys: String, CodingKey { case id, score, title, genres }

    package func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try fields.encode(into: &c, id: .id, title: .title, genres: .genres)
        try c.encode(score, forKey: .score)
    }
}

/// A value in a response's `query` echo: text, or a number kept a number.
package enum QueryValue: Encodable, Sendable, Equatable, ExpressibleByStringLiteral {
    case text(String)
    case int(Int)

    package init(stringLiteral value: String) { self = .text(value) }

    package func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .text(s): try c.encode(s)
        case let .int(i): try c.encode(i)
        }
    }
}

package struct RecallJSON: Encodable {
    package let query: [String: QueryValue]
    package let method: String
    package let candidates: Int
    package let probes: Int
    package let note: String?
    package let timings: [String: Double]
    package let results: [RecallHitJSON]
    /// Keeps the results' items alive.
    package let owner: ItemFieldList.Owner
    /// The search's counts per phase (buckets probed, rows gathered, kept by the filter, re-scored).
    package var statistics = Statistics()

    package struct Statistics: Encodable, Sendable {
        package var probes = 0, gathered = 0, filtered = 0, rescored = 0
    }

    enum CodingKeys: String, CodingKey { case query, method, candidates, probes, note, timings, results, statistics }
}

extension RecallJSON {
    /// The one JSON shape of a recall answer, for the command line and the
    /// service (which passes its per-snapshot cache of item fields).
    package init(_ snapshot: RecallSnapshot, _ result: SearchResult, query: [String: QueryValue], timings: [String: Double], cache: ItemFieldCache? = nil) {
        let rows = result.hits.map(\.row)
        let fields = cache?.fields(snapshot, rows: rows) ?? ItemFieldList(owning: ItemFields.lookup(snapshot, rows: rows))
        self.init(query: query, method: result.method.rawValue, candidates: result.candidates, probes: result.probes, note: result.note,
                  timings: timings, results: zip(fields.items, result.hits).map { RecallHitJSON(item: $0, score: $1.score) }, owner: fields.owner)
        let s = result.statistics
        statistics = Statistics(probes: s.probes, gathered: s.gathered, filtered: s.filtered, rescored: s.rescored)
    }
}
