import CKernels

/// Checksums for the small values every lookup reads: an id's row and a
/// table's record. Each is sealed with a CRC32C of its key and payload, so a
/// flipped byte in either is an error naming the table, never an answer for
/// another row or a wrong count (`store verify` checks them all).
///
/// Rules:
/// - An id value is 8 bytes: the row (UInt32, native order) and the CRC32C
///   of key + row. Stores written before it hold 4-byte rows, read unchecked.
/// - A table record is its JSON, a NUL, and the CRC32C of key + JSON
///   (little-endian). JSON never holds a NUL, so a record without one is the
///   earlier, unsealed layout.
/// - The check costs one CRC32C over ~20 bytes per lookup: far below the
///   B-tree search that found the value.
enum SealedValue {
    static func crc(_ key: UnsafeRawBufferPointer, _ payload: UnsafeRawBufferPointer) -> UInt32 {
        recsys_crc32c(recsys_crc32c(0, key.baseAddress, key.count), payload.baseAddress, payload.count)
    }

    /// The 8-byte value of an id key holding `row`.
    static func idValue(row: UInt32, key: UnsafeRawBufferPointer) -> (UInt32, UInt32) {
        var r = row
        let c = withUnsafeBytes(of: &r) { crc(key, $0) }
        return (row, c)
    }

    /// The row an id value holds; nil when the value fails its check.
    static func row(ofIDValue v: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer) -> UInt32? {
        switch v.count {
        case 4: return v.loadUnaligned(as: UInt32.self)
        case 8:
            let row = v.loadUnaligned(as: UInt32.self)
            return crc(key, UnsafeRawBufferPointer(rebasing: v[..<4])) == v.loadUnaligned(fromByteOffset: 4, as: UInt32.self) ? row : nil
        default: return nil
        }
    }

    /// `json` sealed for `key`.
    static func record(_ json: [UInt8], key: [UInt8]) -> [UInt8] {
        let c = key.withUnsafeBytes { k in json.withUnsafeBytes { crc(k, $0) } }
        var v = json
        v.append(0)
        withUnsafeBytes(of: c.littleEndian) { v.append(contentsOf: $0) }
        return v
    }

    /// The JSON of a record; nil when a sealed record fails its check.
    static func json(ofRecord v: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard v.count >= 5, v[v.count - 5] == 0 else { return v.contains(0) ? nil : v }
        let json = UnsafeRawBufferPointer(rebasing: v[..<(v.count - 5)])
        return crc(key, json) == UInt32(littleEndian: v.loadUnaligned(fromByteOffset: v.count - 4, as: UInt32.self)) ? json : nil
    }
}

extension Transaction {
    /// The row an id key's value holds, checked; `what` names it in the error.
    func row(ofIDValue v: UnsafeRawBufferPointer, key: [UInt8], table: String, slots: Int) throws -> Int {
        let row = key.withUnsafeBytes { SealedValue.row(ofIDValue: v, key: $0) }
        guard let row, Int(row) < slots else {
            let id = String(decoding: key.dropFirst(VersionKeys.idOverhead), as: UTF8.self)
            throw StoreError.damaged(path: store.path, reason: "the row of id '\(id)' in table '\(table)' \(row == nil ? "fails its checksum" : "is \(row!), beyond the table's \(slots) rows"); `recsys store verify` lists all damage")
        }
        return Int(row)
    }

    /// Writes `key`'s id value for `row`; false when `noOverwrite` and the key exists.
    @discardableResult
    func putIDValue(_ key: [UInt8], row: UInt32, noOverwrite: Bool = false) throws -> Bool {
        try key.withUnsafeBytes { k in
            var value = SealedValue.idValue(row: row, key: k)
            return try withUnsafeBytes(of: &value) { try put(.ids, k, $0, noOverwrite: noOverwrite) }
        }
    }
}
