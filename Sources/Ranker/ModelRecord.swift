import EmbedStore
import Foundation

/// A trained model as stored: spec, weights, statistics, metrics, provenance.
public struct ModelRecord: Codable, Sendable {
    public var name: String
    public var spec: FeatureSpec
    public var options: TrainingOptions
    public var numericShift: [Float]
    public var numericScale: [Float]
    public var layerShapes: [[Int]]
    public var tableShapes: [[Int]]
    public var metrics: [String: Metrics]
    public var dataFingerprint: String
    public var trainingRows: Int
    public var createdAt: Date
}

extension EmbeddingMLP {
    /// Serialises: a length-prefixed JSON record, then every float (tables, then layers).
    func encode(record: ModelRecord) throws -> [UInt8] {
        let json = try JSONEncoder().encode(record)
        var out = [UInt8]()
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { out += $0 }
        out += json
        for t in tables { t.withUnsafeBytes { out += $0 } }
        for l in layers { l.weights.withUnsafeBytes { out += $0 }; l.bias.withUnsafeBytes { out += $0 } }
        return out
    }

    /// The record at the head of `encode`'s bytes, and where the weights start.
    static func decodeRecord(_ raw: UnsafeRawBufferPointer) throws -> (ModelRecord, Int) {
        guard raw.count >= 4 else { throw RankerError.badSpec("stored model is damaged") }
        let n = Int(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
        guard raw.count >= 4 + n else { throw RankerError.badSpec("stored model is damaged") }
        return (try JSONDecoder().decode(ModelRecord.self, from: Data(raw[4..<(4 + n)])), 4 + n)
    }

    /// Rebuilds a model from `encode`'s bytes.
    static func decode(_ raw: UnsafeRawBufferPointer) throws -> (EmbeddingMLP, ModelRecord) {
        let (record, weightsStart) = try decodeRecord(raw)
        let model = try EmbeddingMLP(spec: record.spec, seed: 0, randomize: false)
        var off = weightsStart
        func take(_ count: Int) throws -> [Float] {
            guard off + count * 4 <= raw.count else { throw RankerError.badSpec("stored model is damaged (short weights)") }
            var a = [Float](repeating: 0, count: count)
            a.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[off..<(off + count * 4)])) }
            off += count * 4
            return a
        }
        for k in 0..<model.tables.count { model.tables[k] = try take(model.tables[k].count) }
        for l in 0..<model.layers.count {
            model.layers[l].weights = try take(model.layers[l].weights.count)
            model.layers[l].bias = try take(model.layers[l].bias.count)
        }
        model.numericShift = record.numericShift
        model.numericScale = record.numericScale
        return (model, record)
    }
}
