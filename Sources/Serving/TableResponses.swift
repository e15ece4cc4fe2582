import EmbedStore
import Foundation

/// A date as ISO 8601 text, as tables and models report their creation time.
package func iso(_ d: Date) -> String {
    ISO8601DateFormatter().string(from: d)
}

package struct VectorJSON: Encodable {
    package let id: String
    package let title: String?
    package let vector: [Float]

    package init(id: String, title: String?, vector: [Float]) {
        self.id = id
        self.title = title
        self.vector = vector
    }
}

package struct TableJSON: Encodable {
    package let name, kind, source, created: String
    package let dimension, rows, version: Int
    package let previousVersion: Int?
    package let changesSinceImport: Int

    package init(_ i: TableInfo) {
        name = i.name; kind = i.kind.rawValue; source = i.current.source; created = iso(i.current.createdAt)
        dimension = i.dimension; rows = i.count; version = Int(i.version); previousVersion = i.previous.map { Int($0.version) }
        changesSinceImport = Int(i.current.generation)
    }
}
