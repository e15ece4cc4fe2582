/// The ids of one block of rows, stored as one value beside the block's
/// vectors (`VersionKeys.idBlock`): a row's id is one lookup of the block and
/// two offsets, and an import writes one value per block instead of one key
/// per row. Layout, little-endian: `n: UInt32`, `n + 1` offsets (`UInt32`,
/// into the bytes that follow), then the ids' UTF-8 bytes back to back. A
/// row with no id (deleted) has an empty slice; ids are never empty.
struct IDBlock {
    let bytes: UnsafeRawBufferPointer

    /// Wraps a stored value; nil when it is too short for the offsets it announces.
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 8 else { return nil }
        let n = Int(UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self)))
        guard bytes.count >= 4 * (n + 2) else { return nil }
        self.bytes = bytes
        let end = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * (n + 1), as: UInt32.self)))
        guard bytes.count >= 4 * (n + 2) + end else { return nil }
    }

    /// Rows the block holds ids for.
    var count: Int { Int(UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self))) }

    /// The id of the block's `index`th row, or nil when the row has none (or
    /// lies past the rows the block holds).
    func id(at index: Int) -> UnsafeRawBufferPointer? {
        let n = count
        guard index >= 0, index < n else { return nil }
        let start = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * (index + 1), as: UInt32.self)))
        let end = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * (index + 2), as: UInt32.self)))
        let base = 4 * (n + 2)
        guard end > start, base + end <= bytes.count else { return nil }  // (a damaged block reads as no id, never past its end)
        return UnsafeRawBufferPointer(rebasing: bytes[(base + start)..<(base + end)])
    }
}

/// Builds `IDBlock` values: ids appended in row order, one block at a time.
struct IDBlockWriter {
    private var offsets: [UInt32] = [0]
    private var text: [UInt8] = []

    /// Rows appended since the last reset.
    var count: Int { offsets.count - 1 }

    /// Starts from the rows of an existing block (for rewriting one row of it).
    init(copying block: IDBlock? = nil) {
        guard let block else { return }
        for i in 0..<block.count {
            if let id = block.id(at: i) { append(id) } else { appendMissing() }
        }
    }

    mutating func append(_ id: UnsafeRawBufferPointer) {
        text.append(contentsOf: id)
        offsets.append(UInt32(text.count))
    }

    /// A row without an id.
    mutating func appendMissing() { offsets.append(UInt32(text.count)) }

    /// Replaces the id of row `index` (nil: no id), appending rows without
    /// ids up to it when it lies past the end.
    mutating func set(_ index: Int, to id: UnsafeRawBufferPointer?) {
        while count <= index { appendMissing() }
        let start = Int(offsets[index]), end = Int(offsets[index + 1])
        let new = id.map(Array.init) ?? []
        text.replaceSubrange(start..<end, with: new)
        let shift = new.count - (end - start)
        for i in (index + 1)..<offsets.count { offsets[i] = UInt32(Int(offsets[i]) + shift) }
    }

    /// Bytes of the encoded block.
    var encodedCount: Int { 4 * (offsets.count + 1) + text.count }

    /// Writes the encoded block to `dst`, which holds `encodedCount` bytes.
    func encode(into dst: UnsafeMutableRawBufferPointer) {
        precondition(dst.count >= encodedCount)
        dst.storeBytes(of: UInt32(count).littleEndian, as: UInt32.self)
        for (i, o) in offsets.enumerated() { dst.storeBytes(of: o.littleEndian, toByteOffset: 4 * (i + 1), as: UInt32.self) }
        text.withUnsafeBytes { src in
            guard let from = src.baseAddress else { return }
            dst.baseAddress!.advanced(by: 4 * (offsets.count + 1)).copyMemory(from: from, byteCount: src.count)
        }
    }

    mutating func reset() {
        offsets.removeAll(keepingCapacity: true)
        offsets.append(0)
        text.removeAll(keepingCapacity: true)
    }
}
