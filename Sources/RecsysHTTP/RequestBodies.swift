import Foundation
import Serving

/// `POST /v1/recall`: the nearest items to any vector.
package struct VectorRecallBody: Decodable {
    package let table: String?
    package let vector: [Float]
    package let k: Int?
    /// Column -> value, every pair must hold (`{"genre": "Comedy"}`).
    package let `where`: [String: String]?
    package let exclude: [JSONID]?

    package static let shape = #"{"table": "item2vec", "vector": [...], "k": 10, "where": {"genre": "Comedy"}, "exclude": ["1"]}"#
}

/// `POST /v1/embeddings/{table}/batch-get`.
package struct BatchGetBody: Decodable {
    package let ids: [JSONID]

    package static let shape = #"{"ids": ["1", "2", ...]}"#
}

/// Decodes a route's JSON body, or says which field is wrong and the shape expected.
package func decodeBody<T: Decodable>(_ type: T.Type, from data: Data, shape: String) throws -> T {
    func field(_ path: [CodingKey]) -> String {
        let text = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return text.hasPrefix(".") ? String(text.dropFirst()) : text
    }
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let DecodingError.keyNotFound(key, _) {
        throw HTTPRequestError.invalidBody("field '\(key.stringValue)' is missing; the body is \(shape)")
    } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
        throw HTTPRequestError.invalidBody("field '\(field(context.codingPath))' has the wrong type (\(context.debugDescription)); the body is \(shape)")
    } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
        throw HTTPRequestError.invalidBody("field '\(field(context.codingPath))' is invalid (\(context.debugDescription)); the body is \(shape)")
    } catch {
        throw HTTPRequestError.invalidBody("body must be JSON: \(shape)")
    }
}
