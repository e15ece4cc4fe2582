import EmbedStore
import Foundation

/// A zero-copy view of a stored index inside one read transaction, plus the
/// delta of rows changed since the build, decoded once.
final class LSHIndexView {
    let info: IndexInfo
    let hash: SimHash
    let offsets: [UnsafePointer<UInt32>]
    /// Per table, bucket entries: row numbers in bucket order, `entryWidth`
    /// bytes each, little-endian; read one as 4 bytes and `entryMask`.
    let entries: [UnsafeRawPointer]
    let entryWidth: Int
    let entryMask: UInt32
    /// 64 planes and per-row sign sketches of the rows the bucket lists cover.
    let sketcher: SimHash
    let sketches: UnsafePointer<UInt64>
    /// The 8-bit row copy, when the index keeps one.
    let quantized: QuantizedRows?
    /// Rows whose bucket-list entries are stale (changed or deleted since the build).
    let overridden: [UInt64]?
    /// (table << 32 | code) -> rows from the delta.
    let deltaBuckets: [UInt64: [Int32]]

    /// Entry `i` of a bucket list: the row it names.
    @inline(__always)
    func row(inList list: UnsafeRawPointer, at i: Int) -> Int {
        Int(UInt32(littleEndian: list.loadUnaligned(fromByteOffset: i * entryWidth, as: UInt32.self)) & entryMask)
    }

    /// True for a row changed or added since the build: its bucket entries,
    /// sketch and 8-bit copy are stale or absent.
    @inline(__always)
    func isChanged(_ row: Int) -> Bool {
        row >= info.rows || (overridden.map { $0[row >> 6] & RowBits.mask(row) != 0 } ?? false)
    }

    init?(txn: Transaction, table: VectorTable) throws {
        guard let info = try IndexInfo.load(txn, table: table.name), info.staleness(against: table) == nil else {
            // stale or foreign: report it without touching its parts
            if let info = try IndexInfo.load(txn, table: table.name) { throw StaleIndex(info: info) }
            return nil
        }
        self.info = info
        let keys = IndexKeys(table: table.name)
        let L = info.parameters.tables, K = info.parameters.bits, D = info.dimension
        guard let planes = try txn.blob(.index, keys.planes), planes.count == L * K * D * 4 else {
            throw RecallError.noIndex(table.name)
        }
        hash = SimHash(tables: L, bits: K, dimension: D, planes: planes.baseAddress!.assumingMemoryBound(to: Float.self))
        guard let sp = try txn.blob(.index, keys.sketchPlanes), sp.count == 64 * D * 4,
              let sk = try txn.blob(.index, keys.sketches), sk.count >= 8 * info.rows else {
            throw RecallError.noIndex(table.name)
        }
        sketcher = SimHash(tables: 1, bits: 64, dimension: D, planes: sp.baseAddress!.assumingMemoryBound(to: Float.self))
        sketches = sk.baseAddress!.assumingMemoryBound(to: UInt64.self)
        let width = info.entryWidth
        guard width == 3 || width == 4 else { throw RecallError.noIndex(table.name) }
        if info.parameters.quantized {
            guard let sc = try txn.blob(.index, keys.quantizedScales), sc.count == D * 4,
                  let codes = try txn.blob(.index, keys.quantizedRows), codes.count >= D * info.rows else { throw RecallError.noIndex(table.name) }
            quantized = QuantizedRows(scales: sc.baseAddress!.assumingMemoryBound(to: Float.self), codes: codes.baseAddress!.assumingMemoryBound(to: Int8.self),
                                      dimension: D, rows: info.rows)
        } else {
            quantized = nil
        }
        var offs: [UnsafePointer<UInt32>] = [], lists: [UnsafeRawPointer] = []
        for l in 0..<L {
            guard let o = try txn.blob(.index, keys.offsets(l)), o.count == ((1 << K) + 1) * 4,
                  let r = try txn.blob(.index, keys.rows(l)) else { throw RecallError.noIndex(table.name) }
            // every entry the offsets reach must lie inside the list, read as 4 bytes
            let entries = Int(o.baseAddress!.assumingMemoryBound(to: UInt32.self)[1 << K])
            guard entries == 0 || (entries - 1) * width + 4 <= r.count else { throw RecallError.noIndex(table.name) }
            offs.append(o.baseAddress!.assumingMemoryBound(to: UInt32.self))
            lists.append(r.baseAddress!)
        }
        entryWidth = width
        entryMask = width == 4 ? UInt32.max : (1 << UInt32(8 * width)) - 1
        offsets = offs
        entries = lists
        var buckets: [UInt64: [Int32]] = [:]
        var over: [UInt64]? = nil
        if let delta = try txn.blob(.index, keys.delta), delta.count > 0 {
            let entries = DeltaEntry.decode(delta, tables: L)
            var bits = [UInt64](repeating: 0, count: (max(table.slots, info.rows) + 64) / 64)
            for e in entries {
                bits[Int(e.row) >> 6] |= 1 << UInt64(e.row & 63)
                guard let codes = e.codes else { continue }
                for l in 0..<L { buckets[UInt64(l) << 32 | UInt64(codes[l]), default: []].append(e.row) }
            }
            over = bits
        }
        overridden = over
        deltaBuckets = buckets
    }
}

/// Thrown when an index exists but cannot serve the table's current contents.
struct StaleIndex: Error {
    let info: IndexInfo
}

/// A row changed since the build: its codes per table, or nil when deleted.
/// Stored as the row, a live flag (1, or 0 when deleted) and the codes.
struct DeltaEntry {
    var row: Int32
    var codes: [UInt32]?

    static func decode(_ raw: UnsafeRawBufferPointer, tables: Int) -> [DeltaEntry] {
        let stride = 8 + tables * 4
        var out: [DeltaEntry] = []
        var off = 0
        while off + stride <= raw.count {
            let row = raw.loadUnaligned(fromByteOffset: off, as: Int32.self)
            let live = raw.loadUnaligned(fromByteOffset: off + 4, as: UInt32.self) != 0
            let codes = (0..<tables).map { raw.loadUnaligned(fromByteOffset: off + 8 + $0 * 4, as: UInt32.self) }
            out.append(DeltaEntry(row: row, codes: live ? codes : nil))
            off += stride
        }
        return out
    }

    static func encode(_ entries: [DeltaEntry], tables: Int) -> [UInt8] {
        var out: [UInt8] = []
        for e in entries.sorted(by: { $0.row < $1.row }) {
            withUnsafeBytes(of: e.row) { out += $0 }
            withUnsafeBytes(of: UInt32(e.codes == nil ? 0 : 1)) { out += $0 }
            for l in 0..<tables { withUnsafeBytes(of: e.codes?[l] ?? 0) { out += $0 } }
        }
        return out
    }
}
