@testable import EmbedStore
import Foundation
import RecsysTestSupport
import XCTest

/// `.npy` input as numpy writes it: the header is a Python dict literal, the
/// dtype may be numpy's default float64, and files that are not `.npy` at
/// all (an `.npz`, a JSON array) are named for what they are.
final class NPYTests: XCTestCase {
    func testHeaderIsParsedAsADictLiteral() throws {
        let variants = [
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }",
            "{\"shape\": (3, 2), \"descr\": \"<f4\", \"fortran_order\": False}",
            "{ 'fortran_order' :False,'shape':(3,2),'descr':'<f4' }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 2L)}",
        ]
        for text in variants {
            XCTAssertEqual(try NPYHeader.parse(text), NPYHeader(element: .float32(bigEndian: false), fortranOrder: false, shape: [3, 2]), text)
        }
        XCTAssertEqual(try NPYHeader.parse("{'descr': '>f8', 'fortran_order': True, 'shape': (5,), }"),
                       NPYHeader(element: .float64(bigEndian: true), fortranOrder: true, shape: [5]))
        let refused: [(String, String)] = [
            ("{'descr': '<i8', 'fortran_order': False, 'shape': (3, 2), }", "unsupported dtype '<i8': recsys reads float32 and float64"),
            ("{'descr': '<f4', 'shape': (3, 2), }", "no 'fortran_order' flag"),
            ("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3, 2)}", "repeats the key 'descr'"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (3, -2)}", "the header has '-2)}' where a non-negative integer in the shape should be"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2)} x", "the header has 'x' where the end of the header should be"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2", "the header ends where ',' or ')' in the shape should be"),
        ]
        for (text, expected) in refused {
            XCTAssertThrowsError(try NPYHeader.parse(text), text) { XCTAssertTrue(($0 as! NPYHeaderError).reason.contains(expected), "\(text): \(($0 as! NPYHeaderError).reason)") }
        }
    }

    /// Random byte mutations of a valid header: parsed or refused, never a crash.
    func testFuzzedHeadersNeverCrash() {
        let seed = Array("{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 64), }".utf8)
        var rng = SeededRandom(seed: 5)
        let alphabet = Array("{}()[]'\",: 0123456789<>=fFiTrueals\\\n".utf8)
        var parsed = 0
        for _ in 0..<5000 {
            var bytes = seed
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[i] = alphabet.randomElement(using: &rng)!
                case 1: bytes.remove(at: i)
                default: bytes.insert(alphabet.randomElement(using: &rng)!, at: i)
                }
                if bytes.isEmpty { bytes = [0x7B] }
            }
            if (try? NPYHeader.parse(String(decoding: bytes, as: UTF8.self))) != nil { parsed += 1 }
        }
        XCTAssertGreaterThan(parsed, 0, "some mutations (spaces, digits) stay valid")
    }

    /// float64 (numpy's default) and big-endian arrays import as the
    /// nearest float32s, and the summary says they were converted.
    func testFloat64AndBigEndianAreConverted() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        let values: [Double] = [0.1, -2.5, 1e-3, 3.0, 0.3333333333333333, -7]
        let le = values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        let be = values.flatMap { v in withUnsafeBytes(of: v.bitPattern.bigEndian) { Array($0) } }
        let be32 = values.flatMap { v in withUnsafeBytes(of: Float(v).bitPattern.bigEndian) { Array($0) } }
        let cases: [(String, [UInt8], String)] = [
            ("<f8", le, "converted float64 to float32"),
            (">f8", be, "converted float64 to float32"),
            (">f4", be32, "converted big-endian float32"),
        ]
        for (descr, payload, note) in cases {
            let path = dir.write("v.npy", bytes: npyBytes(header: "{'descr': '\(descr)', 'fortran_order': False, 'shape': (2, 3), }", payload: payload))
            let summary = try store.importVectors(from: path, table: "t")
            XCTAssertEqual(summary.note.map { $0.contains(note) }, true, "\(descr): \(summary.note ?? "no note")")
            let got = try store.read { txn in try ["0", "1"].map { Array(try txn.table("t").vector(of: $0)) } }
            XCTAssertEqual(got.flatMap { $0 }, values.map { Float($0) }, descr)
        }
        let plain = try store.importVectors(from: dir.write("p.npy", bytes: npyFloat32([1, 2], rows: 1)), table: "p")
        XCTAssertNil(plain.note)
    }

    /// An `.npz` archive or a JSON array gets an error naming what it is and
    /// what to do, not a parse error from a format it is not.
    func testLookalikeFilesAreNamed() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + Array(repeating: 0, count: 60)
        let cases: [(String, [UInt8], ImportOptions, String)] = [
            ("a.npz", zip, ImportOptions(), "zip archive (an .npz?)"),
            ("b.npy", zip, ImportOptions(), "zip archive (an .npz?)"),
            ("c.npy", zip, ImportOptions(format: .npy), "zip archive (an .npz?)"),
            ("d.json", Array("[{\"id\": \"a\", \"vector\": [1, 2]}]".utf8), ImportOptions(), "JSON array: write JSON Lines"),
            ("e.json", Array("\n  [[1, 2], [3, 4]]".utf8), ImportOptions(format: .csv), "JSON array: write JSON Lines"),
        ]
        for (name, bytes, options, expected) in cases {
            XCTAssertThrowsError(try store.importVectors(from: dir.write(name, bytes: bytes), table: "t", options: options), name) {
                XCTAssertTrue("\($0)".contains(expected), "\(name): \($0)")
            }
        }
    }
}
