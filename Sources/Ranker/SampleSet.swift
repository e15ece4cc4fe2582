import EmbedStore
import Foundation

/// Labelled rows read from a CSV, encoded for the model: per row a bag of
/// table rows per categorical feature (empty: a zero vector; a single-valued
/// feature holds at most one) and one raw value per numeric column (NaN:
/// missing). Raw strings of the entity columns are kept for the stored
/// feature rows.
public struct SampleSet: Sendable {
    public let spec: FeatureSpec
    /// Rows.
    public internal(set) var count = 0
    /// Bags in row-major order: bag `i = r * spec.categorical.count + j` is
    /// `bagValues[bagStart(i)..<bagEnd[i]]` (see `bag(_:_:)`).
    var bagEnd: [Int32] = []
    var bagValues: [Int32] = []
    /// `count * spec.numeric.count` raw values.
    var numeric: [Float] = []
    /// 0 or 1.
    public internal(set) var labels: [Float] = []
    /// User and item id per row.
    public private(set) var users: [String] = []
    public private(set) var items: [String] = []
    /// Per row, its position in time (timestamp column if any, else file order).
    var times: [Double] = []
    /// Raw text of every spec column (and history columns), per row, for feature rows.
    var raw: [[String]] = []
    /// Columns in `raw`.
    public private(set) var rawColumns: [String] = []
    /// Categorical values outside their vocabulary or bucket range (mapped to a zero vector).
    public private(set) var unknownValues = 0

    init(spec: FeatureSpec) { self.spec = spec }

    /// The positions in `bagValues` of row `r`'s bag for categorical feature `j`.
    @inline(__always)
    func bag(_ r: Int, _ j: Int) -> Range<Int> {
        let i = r * spec.categorical.count + j
        return (i == 0 ? 0 : Int(bagEnd[i - 1]))..<Int(bagEnd[i])
    }

    /// Ends the bag being appended to `bagValues`.
    @inline(__always)
    mutating func closeBag() { bagEnd.append(Int32(truncatingIfNeeded: bagValues.count)) }

    /// Appends one row's categorical values: per feature the fields of its
    /// source columns, encoded by `encoders`.
    mutating func appendBags(_ encoders: [CategoryEncoder], fields: (_ feature: Int, _ column: Int) -> String) {
        for (j, e) in encoders.enumerated() {
            unknownValues += e.encode(fields: spec.categorical[j].sourceColumns.count, { fields(j, $0) }, into: &bagValues)
            closeBag()
        }
    }

    /// Reads `path` (CSV with a header; empty fields are missing values), or
    /// the part files of a Spark output directory (`PartFiles`), each with
    /// the same header. Errors name the file, the line and the reason;
    /// nothing is kept on error.
    public static func load(_ path: String, spec: FeatureSpec) throws -> SampleSet {
        try spec.validate()
        var set = SampleSet(spec: spec)
        var layout: Layout?
        for file in try PartFiles.inputs(path) {
            let input = try ByteReader(path: file)
            guard let headerLine = try input.nextLine() else { throw RankerError.badSamples(file: file, line: 0, reason: "empty file") }
            let header = try TextScan.csvStrings(UnsafeBufferPointer(headerLine), file: file, line: 1)
            let l: Layout
            if let layout {
                guard header == layout.header else {
                    throw RankerError.badSamples(file: file, line: 1, reason: "its header differs from the first part file's: every part must have the same columns")
                }
                l = layout
            } else {
                l = try Layout(header: header, spec: spec, file: file)
                set.rawColumns = l.rawColumns
                layout = l
            }
            try set.append(input, l, file: file)
        }
        if set.count == 0 { throw RankerError.badSamples(file: path, line: 0, reason: "no rows after the header") }
        return set
    }

    /// Where the spec's columns are in a samples file's header.
    struct Layout {
        let header: [String]
        let label: Int, user: Int, item: Int
        let categorical: [[Int]], numeric: [Int], rawIndices: [Int]
        let time: Int?
        let rawColumns: [String]
        let encoders: [CategoryEncoder]

        init(header: [String], spec: FeatureSpec, file: String) throws {
            self.header = header
            var index: [String: Int] = [:]
            for (i, h) in header.enumerated() { index[h] = i }
            func column(_ name: String) throws -> Int {
                guard let i = index[name] else { throw RankerError.badSamples(file: file, line: 1, reason: "no column '\(name)' in the header (the spec needs it)") }
                return i
            }
            label = try column(spec.label)
            user = try column(spec.userID)
            item = try column(spec.itemID)
            categorical = try spec.categorical.map { try $0.sourceColumns.map(column) }
            numeric = try spec.numeric.map { try column($0.name) }
            time = index["timestamp"]
            rawColumns = Array(Set(spec.categorical.flatMap(\.sourceColumns) + spec.numeric.map(\.name) + spec.history.filter { index[$0] != nil })).sorted()
            rawIndices = try rawColumns.map { try column($0) }
            encoders = spec.categorical.map(CategoryEncoder.init)
        }
    }

    /// Appends the rows of `input`, whose header has been read.
    mutating func append(_ input: ByteReader, _ l: Layout, file: String) throws {
        while let line = try input.nextLine() {
            if line.isEmpty { continue }
            let n = input.lineNumber
            let f: [String]
            do { f = try TextScan.csvStrings(UnsafeBufferPointer(line), file: file, line: n) } catch let e as StoreError { throw RankerError.badSamples(file: file, line: n, reason: "\(e)".components(separatedBy: ": ").last ?? "bad CSV") }
            guard f.count == l.header.count else { throw RankerError.badSamples(file: file, line: n, reason: "\(f.count) fields, the header has \(l.header.count)") }
            guard let y = Double(f[l.label]), y == 0 || y == 1 else {
                throw RankerError.badSamples(file: file, line: n, reason: "label '\(f[l.label])' in column '\(spec.label)' is not 0 or 1")
            }
            if f[l.user].isEmpty || f[l.item].isEmpty { throw RankerError.badSamples(file: file, line: n, reason: "empty \(f[l.user].isEmpty ? spec.userID : spec.itemID)") }
            guard bagValues.count < Int(Int32.max) - 1 << 20 else {
                throw RankerError.badSamples(file: file, line: n, reason: "more than 2^31 categorical values in one sample set")
            }
            appendBags(l.encoders) { j, k in f[l.categorical[j][k]] }
            for (c, i) in l.numeric.enumerated() {
                let s = f[i]
                if s.isEmpty { numeric.append(.nan); continue }
                guard let v = Float(s), v.isFinite else {
                    throw RankerError.badSamples(file: file, line: n, reason: "'\(s)' in numeric column '\(spec.numeric[c].name)' is not a finite number")
                }
                numeric.append(v)
            }
            labels.append(Float(y))
            users.append(f[l.user])
            items.append(f[l.item])
            times.append(l.time.flatMap { Double(f[$0]) } ?? Double(count))
            raw.append(l.rawIndices.map { f[$0] })
            count += 1
        }
    }

    /// The rows at `indices`, in that order.
    public func subset(_ indices: [Int]) -> SampleSet {
        var s = SampleSet(spec: spec)
        let c = spec.categorical.count, m = spec.numeric.count
        s.rawColumns = rawColumns
        s.unknownValues = unknownValues
        for i in indices {
            for j in 0..<c {
                s.bagValues.append(contentsOf: bagValues[bag(i, j)])
                s.closeBag()
            }
            s.numeric.append(contentsOf: numeric[(i * m)..<(i * m + m)])
            s.labels.append(labels[i])
            s.users.append(users[i])
            s.items.append(items[i])
            s.times.append(times[i])
            s.raw.append(raw[i])
        }
        s.count = indices.count
        return s
    }

    /// Every `n`th row held out: row i is test when i % n == n - 1 (n = 5 is
    /// the SparrowRecSys benchmark split).
    public func splitEvery(_ n: Int) -> (train: SampleSet, test: SampleSet) {
        (subset((0..<count).filter { $0 % n != n - 1 }), subset((0..<count).filter { $0 % n == n - 1 }))
    }

    /// A seeded random split: `fraction` of the rows go to the second set.
    public func split(fraction: Double, seed: UInt64) -> (SampleSet, SampleSet) {
        var rng = SplitMix64(seed: seed ^ 0x51)
        var order = Array(0..<count)
        rng.shuffle(&order)
        let k = Int((Double(count) * fraction).rounded())
        return (subset(order.dropFirst(k).sorted()), subset(order.prefix(k).sorted()))
    }

    /// A SHA-256-free fingerprint of the data (FNV-1a over labels, ids and values).
    public var fingerprint: String {
        var h: UInt64 = 0xcbf29ce484222325
        func mix(_ x: UInt64) { h = (h ^ x) &* 0x100000001b3 }
        for v in labels { mix(UInt64(v.bitPattern)) }
        for i in bagEnd.indices {
            let values = (i == 0 ? 0 : Int(bagEnd[i - 1]))..<Int(bagEnd[i])
            if values.isEmpty { mix(UInt64(bitPattern: -1)) } // as a single value's "missing"
            for v in bagValues[values] { mix(UInt64(bitPattern: Int64(v))) }
        }
        for v in numeric { mix(UInt64(v.bitPattern)) }
        for u in users { for b in u.utf8 { mix(UInt64(b)) } }
        for u in items { for b in u.utf8 { mix(UInt64(b)) } }
        return String(h, radix: 16)
    }
}

/// Maps a categorical feature's values to embedding rows.
struct CategoryEncoder: Sendable {
    let vocabulary: [String: Int32]?
    let identity: Int?
    let hashBuckets: Int?
    /// Splits a field into several values (`MultiValue.separator`).
    let separator: String?

    init(_ c: CategoricalFeature) {
        vocabulary = c.vocabulary.map { v in Dictionary(v.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { a, _ in a }) }
        identity = c.identity
        hashBuckets = c.hashBuckets
        separator = c.multi?.separator
    }

    /// Appends the rows of the values in `count` fields (`field(k)`: source
    /// column k's text, split by the separator) to `out`; empty values are
    /// skipped, unknown ones too. Returns how many were unknown.
    func encode(fields count: Int, _ field: (Int) -> String, into out: inout [Int32]) -> Int {
        var unknown = 0
        func add(_ value: String) {
            if value.isEmpty { return }
            let i = index(value)
            if i >= 0 { out.append(i) } else { unknown += 1 }
        }
        for k in 0..<count {
            let field = field(k)
            if let separator, field.contains(separator) {
                for part in field.split(separator: separator) { add(String(part)) }
            } else {
                add(field)
            }
        }
        return unknown
    }

    /// The row, or -1 for a missing or unknown value (a zero vector).
    func index(_ value: String) -> Int32 {
        if value.isEmpty { return -1 }
        if let vocabulary { return vocabulary[value] ?? -1 }
        if let identity {
            guard let i = Int(value), i >= 0, i < identity else { return -1 }
            return Int32(i)
        }
        if let hashBuckets {
            var h: UInt64 = 0xcbf29ce484222325
            for b in value.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
            return Int32(h % UInt64(hashBuckets))
        }
        return -1
    }
}
