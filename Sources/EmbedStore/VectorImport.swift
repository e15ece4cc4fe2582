import Foundation

/// Progress of a long import or export: rows done, bytes done, total bytes (0 if unknown).
public typealias ProgressHandler = (_ rows: Int, _ bytes: Int, _ totalBytes: Int) -> Void

/// Options for `Store.importVectors`.
public struct ImportOptions: Sendable {
    /// The file format; detected from extension and content when nil.
    public var format: VectorFormat?
    /// The kind recorded on the table.
    public var kind: TableKind
    /// What to do with a repeated id.
    public var onDuplicate: DuplicatePolicy
    /// For `.npy`: a file with one id per line; defaults to the sidecar `NAME.ids` if present.
    public var idsPath: String?

    public init(format: VectorFormat? = nil, kind: TableKind = .pretrained, onDuplicate: DuplicatePolicy = .error, idsPath: String? = nil) {
        self.format = format
        self.kind = kind
        self.onDuplicate = onDuplicate
        self.idsPath = idsPath
    }
}

/// What an import did.
public struct ImportSummary: Sendable {
    /// The table after the import.
    public let info: TableInfo
    /// The format read.
    public let format: VectorFormat
    /// Vectors read from the file.
    public let records: Int
    /// Duplicate ids whose last vector was kept.
    public let replaced: Int
    /// What was converted on the way in (float64 to float32), if anything.
    public var note: String? = nil
}

extension Store {
    /// Imports a file as a new version of `table` in one transaction: the new
    /// version becomes current when it commits, and any error (reported with
    /// file, line or record, and reason) leaves the store exactly as it was.
    public func importVectors(from path: String, table: String, options: ImportOptions = ImportOptions(), progress: ProgressHandler? = nil) throws -> ImportSummary {
        // a directory is a Spark job's output: its part files, in order
        let files = try PartFiles.inputs(path)
        return try write { txn in
            try txn.requireSoundStructure()
            try TableName.requireOutsideKind(options.kind)
            let builder = try TableBuilder(txn: txn, name: table, kind: options.kind, source: URL(fileURLWithPath: path).lastPathComponent, onDuplicate: options.onDuplicate)
            let totalBytes = files.reduce(0) { $0 + PartFiles.size(of: $1) }
            var doneBytes = 0
            var id: [UInt8] = []
            var vector: [Float] = []
            var records = 0
            var note: String?
            // the first file's format, unless given, holds for every part
            var format = options.format
            for file in files {
                let input = try ByteReader(path: file)
                if format != .npy, let reason = VectorFormat.misleadingFileReason(head: try input.peek(16)) {
                    throw StoreError.badInput(file: file, location: "", reason: reason)
                }
                let fileFormat = try format ?? Store.detectFormat(input)
                format = fileFormat
                var reader = try Store.reader(for: fileFormat, input: input, idsPath: options.idsPath, maxID: maxKeySize)
                note = note ?? (reader as? NPYReader)?.conversionNote
                // text is parsed on a second thread while this one writes the table
                let prefetching = fileFormat.isText ? PrefetchingVectorReader(reader) : nil
                defer { prefetching?.close() }
                if let prefetching { reader = prefetching }
                while try reader.next(id: &id, vector: &vector) {
                    records += 1
                    do {
                        try id.withUnsafeBytes { i in try vector.withUnsafeBufferPointer { try builder.append(id: i, vector: $0) } }
                    } catch StoreError.invalidArgument(let reason, _) {
                        throw StoreError.badInput(file: file, location: reader.location, reason: reason)
                    }
                    if records & 0x3FFF == 0 { progress?(records, doneBytes + reader.bytesRead, totalBytes) }
                }
                doneBytes += input.size
            }
            if records == 0 { throw StoreError.badInput(file: path, location: "", reason: "no vectors in the file (empty file?)") }
            progress?(records, doneBytes, totalBytes)
            let info = try builder.finish()
            return ImportSummary(info: info, format: format!, records: records, replaced: builder.replaced, note: note)
        }
    }

    /// The format of `input` told from its name and first bytes, or an error saying why not.
    static func detectFormat(_ input: ByteReader) throws -> VectorFormat {
        let path = input.path
        let head = try input.peek(4096)
        if let f = VectorFormat.detect(path: path, head: head) { return f }
        if head.isEmpty { throw StoreError.badInput(file: path, location: "", reason: "empty file") }
        if head.count < 4096 && head.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw StoreError.badInput(file: path, location: "", reason: "no vectors in the file (only blank lines)")
        }
        throw StoreError.badInput(file: path, location: "1", reason: "cannot tell the format; pass --format (\(VectorFormat.allCases.map(\.rawValue).joined(separator: ", ")))")
    }

    static func reader(for format: VectorFormat, input: ByteReader, idsPath: String?, maxID: Int) throws -> VectorReader {
        switch format {
        case .sparrow: return try TextVectorReader(input: input, flavor: .sparrow)
        case .word2vec: return try TextVectorReader(input: input, flavor: .word2vec)
        case .csv: return try TextVectorReader(input: input, flavor: .csv)
        case .jsonl: return JSONLinesReader(input: input)
        case .fvecs: return FvecsReader(input: input)
        case .word2vecBinary: return try Word2VecBinaryReader(input: input, maxID: maxID)
        case .npy:
            var ids = idsPath
            if ids == nil, input.path != "-" {
                let sidecar = Store.sidecarIDsPath(input.path)
                if FileManager.default.fileExists(atPath: sidecar) { ids = sidecar }
            }
            return try NPYReader(input: input, idsPath: ids)
        }
    }

    /// `vectors.npy` -> `vectors.ids`: one id per line, beside an `.npy` file.
    public static func sidecarIDsPath(_ npyPath: String) -> String {
        (npyPath.lowercased().hasSuffix(".npy") ? String(npyPath.dropLast(4)) : npyPath) + ".ids"
    }

    /// Writes the current version of `table` to `path` (`-` for standard
    /// output) in row order. Files appear whole or not at all. Returns the row count.
    @discardableResult
    public func exportVectors(table: String, to path: String, format: VectorFormat, progress: ProgressHandler? = nil) throws -> Int {
        try read { txn in
            // The checks below walk id keys with a cursor: LMDB's pages first, so
            // a damaged page is an error here, not an assertion inside LMDB.
            try txn.requireSoundStructure()
            let t = try txn.table(table)
            // An export reads every block anyway: checking them first costs
            // little beside the formatting and keeps damage out of the copy.
            let check = try txn.verify(t.info, t.version, role: "current")
            if let first = check.damage.first {
                throw StoreError.damaged(path: self.path, reason: "table '\(table)' version \(t.version.version): \(first)\(check.damage.count > 1 ? " (and \(check.damage.count - 1) more)" : ""); `recsys store verify` lists all")
            }
            let out = try ByteWriter(path: path)
            let writer: VectorWriter
            switch format {
            case .sparrow: writer = TextVectorWriter(out: out, flavor: .sparrow)
            case .word2vec: writer = TextVectorWriter(out: out, flavor: .word2vec)
            case .csv: writer = TextVectorWriter(out: out, flavor: .csv)
            case .jsonl: writer = JSONLinesWriter(out: out)
            case .fvecs: writer = FvecsWriter(out: out)
            case .word2vecBinary: writer = Word2VecBinaryWriter(out: out)
            case .npy:
                guard path != "-" else { throw StoreError.invalidArgument("npy export needs a file (-o FILE.npy): its ids go to a sidecar file") }
                writer = try NPYWriter(out: out, idsPath: Store.sidecarIDsPath(path))
            }
            try writer.begin(count: t.count, dimension: t.dimension)
            let d = t.dimension
            var rows = 0
            let accessor = try t.rowAccessor()
            try t.forEachID { row, id in
                try writer.write(id: id, vector: UnsafeBufferPointer(start: accessor.row(row), count: d))
                rows += 1
                if rows & 0x3FFF == 0 { progress?(rows, out.written, 0) }
            }
            try writer.finish()
            try out.commit()
            progress?(rows, out.written, 0)
            return rows
        }
    }
}

extension Store {
    /// Reads a whole (small) vector file into memory, in any import format:
    /// query sets, candidate lists. Bad input is reported as on import.
    public static func readVectors(from path: String, format: VectorFormat? = nil, maxID: Int = 511) throws -> [(id: String, vector: [Float])] {
        let input = try ByteReader(path: path)
        let head = try input.peek(4096)
        guard let f = format ?? VectorFormat.detect(path: path, head: head) else {
            throw StoreError.badInput(file: path, location: head.isEmpty ? "" : "1", reason: head.isEmpty ? "empty file" : "cannot tell the format; pass --format")
        }
        let reader = try reader(for: f, input: input, idsPath: nil, maxID: maxID)
        var out: [(String, [Float])] = []
        var id: [UInt8] = [], v: [Float] = []
        while try reader.next(id: &id, vector: &v) {
            do {
                try v.withUnsafeBufferPointer(validateFinite)
            } catch StoreError.invalidArgument(let reason, _) {
                throw StoreError.badInput(file: path, location: reader.location, reason: reason)
            }
            out.append((String(decoding: id, as: UTF8.self), v))
        }
        return out
    }
}
