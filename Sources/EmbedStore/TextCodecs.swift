/// Line-oriented text formats: SparrowRecSys (`id:v1 v2 ...`), word2vec text
/// (`N D` header then `id v1 ...`) and CSV.
final class TextVectorReader: VectorReader {
    enum Flavor { case sparrow, word2vec, csv }
    let input: ByteReader
    let flavor: Flavor
    private var header: (count: Int, dimension: Int)?
    private var records = 0
    private var fields: [TextScan.Field] = []
    var location: String { "\(input.lineNumber)" }

    init(input: ByteReader, flavor: Flavor) throws {
        self.input = input
        self.flavor = flavor
        if flavor == .word2vec {
            guard let line = try input.nextLine() else { return }
            let parts = String(decoding: line, as: UTF8.self).split(separator: " ")
            guard parts.count == 2, let n = Int(parts[0]), let d = Int(parts[1]), n >= 0, d > 0 else {
                throw StoreError.badInput(file: input.path, location: "1", reason: "wrong header: expected 'COUNT DIMENSION' as word2vec text starts")
            }
            header = (n, d)
        }
    }

    func next(id: inout [UInt8], vector: inout [Float]) throws -> Bool {
        while let line = try input.nextLine() {
            guard let base = line.baseAddress else { continue }
            if line.allSatisfy({ TextScan.isSpace($0) }) { continue }
            id.removeAll(keepingCapacity: true)
            vector.removeAll(keepingCapacity: true)
            let end = UnsafePointer(base + line.count)
            switch flavor {
            case .sparrow:
                // The last ':' splits: numbers never contain one, ids may.
                var colon = line.count - 1
                while colon >= 0 && line[colon] != UInt8(ascii: ":") { colon -= 1 }
                if colon < 0 { throw fail("expected 'id:v1 v2 ...' (no ':' on the line)") }
                id.append(contentsOf: UnsafeBufferPointer(start: base, count: colon))
                if let reason = TextScan.floats(base + colon + 1, end, isSeparator: TextScan.isSpace, into: &vector) { throw fail(reason) }
            case .word2vec:
                var p = 0
                while p < line.count && !TextScan.isSpace(line[p]) { p += 1 }
                id.append(contentsOf: UnsafeBufferPointer(start: base, count: p))
                if let reason = TextScan.floats(base + p, end, isSeparator: TextScan.isSpace, into: &vector) { throw fail(reason) }
                if let h = header, vector.count != h.dimension {
                    throw fail("vector has \(vector.count) components, the header says \(h.dimension)")
                }
            case .csv:
                if let reason = TextScan.csvFields(UnsafeBufferPointer(line), into: &fields) { throw fail(reason) }
                if fields.count < 2 { throw fail("expected 'id,v1,...,vD' or 'id,\"v1 v2 ... vD\"'") }
                id.append(contentsOf: fields[0].bytes)
                let vectorColumn = fields.count == 2 && fields[1].quoted
                var failure: String?
                if vectorColumn {
                    failure = TextScan.floats(fields[1].start, fields[1].end, isSeparator: TextScan.isSpace, into: &vector)
                } else {
                    for f in fields.dropFirst() where failure == nil {
                        let before = vector.count
                        failure = TextScan.floats(f.start, f.end, isSeparator: TextScan.isSpace, into: &vector)
                        if failure == nil && vector.count != before + 1 {
                            failure = vector.count == before ? "empty number field" : "several numbers in one field"
                        }
                    }
                }
                if let failure {
                    if input.lineNumber == 1 && records == 0 { continue } // a header line
                    throw fail(failure)
                }
            }
            records += 1
            if let h = header, records > h.count { throw fail("more vectors than the header's \(h.count)") }
            return true
        }
        if let h = header, records != h.count {
            throw StoreError.badInput(file: input.path, location: location, reason: "truncated: the header says \(h.count) vectors, the file has \(records)")
        }
        return false
    }
}

/// Writes the line-oriented text formats with shortest round-tripping decimals.
final class TextVectorWriter: VectorWriter {
    let out: ByteWriter
    let flavor: TextVectorReader.Flavor

    init(out: ByteWriter, flavor: TextVectorReader.Flavor) {
        self.out = out
        self.flavor = flavor
    }

    func begin(count: Int, dimension: Int) throws {
        switch flavor {
        case .word2vec: out.buffer.append(contentsOf: Array("\(count) \(dimension)\n".utf8))
        case .csv: out.buffer.append(contentsOf: Array(("id," + (0..<dimension).map { "v\($0)" }.joined(separator: ",") + "\n").utf8))
        case .sparrow: break
        }
    }

    func write(id: UnsafeRawBufferPointer, vector: UnsafeBufferPointer<Float>) throws {
        switch flavor {
        case .sparrow:
            out.buffer.append(contentsOf: id)
            out.buffer.append(UInt8(ascii: ":"))
        case .word2vec:
            try requireWord2VecKey(id)
            out.buffer.append(contentsOf: id)
            out.buffer.append(UInt8(ascii: " "))
        case .csv:
            let needsQuotes = id.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
            if needsQuotes {
                out.buffer.append(0x22)
                for b in id { if b == 0x22 { out.buffer.append(0x22) }; out.buffer.append(b) }
                out.buffer.append(0x22)
            } else {
                out.buffer.append(contentsOf: id)
            }
            out.buffer.append(UInt8(ascii: ","))
        }
        let separator = flavor == .csv ? UInt8(ascii: ",") : UInt8(ascii: " ")
        for (i, x) in vector.enumerated() {
            if i > 0 { out.buffer.append(separator) }
            TextScan.appendFloat(x, to: &out.buffer)
        }
        out.buffer.append(0x0A)
        try out.flushIfFull()
    }

    func finish() throws {}
}
