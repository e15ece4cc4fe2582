import EmbedStore

/// A small JSON writer for the service's hot responses: Foundation's
/// JSONEncoder took half of a recall request's CPU time (measured with perf
/// under wrk); writing bytes directly takes a few microseconds. It owns a
/// plain growable buffer: `Array.append(contentsOf:)` cost about 90
/// instructions per call, and a response makes hundreds of small appends
/// (measured with callgrind).
package struct JSONWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    package private(set) var count = 0

    package init(capacity: Int = 8192) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The bytes written so far, valid until the writer is next changed or ends.
    package var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    @inline(__always)
    package mutating func append(_ p: UnsafeBufferPointer<UInt8>) {
        guard let source = p.baseAddress, p.count > 0 else { return }
        if count + p.count > capacity { grow(to: count + p.count) }
        (base + count).initialize(from: source, count: p.count)
        count += p.count
    }

    @inline(__always)
    package mutating func append(_ byte: UInt8) {
        if count == capacity { grow(to: count + 1) }
        base[count] = byte
        count += 1
    }

    private mutating func grow(to needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.initialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = newCapacity
    }

    package mutating func raw(_ s: StaticString) {
        append(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }
    package mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            if utf8.allSatisfy(JSONText.isPlain) {
                append(UInt8(ascii: "\""))
                append(utf8)
                append(UInt8(ascii: "\""))
            } else {
                var escaped: [UInt8] = []
                JSONText.appendString(UnsafeRawBufferPointer(utf8), to: &escaped)
                escaped.withUnsafeBufferPointer { append($0) }
            }
        }
    }
    package mutating func key(_ k: StaticString) {
        if count > 0, base[count - 1] != UInt8(ascii: "{") && base[count - 1] != UInt8(ascii: "[") { append(UInt8(ascii: ",")) }
        append(UInt8(ascii: "\""))
        raw(k)
        raw("\":")
    }
    /// Shortest round-tripping decimal, as `description` spells it, written
    /// without building a String (`write(to:)` hands its ASCII buffer over).
    package mutating func number(_ x: Double) {
        if x.isFinite { withUnsafeMutablePointer(to: &self) { var sink = Sink(writer: $0); x.write(to: &sink) } } else { raw("null") }
    }
    package mutating func number(_ x: Float) {
        if x.isFinite { withUnsafeMutablePointer(to: &self) { var sink = Sink(writer: $0); x.write(to: &sink) } } else { raw("null") }
    }

    /// A `TextOutputStream` over the writer, for the standard library's
    /// number formatting: floats arrive through `_writeASCII` as the bytes
    /// `description` would hold; anything else through `write(_:)`.
    private struct Sink: TextOutputStream {
        let writer: UnsafeMutablePointer<JSONWriter>
        mutating func write(_ string: String) { var s = string; s.withUTF8 { writer.pointee.append($0) } }
        mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) { writer.pointee.append(buffer) }
    }
    package mutating func number(_ x: Int) { var s = String(x); s.withUTF8 { append($0) } }
    package mutating func optionalString(_ s: String?) { if let s { string(s) } else { raw("null") } }
    package mutating func strings(_ a: [String]) {
        raw("[")
        for (i, s) in a.enumerated() { if i > 0 { raw(",") }; string(s) }
        raw("]")
    }
    /// The fields every result item carries: genres, id, title (rendered
    /// once per snapshot) around its scores, which the caller writes
    /// between `beginItem` and `endItem`, each as `,"name":` and a number
    /// (the head always holds the id, so no `key` check is needed: `key`
    /// cost about 150 instructions a call, a tenth of a k=100 recall's JSON).
    package mutating func beginItem(_ fields: RenderedFields) {
        append(UInt8(ascii: "{"))
        append(fields.head)
    }
    package mutating func endItem(_ fields: RenderedFields) {
        append(fields.tail)
        append(UInt8(ascii: "}"))
    }

    package mutating func object(_ d: [String: QueryValue]) {
        raw("{")
        for (i, k) in d.keys.sorted().enumerated() {
            if i > 0 { raw(",") }
            string(k); raw(":")
            switch d[k]! {
            case let .text(s): string(s)
            case let .int(n): number(n)
            }
        }
        raw("}")
    }
    package mutating func numbers(_ d: [String: Double]) {
        raw("{")
        for (i, k) in d.keys.sorted().enumerated() { if i > 0 { raw(",") }; string(k); raw(":"); number(d[k]!) }
        raw("}")
    }
}

/// A response the service writes with `JSONWriter`.
package protocol JSONWritable {
    /// About how many bytes `write` produces, so the buffer is sized once.
    var estimatedBytes: Int { get }
    func write(to w: inout JSONWriter)
}

extension RecallJSON: JSONWritable {
    package var estimatedBytes: Int { 512 + 128 * results.count }

    package func write(to w: inout JSONWriter) {
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
            w.beginItem(results[i].rendered)
            w.raw(",\"score\":"); w.number(results[i].score)  // after the head: the comma is always due
            w.endItem(results[i].rendered)
        }
        w.raw("]")
        w.key("statistics")
        w.raw("{\"filtered\":"); w.number(statistics.filtered)
        w.raw(",\"gathered\":"); w.number(statistics.gathered)
        w.raw(",\"probes\":"); w.number(statistics.probes)
        w.raw(",\"rescored\":"); w.number(statistics.rescored)
        w.raw("}")
        w.key("timings"); w.numbers(timings)
        w.raw("}")
    }
}

extension RecommendResponse: JSONWritable {
    package var estimatedBytes: Int { 512 + 160 * results.count }

    package func write(to w: inout JSONWriter) {
        w.raw("{")
        w.key("candidates_examined"); w.number(candidatesExamined)
        w.key("candidates_recalled"); w.number(candidatesRecalled)
        w.key("candidates_requested"); w.number(candidatesRequested)
        w.key("from"); w.string(from)
        if let model { w.key("model"); w.string(model) }
        if let note { w.key("note"); w.string(note) }
        if let ranking { w.key("ranking"); w.string(ranking) }
        w.key("recall_method"); w.string(recallMethod)
        w.key("results")
        w.raw("[")
        for (i, r) in results.enumerated() {
            if i > 0 { w.raw(",") }
            w.beginItem(r.rendered)
            if let s = r.rankScore { w.raw(",\"rank_score\":"); w.number(s) }
            w.raw(",\"recall_score\":"); w.number(r.recallScore)
            if let sources = r.sources { w.raw(",\"sources\":"); w.strings(sources.map(\.rawValue)) }
            w.endItem(r.rendered)
        }
        w.raw("]")
        if let sources { w.key("sources"); w.strings(sources) }
        w.key("timings"); w.numbers(["model_load_ms": timings.modelLoadMs, "rank_ms": timings.rankMs, "recall_ms": timings.recallMs, "total_ms": timings.totalMs, "user_vector_ms": timings.userVectorMs])
        w.key("user"); w.string(user)
        w.raw("}")
    }
}
