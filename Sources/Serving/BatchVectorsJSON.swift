/// The body of `POST /v1/embeddings/{table}/batch-get`: the vectors found,
/// in request order, and the ids the table lacks (not an error).
package struct BatchVectorsJSON: JSONWritable {
    package let table: String
    package let dimension: Int
    package let found: [(id: String, vector: UnsafeBufferPointer<Float>)]
    package let unknown: [String]

    package init(table: String, dimension: Int, found: [(id: String, vector: UnsafeBufferPointer<Float>)], unknown: [String]) {
        self.table = table
        self.dimension = dimension
        self.found = found
        self.unknown = unknown
    }

    package var estimatedBytes: Int { 96 + found.count * (32 + dimension * 12) + unknown.count * 24 }

    package func write(to w: inout JSONWriter) {
        w.raw("{")
        w.key("table"); w.string(table)
        w.key("dimension"); w.number(dimension)
        w.key("vectors"); w.raw("[")
        for (i, entry) in found.enumerated() {
            w.raw(i == 0 ? "{" : ",{")
            w.key("id"); w.string(entry.id)
            w.key("vector"); w.raw("[")
            for (j, x) in entry.vector.enumerated() {
                if j > 0 { w.raw(",") }
                w.number(x)
            }
            w.raw("]}")
        }
        w.raw("]")
        w.key("unknown"); w.strings(unknown)
        w.raw("}")
    }
}
