import Foundation

/// The bytes of a version-1 `.npy` file with `header` (a Python dict
/// literal, padded as numpy pads it) followed by `payload`.
public func npyBytes(header dict: String, payload: [UInt8]) -> [UInt8] {
    var header = dict
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    out += [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
    return out + Array(header.utf8) + payload
}

/// A float32 little-endian `.npy` of `values` shaped `rows` x `values.count / rows`.
public func npyFloat32(_ values: [Float], rows: Int) -> [UInt8] {
    npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(values.count / rows)), }",
             payload: values.withUnsafeBytes { Array($0) })
}
