import EmbedStore
import Foundation

/// The JSON bodies the routes take, read with `JSONObjectReader` (a
/// microsecond a body where JSONDecoder took 16 us: a fifth of a vector
/// recall's CPU). Ids may be strings or numbers, as a JavaScript client
/// sends them; `null` is the same as an absent field.

/// `POST /v1/recall`: the nearest items to any vector.
package struct VectorRecallBody {
    package var table: String?
    package var vector: [Float] = []
    package var k: Int?
    /// Column -> value, every pair must hold (`{"genre": "Comedy"}`).
    package var `where`: [String: String]?
    package var exclude: [String]?

    package static let shape = #"{"table": "item2vec", "vector": [...], "k": 10, "where": {"genre": "Comedy"}, "exclude": ["1"]}"#

    package init(_ data: Data) throws {
        try readBody(data, shape: Self.shape, required: ["vector"]) { key, v in
            switch key {
            case "table": table = try v.string()
            case "vector": vector = try v.floats()
            case "k": k = try v.int()
            case "where": self.where = try v.stringMap()
            case "exclude": exclude = try v.ids()
            default: break
            }
        }
    }
}

/// `POST /v1/embeddings/{table}/batch-get`.
package struct BatchGetBody {
    package var ids: [String] = []
    package static let shape = #"{"ids": ["1", "2", ...]}"#

    package init(_ data: Data) throws {
        try readBody(data, shape: Self.shape, required: ["ids"]) { key, v in
            if key == "ids" { ids = try v.ids() }
        }
    }
}

/// `POST /v1/rank`.
package struct RankBody {
    package var model: String?
    package var user = ""
    package var items: [String] = []
    package static let shape = #"{"model": "...", "user": "...", "items": ["...", ...]}"#

    package init(_ data: Data) throws {
        try readBody(data, shape: Self.shape, required: ["user", "items"]) { key, v in
            switch key {
            case "model": model = try v.string()
            case "user": user = try v.id()
            case "items": items = try v.ids()
            default: break
            }
        }
    }
}

/// `PUT /v1/embeddings/{table}/{id}`.
package struct UpsertBody {
    package var vector: [Float] = []
    package static let shape = #"{"vector": [0.1, 0.2, ...]}"#

    package init(_ data: Data) throws {
        try readBody(data, shape: Self.shape, required: ["vector"]) { key, v in
            if key == "vector" { vector = try v.floats() }
        }
    }
}

/// `POST /v1/embeddings/{table}`.
package struct BatchUpsertBody {
    package var items: [(id: String, vector: [Float])] = []
    package static let shape = #"{"items": [{"id": "1", "vector": [...]}, ...]}"#

    package init(_ data: Data) throws {
        try readBody(data, shape: Self.shape, required: ["items"]) { key, v in
            guard key == "items" else { return }
            try v.array { i, item in
                var id: String?, vector: [Float]?
                try item.object { name, value in
                    switch name {
                    case "id": id = try value.id()
                    case "vector": vector = try value.floats()
                    default: break
                    }
                }
                guard let id else { throw JSONFieldError(path: "items[\(i)].id", problem: "is missing", wrongType: false) }
                guard let vector else { throw JSONFieldError(path: "items[\(i)].vector", problem: "is missing", wrongType: false) }
                items.append((id, vector))
            }
        }
    }
}

/// Reads a body's fields with `field` (null values skipped), checks the
/// `required` keys arrived, and turns a reader error into a 400 that names
/// the field and shows the shape expected.
private func readBody(_ data: Data, shape: String, required: [String], _ field: (String, inout JSONValueCursor) throws -> Void) throws {
    var seen = Set<String>()
    do {
        try data.withUnsafeBytes { bytes in
            try JSONObjectReader.fields(of: bytes) { key, value in
                if value.readNull() { return }
                try field(key, &value)
                seen.insert(key)
            }
        }
    } catch let e as JSONFieldError {
        if e.path.isEmpty { throw HTTPRequestError.invalidBody("body must be JSON (\(e.problem)): \(shape)") }
        if e.problem == "is missing" { throw HTTPRequestError.invalidBody("field '\(e.path)' is missing; the body is \(shape)") }
        let what = e.wrongType ? "has the wrong type" : "is invalid"
        throw HTTPRequestError.invalidBody("field '\(e.path)' \(what) (\(e.problem)); the body is \(shape)")
    }
    if let missing = required.first(where: { !seen.contains($0) }) {
        throw HTTPRequestError.invalidBody("field '\(missing)' is missing; the body is \(shape)")
    }
}
