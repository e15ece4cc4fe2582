import EmbedStore
import Foundation
import Ranker
import Recall

/// An item as every response and `recsys items get --json` show it: genres
/// a list, the other imported columns (but id, title, genres) under `fields`.
package struct ItemJSON: Encodable {
    package let id: String
    package let title: String?
    package let genres: [String]
    package let fields: [String: String]

    package init(_ item: Item) {
        id = item.id
        title = item.title
        genres = item.genres
        fields = item.fields.filter { $0.key != "title" && $0.key != "genres" }
    }
}

/// `GET /v1/items`: matches of a title search, best first.
package struct ItemSearchJSON: Encodable {
    package let query: String
    package let genre: String?
    package let total: Int
    package let results: [ItemJSON]

    package init(query: String, genre: String?, total: Int, results: [ItemJSON]) {
        self.query = query
        self.genre = genre
        self.total = total
        self.results = results
    }
}

/// `GET /v1/genres`.
package struct GenreCountJSON: Encodable {
    package let genre: String
    package let items: Int

    package init(genre: String, items: Int) {
        self.genre = genre
        self.items = items
    }
}

/// `GET /v1/users/{id}`: what the store knows about a user.
package struct UserJSON: Encodable {
    package let id: String
    /// Oldest first, as imported; items the catalogue lacks keep their id only.
    package let history: [HistoryItemJSON]
    /// Stored ranker features exist for the user.
    package let hasFeatures: Bool
    /// User tables holding a vector for the user.
    package let embeddingTables: [String]
}

package struct HistoryItemJSON: Encodable {
    package let id: String
    package let title: String?
    package let genres: [String]?
}

/// `GET /v1/models`: one stored ranking model.
package struct ModelJSON: Encodable {
    package let name: String
    package let created: String
    package let trainingRows: Int
    package let metrics: [String: Metrics]
}

/// `GET /v1/tables/{table}/index`: the index in use and the latest recorded `recall eval` sweep.
package struct IndexStateJSON: Encodable {
    package let table: String
    package let tableVersion: Int
    /// nil: the table has no index (queries scan exactly).
    package let index: IndexInfo?
    /// Why queries scan instead of using the index, when they do.
    package let note: String?
    package let evaluations: RecordedEvaluations?
}

extension ServingView {
    /// The catalogue index of this snapshot, built on first use and shared
    /// with later snapshots while no items import has committed (building it
    /// reads every item: about a second for 100k, which every embedding write
    /// would otherwise cost the next search).
    package func catalog() throws -> ItemCatalogIndex {
        try cached("catalog") { try catalogs.catalog(store) }
    }

    /// What the store knows about `user`; 404 (`notFound`) when nothing.
    package func user(_ id: String) throws -> UserJSON {
        try store.read { txn in
            let history = try txn.history(of: id)
            let hasFeatures = try txn.featureRow(.user, id) != nil
            let tables = try txn.tables().filter { $0.kind == .user }.filter { try txn.table($0.name).row(of: id) != nil }.map(\.name)
            guard !history.isEmpty || hasFeatures || !tables.isEmpty else {
                throw StoreError.notFound("unknown user '\(id)': no history, features or user vector")
            }
            let columns = try txn.itemColumns()
            let items = try history.map { try txn.item($0, columns: columns) }
            return UserJSON(id: id, history: zip(history, items).map { HistoryItemJSON(id: $0, title: $1?.title, genres: $1?.genres) },
                            hasFeatures: hasFeatures, embeddingTables: tables)
        }
    }

    /// The stored models, newest first.
    package func modelList() throws -> [ModelJSON] {
        try store.read { txn in
            try RankerModel.list(txn).map { try RankerModel.record(txn, name: $0) }.sorted { $0.createdAt > $1.createdAt }
                .map { ModelJSON(name: $0.name, created: iso($0.createdAt), trainingRows: $0.trainingRows, metrics: $0.metrics) }
        }
    }

    /// The index state of `table` with its recorded evaluation sweep.
    package func indexState(_ table: String) throws -> IndexStateJSON {
        let snapshot = try self.snapshot(table)
        let recorded = try store.read { try RecordedEvaluations.load($0, table: table) }
        return IndexStateJSON(table: table, tableVersion: Int(snapshot.table.info.version), index: snapshot.indexInfo,
                              note: snapshot.staleNote, evaluations: recorded)
    }
}
