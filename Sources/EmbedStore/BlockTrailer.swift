import CKernels

/// Checksums on stored blocks.
///
/// Rules:
/// - Every vector block and id block of a table version written with
///   checksums (`TableVersion.hasChecksums`), and every blob (index parts,
///   models, feature rows, histories), ends in an 8-byte trailer: the CRC32C
///   of the bytes before it, then the magic `RCK1`. Readers never see the
///   trailer: blob reads strip it, and vector and id blocks are read by
///   offsets that stop before it.
/// - A write that changes part of a block (an upsert, a delete) rewrites the
///   block's trailer in the same transaction.
/// - Checksums are verified by `Store.verify()` (`recsys store verify`) and by
///   whole-table reads that cost more than the check (export). Query paths
///   (the scan, recall) do not verify: a CRC over every block touched would
///   cost them about as much as the dot products it guards.
/// - Versions and blobs written before checksums have no trailer; `verify`
///   reports them as unchecked, not damaged. A blob is taken to carry a
///   trailer when its last 4 bytes are the magic (a legacy blob ending in
///   those exact bytes by chance would be misread: 1 in 2^32).
enum BlockTrailer {
    static let size = 8
    /// "RCK1" as little-endian bytes.
    static let magic: UInt32 = 0x314B_4352

    static func crc(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        recsys_crc32c(0, bytes.baseAddress, bytes.count)
    }

    /// Writes the trailer into the last `size` bytes of `value`, over the bytes before them.
    static func seal(_ value: UnsafeMutableRawBufferPointer) {
        let n = value.count - size
        let c = crc(UnsafeRawBufferPointer(rebasing: value[..<n]))
        value.storeBytes(of: c.littleEndian, toByteOffset: n, as: UInt32.self)
        value.storeBytes(of: magic.littleEndian, toByteOffset: n + 4, as: UInt32.self)
    }

    /// True when `value` ends in the magic.
    static func isSealed(_ value: UnsafeRawBufferPointer) -> Bool {
        value.count >= size && UInt32(littleEndian: value.loadUnaligned(fromByteOffset: value.count - 4, as: UInt32.self)) == magic
    }

    /// `value` without its trailer when it has one, else as is.
    static func payload(_ value: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        isSealed(value) ? UnsafeRawBufferPointer(rebasing: value[..<(value.count - size)]) : value
    }

    /// What a stored value's trailer says about it.
    enum Status: Equatable { case intact, damaged, unsealed }

    static func check(_ value: UnsafeRawBufferPointer) -> Status {
        guard isSealed(value) else { return .unsealed }
        let n = value.count - size
        let stored = UInt32(littleEndian: value.loadUnaligned(fromByteOffset: n, as: UInt32.self))
        return crc(UnsafeRawBufferPointer(rebasing: value[..<n])) == stored ? .intact : .damaged
    }
}

extension Transaction {
    /// Writes `count` bytes under `key` with `fill`, followed by a trailer.
    func reserveSealed(_ db: Database, _ key: [UInt8], count: Int, _ fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        try reserve(db, key, count: count + BlockTrailer.size) { value in
            try fill(UnsafeMutableRawBufferPointer(rebasing: value[..<count]))
            BlockTrailer.seal(value)
        }
    }
}
