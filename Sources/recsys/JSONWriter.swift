import EmbedStore

/// A small JSON writer for the service's hot responses: Foundation's
/// JSONEncoder took half of a recall request's CPU time (measured with perf
/// under wrk); writing bytes directly takes a few microseconds.
struct JSONWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 8192) { bytes.reserveCapacity(capacity) }

    mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
    mutating func string(_ s: String) {
        JSONText.appendString(s, to: &bytes)
    }
    mutating func key(_ k: StaticString) {
        if let last = bytes.last, last != UInt8(ascii: "{") && last != UInt8(ascii: "[") { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        raw(k)
        raw("\":")
    }
    mutating func number(_ x: Double) {
        if x.isFinite { var s = x.description; s.withUTF8 { bytes.append(contentsOf: $0) } } else { raw("null") }
    }
    mutating func number(_ x: Float) {
        if x.isFinite { var s = x.description; s.withUTF8 { bytes.append(contentsOf: $0) } } else { raw("null") }
    }
    mutating func number(_ x: Int) { var s = String(x); s.withUTF8 { bytes.append(contentsOf: $0) } }
    mutating func optionalString(_ s: String?) { if let s { string(s) } else { raw("null") } }
    mutating func strings(_ a: [String]) {
        raw("[")
        for (i, s) in a.enumerated() { if i > 0 { raw(",") }; string(s) }
        raw("]")
    }
    /// Writes `items` as an array of objects, `body` writing each object's fields.
    mutating func objects<T>(_ items: [T], _ body: (inout JSONWriter, T) -> Void) {
        raw("[")
        for (i, item) in items.enumerated() {
            if i > 0 { raw(",") }
            raw("{")
            body(&self, item)
            raw("}")
        }
        raw("]")
    }

    /// The fields every result item carries: genres, id, title (rendered
    /// once per snapshot) around its scores.
    mutating func item(_ fields: RenderedFields, scores: (inout JSONWriter) -> Void) {
        bytes.append(contentsOf: fields.head)
        scores(&self)
        bytes.append(contentsOf: fields.tail)
    }

    mutating func object(_ d: [String: String]) {
        raw("{")
        for (i, k) in d.keys.sorted().enumerated() { if i > 0 { raw(",") }; string(k); raw(":"); string(d[k]!) }
        raw("}")
    }
    mutating func numbers(_ d: [String: Double]) {
        raw("{")
        for (i, k) in d.keys.sorted().enumerated() { if i > 0 { raw(",") }; string(k); raw(":"); number(d[k]!) }
        raw("}")
    }
}

/// A response the service writes with `JSONWriter`.
protocol JSONWritable {
    /// About how many bytes `write` produces, so the buffer is sized once.
    var estimatedBytes: Int { get }
    func write(to w: inout JSONWriter)
}

extension RecallJSON: JSONWritable {
    var estimatedBytes: Int { 512 + 128 * results.count }

    func write(to w: inout JSONWriter) {
        w.raw("{")
        w.key("candidates"); w.number(candidates)
        w.key("method"); w.string(method)
        if let note { w.key("note"); w.string(note) }
        w.key("probes"); w.number(probes)
        w.key("query"); w.object(query)
        w.key("results")
        w.raw("[")
        for i in results.indices {
            if i > 0 { w.raw(",") }
            w.raw("{")
            let score = results[i].score
            w.item(results[i].rendered) { w in w.key("score"); w.number(score) }
            w.raw("}")
        }
        w.raw("]")
        w.key("timings"); w.numbers(timings)
        w.raw("}")
    }
}

extension RecommendResponse: JSONWritable {
    var estimatedBytes: Int { 512 + 160 * results.count }

    func write(to w: inout JSONWriter) {
        w.raw("{")
        w.key("candidates_examined"); w.number(candidatesExamined)
        w.key("candidates_recalled"); w.number(candidatesRecalled)
        w.key("candidates_requested"); w.number(candidatesRequested)
        w.key("from"); w.string(from)
        if let model { w.key("model"); w.string(model) }
        if let note { w.key("note"); w.string(note) }
        w.key("recall_method"); w.string(recallMethod)
        w.key("results")
        w.objects(results) { w, r in
            w.item(r.rendered) { w in
                if let s = r.rankScore { w.key("rank_score"); w.number(s) }
                w.key("recall_score"); w.number(r.recallScore)
            }
        }
        w.key("timings"); w.numbers(["model_load_ms": timings.modelLoadMs, "rank_ms": timings.rankMs, "recall_ms": timings.recallMs, "total_ms": timings.totalMs, "user_vector_ms": timings.userVectorMs])
        w.key("user"); w.string(user)
        w.raw("}")
    }
}
