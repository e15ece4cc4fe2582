/// The file formats embedding tables are imported from and exported to.
public enum VectorFormat: String, CaseIterable, Sendable {
    /// SparrowRecSys text: `id:v1 v2 ... vD`.
    case sparrow
    /// word2vec text: an `N D` header, then `id v1 ... vD` per line.
    case word2vec
    /// word2vec binary as gensim's `save_word2vec_format(binary=True)` writes it.
    case word2vecBinary = "word2vec-bin"
    /// CSV: `id,v1,...,vD` or `id,"v1 v2 ... vD"`; an optional header line.
    case csv
    /// JSON Lines: `{"id": "...", "vector": [...]}` per line.
    case jsonl
    /// NumPy `.npy`, 2-D little-endian float32; ids from a sidecar `.ids` file or row numbers.
    case npy
    /// `.fvecs`: per vector an int32 dimension then float32s; ids are row numbers.
    case fvecs

    /// Whether records are decimal text (parsing is most of an import's work).
    public var isText: Bool {
        switch self {
        case .sparrow, .word2vec, .csv, .jsonl: return true
        case .word2vecBinary, .npy, .fvecs: return false
        }
    }

    /// The format implied by a file name's extension, if unambiguous.
    public static func fromExtension(_ path: String) -> VectorFormat? {
        let lower = path.lowercased()
        if lower.hasSuffix(".fvecs") { return .fvecs }
        if lower.hasSuffix(".npy") { return .npy }
        if lower.hasSuffix(".bin") { return .word2vecBinary }
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") { return .jsonl }
        return nil
    }

    /// The format of an export destination: extension (`.csv`, `.vec`,
    /// `.w2v` too), else SparrowRecSys text.
    public static func forOutput(_ path: String?) -> VectorFormat {
        guard let path else { return .sparrow }
        if let f = fromExtension(path) { return f }
        let lower = path.lowercased()
        if lower.hasSuffix(".vec") || lower.hasSuffix(".w2v") { return .word2vec }
        if lower.hasSuffix(".csv") { return .csv }
        return .sparrow
    }

    /// What a file that looks like a vector file but is not one is, and what
    /// to do instead: for the first bytes of an `.npz` archive or a JSON
    /// array, which would otherwise get a misleading parse error.
    public static func misleadingFileReason(head: [UInt8]) -> String? {
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            return "this is a zip archive (an .npz?): save one array as .npy, e.g. np.save('v.npy', np.load('f.npz')['arr_0'].astype(np.float32))"
        }
        if let first = head.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }), first == UInt8(ascii: "[") {
            return #"this is a JSON array: write JSON Lines instead, one {"id": "...", "vector": [...]} object per line (--format jsonl)"#
        }
        return nil
    }

    /// Detects an input's format from its extension, then its first bytes.
    public static func detect(path: String, head: [UInt8]) -> VectorFormat? {
        if head.starts(with: [0x93] + Array("NUMPY".utf8)) { return .npy }
        if let f = fromExtension(path) { return f }
        var lines = head.split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.count > 1 && head.last != 0x0A { lines.removeLast() } // possibly cut short
        guard let firstLineIndex = lines.firstIndex(where: { !$0.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D } }) else { return nil }
        var firstLine = lines[firstLineIndex]
        if firstLine.last == 0x0D { firstLine = firstLine.dropLast() }
        guard let first = firstLine.first else { return nil }
        if first == UInt8(ascii: "{") { return .jsonl }
        let text = String(decoding: firstLine, as: UTF8.self)
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        if parts.count == 2, parts.allSatisfy({ $0.allSatisfy(\.isASCII) && Int($0) != nil }) {
            // A word2vec header: binary when what follows is not text.
            let rest = head[(firstLine.endIndex + 1)...]
            let binary = rest.contains { $0 < 0x09 || ($0 > 0x0D && $0 < 0x20) || $0 == 0x7F }
            return binary ? .word2vecBinary : .word2vec
        }
        if let colon = text.lastIndex(of: ":"),
           case let numbers = text[text.index(after: colon)...].split(separator: " "), !numbers.isEmpty,
           numbers.allSatisfy({ Float($0) != nil }) {
            return .sparrow
        }
        if text.contains(",") { return .csv }
        if parts.count >= 2, parts.dropFirst().allSatisfy({ Float($0) != nil }) { return .word2vec }
        return nil
    }
}

/// Reads vectors one record at a time, reusing the caller's buffers.
protocol VectorReader: AnyObject {
    /// Reads the next record into `id` and `vector`; false at end of input.
    func next(id: inout [UInt8], vector: inout [Float]) throws -> Bool
    /// Where the last record came from: `line N` or `record N`, for messages.
    var location: String { get }
    /// The underlying byte stream.
    var input: ByteReader { get }
    /// Input bytes behind the records read so far (for progress).
    var bytesRead: Int { get }
}

extension VectorReader {
    var bytesRead: Int { input.offset }
}

/// Writes vectors in one format.
protocol VectorWriter: AnyObject {
    /// Called once before any vector.
    func begin(count: Int, dimension: Int) throws
    /// Appends one vector.
    func write(id: UnsafeRawBufferPointer, vector: UnsafeBufferPointer<Float>) throws
    /// Called once after the last vector.
    func finish() throws
}

extension VectorReader {
    func fail(_ reason: String) -> StoreError {
        StoreError.badInput(file: input.path, location: location, reason: reason)
    }
}
