import EmbedStore
import Foundation

/// Feature rows: the latest raw values of a user's or an item's columns.
extension Transaction {
    static func featureKey(_ entity: FeatureEntity, _ id: String) -> String { "\(entity.rawValue)\u{1}\(id)" }

    /// The stored feature row of a user or item, or nil.
    public func featureRow(_ entity: FeatureEntity, _ id: String) throws -> [String: String]? {
        guard id.utf8.count < 400, let raw = try blob(.features, Transaction.featureKey(entity, id)) else { return nil }
        // column 0x1E value, pairs separated by 0x1F: split on bytes (ASCII
        // control codes never occur inside UTF-8 sequences), not on Characters
        var out: [String: String] = [:]
        var start = 0
        func pair(_ end: Int) {
            guard let mark = raw[start..<end].firstIndex(of: 0x1E) else { return }
            out[String(decoding: UnsafeRawBufferPointer(rebasing: raw[start..<mark]), as: UTF8.self)] =
                String(decoding: UnsafeRawBufferPointer(rebasing: raw[(mark + 1)..<end]), as: UTF8.self)
        }
        for i in 0..<raw.count where raw[i] == 0x1F { pair(i); start = i + 1 }
        pair(raw.count)
        return out
    }

    func putFeatureRow(_ entity: FeatureEntity, _ id: String, _ values: [(String, String)]) throws {
        let text = values.map { "\($0.0)\u{1E}\($0.1)" }.joined(separator: "\u{1F}")
        try Array(text.utf8).withUnsafeBytes { try putBlob(.features, Transaction.featureKey(entity, id), $0) }
    }
}
