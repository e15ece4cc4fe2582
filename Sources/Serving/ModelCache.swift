import EmbedStore
import Foundation
import Ranker
import Recall

/// Loaded ranker models shared across store snapshots. A model instance (and
/// the per-item first-layer parts it has cached) is reused while every stored
/// model record is unchanged: feature rows are written only by `train`, which
/// always writes a model record too, so an unchanged set of records means
/// unchanged feature rows. A commit elsewhere (an import, an upsert) thus does
/// not make the next request rank against a cold cache.
package final class ModelCache: @unchecked Sendable {
    private let lock = AdaptiveLock()
    private var stamp = ""
    private var loaded: [String: RankerModel] = [:]

    /// `name`, or the most recently trained model when nil, as of `txn`.
    package func model(_ name: String?, in txn: Transaction) throws -> RankerModel? {
        let records = try RankerModel.list(txn).map { try RankerModel.record(txn, name: $0) }
        let pick: ModelRecord?
        if let name {
            guard let r = records.first(where: { $0.name == name }) else { throw RankerError.unknownModel(name) }
            pick = r
        } else {
            pick = records.max { $0.createdAt < $1.createdAt }
        }
        guard let pick else { return nil }
        let current = records.map { "\($0.name)@\($0.createdAt.timeIntervalSince1970)/\($0.dataFingerprint)" }.joined(separator: ",")
        lock.lock()
        if current != stamp { stamp = current; loaded = [:] }
        if let m = loaded[pick.name] { lock.unlock(); return m }
        lock.unlock()
        let m = try RankerModel.load(txn, name: pick.name)
        lock.lock(); defer { lock.unlock() }
        if stamp == current { loaded[pick.name] = m }
        return m
    }
}
