import Foundation

/// `.fvecs`: per vector a little-endian int32 dimension, then that many float32s.
/// Ids are 0-based row numbers.
final class FvecsReader: VectorReader {
    let input: ByteReader
    private var record = 0
    var location: String { "record \(record)" }

    init(input: ByteReader) { self.input = input }

    func next(id: inout [UInt8], vector: inout [Float]) throws -> Bool {
        guard let head = try input.read(exactly: 4, what: "the dimension of record \(record + 1)") else { return false }
        record += 1
        let d = Int(head.loadUnaligned(as: Int32.self))
        if d <= 0 || d > 1 << 20 { throw fail("wrong header: dimension field is \(d) (not an .fvecs file?)") }
        guard let body = try input.read(exactly: d * 4, what: "record \(record) (\(d) floats)") else {
            throw fail("truncated: the file ends inside record \(record)")
        }
        id.removeAll(keepingCapacity: true)
        id.appendDecimal(record - 1)
        vector.removeAll(keepingCapacity: true)
        vector.appendFloats(body, count: d)
        return true
    }
}

final class FvecsWriter: VectorWriter {
    let out: ByteWriter
    private var row = 0
    init(out: ByteWriter) { self.out = out }
    func begin(count: Int, dimension: Int) throws {}
    func write(id: UnsafeRawBufferPointer, vector: UnsafeBufferPointer<Float>) throws {
        guard id.elementsEqual(String(row).utf8) else {
            throw StoreError.invalidArgument(".fvecs carries no ids and this table's ids are not the row numbers 0, 1, 2, ... (row \(row) has id '\(String(decoding: id, as: UTF8.self))'): export as npy, word2vec-bin or a text format")
        }
        row += 1
        withUnsafeBytes(of: Int32(vector.count).littleEndian) { out.buffer.append(contentsOf: $0) }
        out.buffer.append(contentsOf: UnsafeRawBufferPointer(vector))
        try out.flushIfFull()
    }
    func finish() throws {}
}

/// word2vec binary: a text `N D\n` header, then per vector the id, a space and
/// D little-endian float32s (gensim writes no newline after them; the original
/// C tool does; both read).
final class Word2VecBinaryReader: VectorReader {
    let input: ByteReader
    private var count = 0
    private var dimension = 0
    private var record = 0
    let maxID: Int
    var location: String { "record \(record)" }

    init(input: ByteReader, maxID: Int) throws {
        self.input = input
        self.maxID = maxID
        guard let line = try input.nextLine() else {
            throw StoreError.badInput(file: input.path, location: "", reason: "empty file")
        }
        let parts = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard parts.count == 2, let n = Int(parts[0]), let d = Int(parts[1]), n >= 0, d > 0, d <= 1 << 20 else {
            throw StoreError.badInput(file: input.path, location: "1", reason: "wrong header: expected 'COUNT DIMENSION' as word2vec binary starts")
        }
        count = n
        dimension = d
    }

    func next(id: inout [UInt8], vector: inout [Float]) throws -> Bool {
        while let b = try input.peekByte(), b == 0x0A || b == 0x0D {
            _ = try input.read(exactly: 1, what: "a separator")
        }
        if record == count {
            if try input.peekByte() != nil { throw fail("data after the header's \(count) vectors") }
            return false
        }
        record += 1
        guard let name = try input.read(until: 0x20, limit: maxID + 64, what: "the id of record \(record)") else {
            throw fail("truncated: the header says \(count) vectors, the file has \(record - 1)")
        }
        // A key holding a space (which gensim also refuses) or a header whose
        // dimension is not the file's shifts every later record: the next
        // "id" then starts inside float bytes, which are rarely text.
        if name.contains(where: { $0 < 0x20 }) || String(validating: name, as: UTF8.self) == nil {
            throw fail("the id of record \(record) is not text: the records are misaligned (a key holding a space, or a header dimension (\(dimension)) that is not the file's)")
        }
        id.removeAll(keepingCapacity: true)
        id.append(contentsOf: name)
        guard let body = try input.read(exactly: dimension * 4, what: "the vector of record \(record)") else {
            throw fail("truncated: the file ends before the vector of record \(record)")
        }
        vector.removeAll(keepingCapacity: true)
        vector.appendFloats(body, count: dimension)
        return true
    }
}

/// word2vec keys end at the first space or tab, so an id holding one cannot
/// be written in either word2vec format and read back.
func requireWord2VecKey(_ id: UnsafeRawBufferPointer) throws {
    if id.contains(where: { $0 == 0x20 || $0 == 0x09 }) {
        throw StoreError.invalidArgument("id '\(String(decoding: id, as: UTF8.self))' contains a space or tab, which word2vec formats cannot carry: export as jsonl, csv or npy")
    }
}

final class Word2VecBinaryWriter: VectorWriter {
    let out: ByteWriter
    init(out: ByteWriter) { self.out = out }
    func begin(count: Int, dimension: Int) throws {
        out.buffer.append(contentsOf: Array("\(count) \(dimension)\n".utf8))
    }
    func write(id: UnsafeRawBufferPointer, vector: UnsafeBufferPointer<Float>) throws {
        try requireWord2VecKey(id)
        out.buffer.append(contentsOf: id)
        out.buffer.append(0x20)
        out.buffer.append(contentsOf: UnsafeRawBufferPointer(vector))
        try out.flushIfFull()
    }
    func finish() throws {}
}

/// NumPy `.npy` version 1-3 holding a C-order 2-D float array: float32 is
/// read as is, float64 (numpy's default) and big-endian arrays are converted
/// to little-endian float32 row by row, and `conversionNote` says so.
final class NPYReader: VectorReader {
    let input: ByteReader
    private var ids: ByteReader?
    private var rows = 0
    private var dimension = 0
    private var record = 0
    private var element = NPYHeader.ElementType.float32(bigEndian: false)
    var location: String { "record \(record)" }
    /// Set when the values were converted on the way in.
    private(set) var conversionNote: String?

    init(input: ByteReader, idsPath: String?) throws {
        self.input = input
        func bad(_ reason: String) -> StoreError { StoreError.badInput(file: input.path, location: "", reason: reason) }
        guard let magic = try input.read(exactly: 8, what: "the .npy magic") else { throw bad("empty file") }
        guard magic.starts(with: [0x93] + Array("NUMPY".utf8)) else {
            throw bad(VectorFormat.misleadingFileReason(head: Array(magic)) ?? "wrong magic: not a .npy file")
        }
        let major = magic[6]
        let headerLength: Int
        if major == 1 {
            guard let h = try input.read(exactly: 2, what: "the .npy header length") else { throw bad("truncated header") }
            headerLength = Int(UInt16(littleEndian: h.loadUnaligned(as: UInt16.self)))
        } else if major == 2 || major == 3 {
            guard let h = try input.read(exactly: 4, what: "the .npy header length") else { throw bad("truncated header") }
            headerLength = Int(UInt32(littleEndian: h.loadUnaligned(as: UInt32.self)))
        } else {
            throw bad("unsupported .npy version \(major)")
        }
        guard headerLength < 1 << 20, let h = try input.read(exactly: headerLength, what: "the .npy header") else { throw bad("truncated header") }
        let header: NPYHeader
        do { header = try NPYHeader.parse(String(decoding: h, as: UTF8.self)) } catch { throw bad(error.reason) }
        guard !header.fortranOrder else { throw bad("Fortran-order arrays are not supported; save with np.save(path, np.ascontiguousarray(arr))") }
        guard header.shape.count == 2, header.shape[1] > 0, header.shape[1] <= 1 << 20 else {
            throw bad("expected a 2-D array (rows, dimension) with 1 to \(1 << 20) columns, the shape is (\(header.shape.map(String.init).joined(separator: ", ")))")
        }
        rows = header.shape[0]
        dimension = header.shape[1]
        element = header.element
        switch element {
        case .float32(bigEndian: false): break
        case .float32(bigEndian: true): conversionNote = "converted big-endian float32 to little-endian"
        case .float64: conversionNote = "converted float64 to float32 (values rounded to the nearest float32)"
        }
        if let idsPath { ids = try ByteReader(path: idsPath) }
    }

    func next(id: inout [UInt8], vector: inout [Float]) throws -> Bool {
        if record == rows {
            if try input.peekByte() != nil { throw fail("data after the \(rows) rows the header declares") }
            if let ids, try ids.nextLine() != nil {
                var count = ids.lineNumber
                while try ids.nextLine() != nil { count = ids.lineNumber }
                throw StoreError.badInput(file: ids.path, location: "", reason: "the ids file has \(count) ids for \(rows) rows (one id per row)")
            }
            return false
        }
        record += 1
        guard let body = try input.read(exactly: dimension * element.byteCount, what: "row \(record - 1)") else {
            throw fail("truncated: the header declares \(rows) rows, the file has \(record - 1)")
        }
        vector.removeAll(keepingCapacity: true)
        switch element {
        case .float32(bigEndian: false):
            vector.appendFloats(body, count: dimension)
        case .float32(bigEndian: true):
            for j in 0..<dimension { vector.append(Float(bitPattern: UInt32(bigEndian: body.loadUnaligned(fromByteOffset: 4 * j, as: UInt32.self)))) }
        case .float64(let bigEndian):
            for j in 0..<dimension {
                let bits = body.loadUnaligned(fromByteOffset: 8 * j, as: UInt64.self)
                vector.append(Float(Double(bitPattern: bigEndian ? UInt64(bigEndian: bits) : UInt64(littleEndian: bits))))
            }
        }
        id.removeAll(keepingCapacity: true)
        if let ids {
            guard let line = try ids.nextLine() else {
                throw StoreError.badInput(file: ids.path, location: "\(ids.lineNumber + 1)",
                                          reason: "the ids file has \(record - 1) ids for \(rows) rows (one id per row)")
            }
            id.append(contentsOf: line)
        } else {
            id.append(contentsOf: String(record - 1).utf8)
        }
        return true
    }
}

final class NPYWriter: VectorWriter {
    let out: ByteWriter
    let ids: ByteWriter?

    init(out: ByteWriter, idsPath: String?) throws {
        self.out = out
        self.ids = try idsPath.map { try ByteWriter(path: $0) }
    }

    func begin(count: Int, dimension: Int) throws {
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(count), \(dimension)), }"
        let total = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        out.buffer.append(contentsOf: [0x93] + Array("NUMPY".utf8) + [1, 0])
        withUnsafeBytes(of: UInt16(dict.utf8.count).littleEndian) { out.buffer.append(contentsOf: $0) }
        out.buffer.append(contentsOf: Array(dict.utf8))
    }

    func write(id: UnsafeRawBufferPointer, vector: UnsafeBufferPointer<Float>) throws {
        if let ids {
            ids.buffer.append(contentsOf: id)
            ids.buffer.append(0x0A)
            try ids.flushIfFull()
        }
        out.buffer.append(contentsOf: UnsafeRawBufferPointer(vector))
        try out.flushIfFull()
    }

    func finish() throws {
        try ids?.commit()
    }
}

extension Array where Element == Float {
    /// Appends `count` little-endian float32s copied from possibly unaligned bytes.
    mutating func appendFloats(_ raw: UnsafeRawBufferPointer, count: Int) {
        precondition(raw.count >= count * 4)
        if Int(bitPattern: raw.baseAddress) % MemoryLayout<Float>.alignment == 0 {
            UnsafeRawBufferPointer(rebasing: raw[..<(count * 4)]).withMemoryRebound(to: Float.self) { append(contentsOf: $0) }
            return
        }
        let old = self.count
        append(contentsOf: repeatElement(0, count: count))
        withUnsafeMutableBytes { dst in (dst.baseAddress! + old * 4).copyMemory(from: raw.baseAddress!, byteCount: count * 4) }
    }
}

extension Array where Element == UInt8 {
    /// Appends the decimal digits of `n` (no String in between).
    mutating func appendDecimal(_ n: Int) {
        precondition(n >= 0)
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 24 digits
        Swift.withUnsafeMutableBytes(of: &digits) { buffer in
            var v = n, i = buffer.count
            repeat {
                i -= 1
                buffer[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            } while v > 0
            append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[i...]))
        }
    }
}
