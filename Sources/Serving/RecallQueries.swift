import EmbedStore
import Recall

/// Recall by user and by item: the one implementation behind `recsys recall
/// user|item` and `GET /v1/recall/user|item/{id}`.
extension ServingView {
    /// Nearest items to a user's vector (stored, the mean of a history, or
    /// given); the user's known history is excluded unless `includeSeen`.
    /// Timings: `lookup_ms` (snapshot and user vector), `search_ms`.
    package func recallUser(_ request: UserQueryRequest, table: String, options: SearchOptions, includeSeen: Bool = false) throws -> RecallAnswer {
        let clock = ContinuousClock(), t0 = clock.now
        let snapshot = try self.snapshot(table)
        let query = try request.resolve(snapshot)
        var options = options
        if !includeSeen { options.excludedRows.formUnion(query.seenRows) }
        let t1 = clock.now
        let result = try snapshot.search(query.vector, options: options)
        let t2 = clock.now
        return RecallAnswer(snapshot: snapshot, result: result,
                            response: RecallJSON(snapshot, result, query: ["table": .text(table), "user": .text(request.user ?? ""), "from": .text(query.source), "k": .int(options.k)],
                                                 timings: ["lookup_ms": (t1 - t0).milliseconds, "search_ms": (t2 - t1).milliseconds], cache: itemFields(table)))
    }

    /// Items most similar to item `id` (the item itself left out).
    package func recallItem(_ id: String, table: String, options: SearchOptions) throws -> RecallAnswer {
        let clock = ContinuousClock(), t0 = clock.now
        let snapshot = try self.snapshot(table)
        guard let row = snapshot.row(of: id) else { throw StoreError.unknownID(table: table, id: id) }
        var options = options
        options.excludedRows.insert(row)
        let t1 = clock.now
        let result = try snapshot.search(snapshot.vector(ofRow: row), options: options)
        let t2 = clock.now
        return RecallAnswer(snapshot: snapshot, result: result,
                            response: RecallJSON(snapshot, result, query: ["table": .text(table), "item": .text(id), "k": .int(options.k)],
                                                 timings: ["lookup_ms": (t1 - t0).milliseconds, "search_ms": (t2 - t1).milliseconds], cache: itemFields(table)))
    }

    /// Items nearest to a given vector (one from an upstream model, say),
    /// `exclude` ids left out (ids the table lacks are ignored).
    package func recallVector(_ vector: [Float], table: String, options: SearchOptions, exclude: [String] = []) throws -> RecallAnswer {
        let clock = ContinuousClock(), t0 = clock.now
        let snapshot = try self.snapshot(table)
        guard !vector.isEmpty else { throw ServingError.invalidParameter(name: "vector", rule: "must not be empty") }
        guard vector.count == snapshot.table.dimension else {
            throw ServingError.invalidParameter(name: "vector", rule: "has \(vector.count) components, table '\(table)' has dimension \(snapshot.table.dimension)")
        }
        if let bad = vector.firstIndex(where: { !$0.isFinite }) {
            throw ServingError.invalidParameter(name: "vector", rule: "component \(bad) is not a finite number")
        }
        var options = options
        for id in exclude { if let row = snapshot.row(of: id) { options.excludedRows.insert(row) } }
        let t1 = clock.now
        let result = try snapshot.search(vector, options: options)
        let t2 = clock.now
        return RecallAnswer(snapshot: snapshot, result: result,
                            response: RecallJSON(snapshot, result, query: ["table": .text(table), "vector_dimension": .int(vector.count), "k": .int(options.k)],
                                                 timings: ["lookup_ms": (t1 - t0).milliseconds, "search_ms": (t2 - t1).milliseconds], cache: itemFields(table)))
    }
}

/// A recall answer: the response and what it was computed from.
package struct RecallAnswer {
    package let snapshot: RecallSnapshot
    package let result: SearchResult
    package let response: RecallJSON
}
