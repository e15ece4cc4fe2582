import Foundation

/// Checks a JSON value (as `JSONSerialization` gives it) against a JSON
/// Schema as the API document writes them: `$ref` to `#/components/schemas`,
/// `type` (one or a list), `properties`, `required`, `additionalProperties`
/// (false or a schema), `items`, `enum`, `const`, `minItems`/`maxItems`,
/// `minimum`/`maximum`. Other keywords (`format`, `description`, `default`)
/// are not checked. Returns every violation with its JSON path.
public struct JSONSchemaValidator {
    public let document: [String: Any]

    public init(document: [String: Any]) { self.document = document }

    public func violations(of value: Any, against schema: [String: Any], at path: String = "$") -> [String] {
        if let ref = schema["$ref"] as? String {
            guard let target = resolve(ref) else { return ["\(path): unresolvable $ref \(ref)"] }
            return violations(of: value, against: target, at: path)
        }
        var out: [String] = []
        if let types = (schema["type"] as? String).map({ [$0] }) ?? schema["type"] as? [String],
           !types.contains(where: { Self.has(value, type: $0) }) {
            return ["\(path): \(Self.describe(value)) is not \(types.joined(separator: " or "))"]
        }
        if let allowed = schema["enum"] as? [Any], !allowed.contains(where: { Self.equal($0, value) }) {
            out.append("\(path): \(Self.describe(value)) is not one of \(allowed)")
        }
        if let c = schema["const"], !Self.equal(c, value) { out.append("\(path): \(Self.describe(value)) is not \(c)") }
        if let n = Self.number(value) {
            if let lo = schema["minimum"] as? Double, n < lo { out.append("\(path): \(n) < minimum \(lo)") }
            if let hi = schema["maximum"] as? Double, n > hi { out.append("\(path): \(n) > maximum \(hi)") }
        }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil { out.append("\(path): missing required '\(key)'") }
            for (key, v) in object.sorted(by: { $0.key < $1.key }) {
                if let p = properties[key] as? [String: Any] {
                    out += violations(of: v, against: p, at: "\(path).\(key)")
                } else if let extra = schema["additionalProperties"] as? [String: Any] {
                    out += violations(of: v, against: extra, at: "\(path).\(key)")
                } else if (schema["additionalProperties"] as? Bool) == false {
                    out.append("\(path): unexpected key '\(key)'")
                }
            }
        }
        if let array = value as? [Any] {
            if let min = schema["minItems"] as? Int, array.count < min { out.append("\(path): \(array.count) items < minItems \(min)") }
            if let max = schema["maxItems"] as? Int, array.count > max { out.append("\(path): \(array.count) items > maxItems \(max)") }
            if let items = schema["items"] as? [String: Any] {
                for (i, v) in array.enumerated() { out += violations(of: v, against: items, at: "\(path)[\(i)]") }
            }
        }
        return out
    }

    private func resolve(_ ref: String) -> [String: Any]? {
        guard ref.hasPrefix("#/") else { return nil }
        var node: Any = document
        for part in ref.dropFirst(2).split(separator: "/") {
            guard let next = (node as? [String: Any])?[String(part)] else { return nil }
            node = next
        }
        return node as? [String: Any]
    }

    /// JSONSerialization gives booleans as a boolean NSNumber subclass ("NSCFBoolean"); `is Bool` also holds for the numbers 0 and 1.
    static func isBool(_ v: Any) -> Bool { String(describing: type(of: v)).contains("Boolean") }
    static func number(_ v: Any) -> Double? { isBool(v) ? nil : (v as? NSNumber)?.doubleValue }

    static func has(_ v: Any, type: String) -> Bool {
        switch type {
        case "object": return v is [String: Any]
        case "array": return v is [Any]
        case "string": return v is String
        case "boolean": return isBool(v)
        case "null": return v is NSNull
        case "number": return number(v) != nil
        case "integer": return number(v).map { $0 == $0.rounded() } ?? false
        default: return false
        }
    }

    static func equal(_ a: Any, _ b: Any) -> Bool {
        if let x = a as? String, let y = b as? String { return x == y }
        if let x = number(a), let y = number(b) { return x == y }
        return false
    }

    static func describe(_ v: Any) -> String {
        if v is String { return "string \"\(v)\"" }
        if isBool(v) { return "boolean" }
        if number(v) != nil { return "number \(v)" }
        if v is [Any] { return "array" }
        if v is [String: Any] { return "object" }
        return "null"
    }
}
