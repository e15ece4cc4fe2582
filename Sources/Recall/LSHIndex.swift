import EmbedStore
import Foundation

/// Builds, maintains and drops the multi-probe SimHash index of a table.
public enum LSHIndex {
    static let maxAutoTables = 16
    static let minAutoTables = 8

    /// The most tables the tuning may choose for `rows` rows of `dimension`
    /// components: bucket lists (entries and offsets) within a sixth of the
    /// vectors' bytes, so that a replica serving the table needs at most a
    /// quarter more memory than its vectors (the rest covers the ids the
    /// answers read, sketches when re-scoring is limited, and the program).
    /// Never fewer than 8 tables (a small dimension's budget would leave the
    /// index too few to reach its recall cheaply) nor more than 16. At 10M
    /// x 64 this is 12 where 16 would be chosen for speed alone: about 20%
    /// fewer queries/s at the same recall, for 0.14 GB less memory.
    public static func automaticTableLimit(rows n: Int, dimension d: Int, bits K: Int) -> Int {
        let budget = Double(n) * Double(d) * 4 / 6
        let perTable = Double(n * IndexInfo.entryWidth(slots: n) + ((1 << K) + 1) * 4)
        return min(maxAutoTables, max(minAutoTables, Int(budget / perTable)))
    }

    /// Bits per table for `n` rows: buckets of about 8-16 vectors.
    public static func defaultBits(rows n: Int) -> Int {
        let log2n = Int((log2(Double(max(n, 2)))).rounded())
        return min(20, max(4, log2n - 3))
    }

    /// Builds the index of `table` and stores it in one write transaction.
    /// Zero parameters are chosen by measuring recall@10 on a sample of the
    /// table's own vectors against exact search.
    @discardableResult
    public static func build(store: Store, table name: String, parameters given: IndexParameters = IndexParameters(), metric: Metric = .cosine, seed: UInt64 = 0x5EED, log: ((String) -> Void)? = nil) throws -> IndexInfo {
        try build(store: store, table: name, parameters: given, metric: metric, seed: seed, entryWidth: nil, log: log)
    }

    /// `build`, with the bucket-list entry width forced (tests of the 4-byte
    /// layout, which only tables past 2^24 rows get otherwise).
    @discardableResult
    static func build(store: Store, table name: String, parameters given: IndexParameters, metric: Metric, seed: UInt64, entryWidth forcedWidth: Int?, log: ((String) -> Void)?) throws -> IndexInfo {
        let start = Date()
        if given.tables < 0 || given.bits < 0 || given.probes < 0 || given.rescore < 0 || given.bits > 24 || given.tables > 64
            || given.probes > SearchOptions.maxProbes || given.rescore > SearchOptions.maxK || given.candidateBudget < 0 || given.candidateBudget > SearchOptions.maxK * 100 {
            throw RecallError.invalidParameter("--tables must be 1...64, --bits 1...24, --probes 1...\(SearchOptions.maxProbes), --rescore 1...\(SearchOptions.maxK)")
        }
        return try store.write { txn in
            try txn.requireSoundStructure()
            let table = try txn.table(name)
            guard table.count > 0 else { throw RecallError.emptyTable(name) }
            let acc = try table.rowAccessor()
            let n = acc.slots, d = acc.dimension
            let K = given.bits > 0 ? given.bits : defaultBits(rows: table.count)
            let L = given.tables > 0 ? given.tables : automaticTableLimit(rows: n, dimension: d, bits: K)
            let keys = IndexKeys(table: name)
            try txn.deleteBlobs(.index, prefix: keys.prefix)

            // hyperplanes and inverse norms
            let planes = SimHash.planes(count: L * K * d, seed: seed)
            try planes.withUnsafeBytes { try txn.putBlob(.index, keys.planes, $0) }
            var bytes = planes.count * 4
            // codes of every row in every table, and its 64-bit sketch
            log?("hashing \(n) vectors into \(L) tables of \(K) bits")
            let sketchPlanes = SimHash.sketchPlanes(dimension: d, seed: seed)
            try sketchPlanes.withUnsafeBytes { try txn.putBlob(.index, keys.sketchPlanes, $0) }
            // at least 4 KiB, so that LMDB stores it page-aligned
            let sketchBytes = max(n * 8, 4096)
            var codes: [UInt32] = []
            try txn.putBlob(.index, keys.sketches, count: sketchBytes) { raw in
                raw.initializeMemory(as: UInt8.self, repeating: 0)
                codes = hashRows(acc, tables: L, bits: K, planes: planes, sketchPlanes: sketchPlanes,
                                 sketches: raw.baseAddress!.assumingMemoryBound(to: UInt64.self))
            }
            bytes += sketchBytes + sketchPlanes.count * 4
            if given.quantized {
                log?("keeping an 8-bit copy of the rows")
                let scales = QuantizedRows.scales(acc, cosine: metric == .cosine)
                try scales.withUnsafeBytes { try txn.putBlob(.index, keys.quantizedScales, $0) }
                let codeBytes = max(n * d, 4096)
                try txn.putBlob(.index, keys.quantizedRows, count: codeBytes) { raw in
                    raw.initializeMemory(as: UInt8.self, repeating: 0)
                    QuantizedRows.encode(acc, cosine: metric == .cosine, scales: scales, into: raw.baseAddress!.assumingMemoryBound(to: Int8.self))
                }
                bytes += codeBytes + d * 4
            }
            let buckets = 1 << K
            let width = forcedWidth ?? IndexInfo.entryWidth(slots: n)
            bytes += try writeBucketLists(txn, keys: keys, acc: acc, codes: codes, tables: L, bits: K, width: width)
            var info = IndexInfo(table: name, tableVersion: table.info.version, generation: table.info.current.generation,
                                 dimension: d, rows: n, parameters: IndexParameters(tables: L, bits: K, probes: max(1, min(given.probes, buckets)), candidateBudget: given.candidateBudget, rescore: given.rescore, quantized: given.quantized),
                                 metric: metric, seed: seed, recallAtBuild: nil, candidatesAtBuild: nil, sampleQueries: 0,
                                 buildSeconds: 0, bytes: bytes, deltaRows: 0, createdAt: Date(), format: IndexInfo.currentFormat, entryBytes: width)
            try info.save(txn)

            // measure, and choose tables and probes where not given
            let snapshot = try RecallSnapshot(borrowing: txn, table: name)
            let sample = sampleRows(acc, count: n > 200_000 ? 100 : 200, seed: seed)
            info.sampleQueries = sample.count
            log?("measuring recall@10 on \(sample.count) of the table's own vectors")
            let truth = sample.map { r -> Set<Int> in
                let q = snapshot.vector(ofRow: r)
                let res = (try? snapshot.search(q, options: SearchOptions(k: 10, metric: metric, exact: true, excludedRows: [r]))) ?? SearchResult(hits: [], candidates: 0, probes: 0, method: .exact, note: nil)
                return Set(res.hits.map(\.row))
            }
            func measure(tables: Int, probes: Int, rescore: Int) -> TuningMeasurement {
                var recalls: [Double] = []
                var cands = 0, gathered = 0
                for (i, r) in sample.enumerated() {
                    let q = snapshot.vector(ofRow: r)
                    guard let res = try? snapshot.search(q, options: SearchOptions(k: 10, metric: metric, tables: tables, probes: probes, candidateBudget: given.candidateBudget, rescore: rescore, excludedRows: [r])) else { continue }
                    if !truth[i].isEmpty { recalls.append(Double(res.hits.filter { truth[i].contains($0.row) }.count) / Double(truth[i].count)) }
                    cands += res.candidates
                    gathered += res.gathered
                }
                let q = Double(max(1, sample.count))
                return TuningMeasurement(recallPerQuery: recalls, candidates: Double(cands) / q, gathered: Double(gathered) / q)
            }
            let tuner = IndexTuner(bits: K, dimension: d, rows: table.count, maxTables: L, given: given)
            var chosen = (tables: 1, probes: 1, rescore: 0)
            switch tuner.choose(measure: measure) {
            case let .index(t, p, f): chosen = (t, p, f)
            case .scan:
                info.prefersScan = true
                log?("a scan of \(table.count) rows costs less than any index reaching the target recall: queries will scan")
            }
            if info.prefersScan == true {
                // queries scan: exact, every live row a candidate
                info.recallAtBuild = 1
                info.worstTenthRecallAtBuild = 1
                info.candidatesAtBuild = Double(table.count)
            } else {
                let final = measure(tables: chosen.tables, probes: chosen.probes, rescore: chosen.rescore)
                info.recallAtBuild = final.recall
                info.worstTenthRecallAtBuild = final.worstTenthRecall
                info.candidatesAtBuild = final.candidates
            }
            // keep only the tables in use
            for l in chosen.tables..<L {
                try txn.deleteBlobs(.index, prefix: keys.rows(l))
                try txn.deleteBlobs(.index, prefix: keys.offsets(l))
                bytes -= (buckets + 1) * 4 + listByteCount(entries: table.count, width: width)
            }
            if chosen.tables < L {
                let kept = Array(planes.prefix(chosen.tables * K * d))
                try kept.withUnsafeBytes { try txn.putBlob(.index, keys.planes, $0) }
                bytes -= (L - chosen.tables) * K * d * 4
            }
            info.parameters.tables = chosen.tables
            info.parameters.probes = chosen.probes
            info.parameters.rescore = chosen.rescore
            info.bytes = bytes
            info.buildSeconds = Date().timeIntervalSince(start)
            try info.save(txn)
            return info
        }
    }

    /// Every row's bucket code in each of `tables` tables (`codes[l * n + r]`),
    /// and its 64-bit sign sketch into `sketches`.
    static func hashRows(_ acc: RowAccessor, tables L: Int, bits K: Int, planes: [Float], sketchPlanes: [Float],
                         sketches: UnsafeMutablePointer<UInt64>) -> [UInt32] {
        let n = acc.slots, d = acc.dimension
        var codes = [UInt32](repeating: 0, count: L * n)
        planes.withUnsafeBufferPointer { pb in
        sketchPlanes.withUnsafeBufferPointer { sb in
            let hash = SimHash(tables: L, bits: K, dimension: d, planes: pb.baseAddress!)
            let sketcher = SimHash(tables: 1, bits: 64, dimension: d, planes: sb.baseAddress!)
            var proj = [Float](repeating: 0, count: max(L * K, 64))
            proj.withUnsafeMutableBufferPointer { p in
                codes.withUnsafeMutableBufferPointer { c in
                    for r in 0..<n {
                        hash.project(acc.row(r), into: p.baseAddress!, tables: L)
                        for l in 0..<L { c[l * n + r] = hash.code(p.baseAddress!, table: l) }
                        sketcher.project(acc.row(r), into: p.baseAddress!, tables: 1)
                        sketches[r] = sketcher.sketch(p.baseAddress!)
                    }
                }
            }
        }}
        return codes
    }

    /// Writes each table's bucket list (a counting sort by code: offsets, then
    /// row entries `width` bytes each, little-endian), deleted rows left out.
    /// Returns the bytes written. An entry is the row alone: re-scoring
    /// computes a candidate's norm from the row it reads anyway, so storing it
    /// would double every table for no memory access saved. Queries read an
    /// entry as 4 bytes masked to the width, so a 3-byte list ends with a
    /// padding byte.
    static func writeBucketLists(_ txn: Transaction, keys: IndexKeys, acc: RowAccessor, codes: [UInt32],
                                 tables L: Int, bits K: Int, width: Int) throws -> Int {
        let n = acc.slots, buckets = 1 << K
        var bytes = 0
        for l in 0..<L {
            var offsets = [UInt32](repeating: 0, count: buckets + 1)
            var live = 0
            for r in 0..<n where acc.isLive(r) { offsets[Int(codes[l * n + r]) + 1] += 1; live += 1 }
            for b in 0..<buckets { offsets[b + 1] += offsets[b] }
            var cursor = offsets
            let listBytes = listByteCount(entries: live, width: width)
            try txn.putBlob(.index, keys.rows(l), count: listBytes) { raw in
                raw.initializeMemory(as: UInt8.self, repeating: 0)
                let out = raw.baseAddress!
                for r in 0..<n where acc.isLive(r) {
                    let c = Int(codes[l * n + r])
                    withUnsafeBytes(of: UInt32(r).littleEndian) { out.advanced(by: Int(cursor[c]) * width).copyMemory(from: $0.baseAddress!, byteCount: width) }
                    cursor[c] += 1
                }
            }
            try offsets.withUnsafeBytes { try txn.putBlob(.index, keys.offsets(l), $0) }
            bytes += (buckets + 1) * 4 + listBytes
        }
        return bytes
    }

    /// Stored bytes of a bucket list: the entries, a padding byte when they
    /// are narrower than the 4 bytes a query loads, and at least 4 KiB so that
    /// LMDB stores it page-aligned.
    static func listByteCount(entries: Int, width: Int) -> Int {
        max(entries * width + (width < 4 ? 1 : 0), 4096)
    }

    static func sampleRows(_ acc: RowAccessor, count: Int, seed: UInt64) -> [Int] {
        var live = (0..<acc.slots).filter { acc.isLive($0) }
        var state = seed ^ 0xA5A5
        for i in stride(from: live.count - 1, to: 0, by: -1) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            live.swapAt(i, Int((state >> 33) % UInt64(i + 1)))
        }
        return Array(live.prefix(count)).sorted()
    }

    /// Removes the index of `table` (no-op without one).
    public static func drop(_ txn: Transaction, table: String) throws {
        try txn.deleteBlobs(.index, prefix: IndexKeys(table: table).prefix)
    }

    /// Brings the index up to date with one upserted or deleted row, in the
    /// caller's write transaction: the row's new buckets go into the delta,
    /// which queries merge with the bucket lists. Without an index, or with a
    /// stale one, nothing happens.
    public static func applyChange(_ txn: Transaction, table name: String, row: Int) throws {
        guard var info = try IndexInfo.load(txn, table: name), IndexInfo.readableFormats.contains(info.format ?? 0) else { return }
        let table = try txn.table(name)
        // The table's generation already counts this change.
        guard info.tableVersion == table.info.version, info.generation + 1 == table.info.current.generation else { return }
        let keys = IndexKeys(table: name)
        let L = info.parameters.tables, K = info.parameters.bits, d = info.dimension
        var entries = try txn.blob(.index, keys.delta).map { DeltaEntry.decode($0, tables: L) } ?? []
        entries.removeAll { Int($0.row) == row }
        let live = try table.id(ofRow: row) != nil
        if live {
            guard let planes = try txn.blob(.index, keys.planes) else { return }
            let hash = SimHash(tables: L, bits: K, dimension: d, planes: planes.baseAddress!.assumingMemoryBound(to: Float.self))
            let v = try table.vector(ofRow: row)
            var proj = [Float](repeating: 0, count: L * K)
            proj.withUnsafeMutableBufferPointer { hash.project(v.baseAddress!, into: $0.baseAddress!, tables: L) }
            let codes = proj.withUnsafeBufferPointer { p in (0..<L).map { hash.code(p.baseAddress!, table: $0) } }
            entries.append(DeltaEntry(row: Int32(row), codes: codes))
        } else {
            entries.append(DeltaEntry(row: Int32(row), codes: nil))
        }
        let encoded = DeltaEntry.encode(entries, tables: L)
        try encoded.withUnsafeBytes { try txn.putBlob(.index, keys.delta, $0) }
        info.generation = table.info.current.generation
        info.deltaRows = entries.count
        try info.save(txn)
    }
}
