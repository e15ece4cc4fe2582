import EmbedStore
import Foundation

/// `/healthz`: up, and which snapshot it serves (a load balancer's check; an
/// operator watching a rollout sees the id change replica by replica).
package struct HealthJSON: Encodable {
    package let status = "ok"
    /// The served snapshot's manifest id; nil for a store that is not a snapshot.
    package let snapshot: String?

    package init(_ served: ServingState.ServedStore) { snapshot = served.manifest?.id }
}

/// `/v1/status`: the store served, where it comes from, and its tables.
package struct StatusJSON: Encodable {
    /// The build serving (`recsys --version`).
    package let version = BuildInfo.version
    package let build = BuildInfo.configuration
    /// The path the service was started on (`--store`).
    package let store: String
    /// Whether `store` is a published link the service follows.
    package let following: Bool
    /// The directory served now, links resolved.
    package let serving: String
    package let readOnly: Bool
    package let openedAt: Date
    /// Snapshots switched to since start.
    package let switches: Int
    /// The served snapshot's manifest; nil for a store that is not a snapshot.
    package let snapshot: SnapshotManifest?
    /// The tables as the served store holds them now.
    package let tables: [TableJSON]

    package init(_ state: ServingState) throws {
        let served = state.servedStore
        store = state.link ?? served.store.path
        following = state.link != nil
        serving = served.directory
        readOnly = served.store.isReadOnly
        openedAt = served.openedAt
        switches = state.switches
        snapshot = served.manifest
        tables = try served.store.read { try $0.tables() }.map(TableJSON.init)
    }
}
