import EmbedStore
import Foundation
import RecsysTestSupport
import XCTest

final class CodecTests: XCTestCase {
    /// Values that stress shortest-repr text: subnormals, extremes, -0, integers.
    static let tricky: [Float] = [0, -0.0, 1, -1, 0.1, 1e-7, 3.4028235e38, -1.17549435e-38, 1.4e-45, 123456.79, 9.1837026e-4, 0.33333334]

    func makeTable(_ store: Store, ids: [String]) throws -> [String: [UInt32]] {
        var rng = SeededRandom(seed: 7)
        try store.write { txn in
            let b = try TableBuilder(txn: txn, name: "src", kind: .pretrained, source: "test")
            for (i, id) in ids.enumerated() {
                var v = (0..<12).map { _ in Float.random(in: -10...10, using: &rng) }
                if i == 0 { v = CodecTests.tricky }
                try b.append(id: id, vector: v)
            }
            try b.finish()
        }
        return try snapshot(store, "src")
    }

    func testEveryFormatRoundTripsBitExact() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        let rowIDs = (0..<300).map(String.init)
        for format in VectorFormat.allCases {
            let ids = format == .fvecs ? rowIDs : rowIDs.map { "sku,\"\($0)\":é" }
            _ = try? store.write { try $0.deleteTable("src") }
            let original = try makeTable(store, ids: format == .word2vec || format == .word2vecBinary ? rowIDs.map { "w\($0)" } : ids)
            let ext = ["sparrow": "txt", "word2vec": "vec", "word2vec-bin": "bin", "csv": "csv", "jsonl": "jsonl", "npy": "npy", "fvecs": "fvecs"][format.rawValue]!
            let first = dir.file("a.\(ext)"), second = dir.file("b.\(ext)")
            XCTAssertEqual(try store.exportVectors(table: "src", to: first, format: format), 300, "\(format)")
            // detected from extension or content, not told
            let summary = try store.importVectors(from: first, table: "copy-\(format.rawValue)")
            XCTAssertEqual(summary.format, format)
            XCTAssertEqual(try snapshot(store, "copy-\(format.rawValue)"), original, "\(format) changed values")
            try store.exportVectors(table: "copy-\(format.rawValue)", to: second, format: format)
            XCTAssertEqual(dir.bytes("a.\(ext)"), dir.bytes("b.\(ext)"), "\(format) export is not stable")
        }
    }

    func testCSVVectorColumnAndHeader() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        let f = dir.write("v.csv", "id,vector\nx,\"1 2 3\"\n\"y,z\",\"4 5 6\"\n")
        try store.importVectors(from: f, table: "t")
        XCTAssertEqual(try snapshot(store, "t")["y,z"], [4, 5, 6].map { Float($0).bitPattern })
    }

    func testWord2VecBinaryReadsTheOriginalCToolsNewlines() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        var bytes = Array("2 2\n".utf8)
        for (w, v) in [("a", [Float(1), 2]), ("b", [3, 4])] {
            bytes += Array("\(w) ".utf8)
            v.withUnsafeBytes { bytes += $0 }
            bytes.append(0x0A)
        }
        try store.importVectors(from: dir.write("c.bin", bytes: bytes), table: "t")
        XCTAssertEqual(try snapshot(store, "t")["b"], [3, 4].map { Float($0).bitPattern })
    }

    func testDuplicatePolicyLastKeepsTheLastVector() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        let f = dir.write("d.txt", "1:1 1\n2:2 2\n1:3 3\n")
        let s = try store.importVectors(from: f, table: "t", options: ImportOptions(onDuplicate: .last))
        XCTAssertEqual(s.replaced, 1)
        XCTAssertEqual(s.info.count, 2)
        XCTAssertEqual(try snapshot(store, "t")["1"], [3, 3].map { Float($0).bitPattern })
    }

    /// Text imports parse on a second thread, a batch of records ahead: files
    /// of many batches import whole and in order, and an error far into the
    /// file (found by the parser, or by the writer for a record the parser
    /// handed over long before) names its own line and leaves the store as it was.
    func testLongTextFilesImportInOrderAndErrorsNameTheirLine() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        let lines = (0..<5_000).map { "u\($0):\(Float($0) * 0.25) -\($0).5 1e-3" }
        let good = dir.write("good.txt", lines.joined(separator: "\n") + "\n")
        let s = try store.importVectors(from: good, table: "t")
        XCTAssertEqual(s.records, 5_000)
        let rows = try snapshot(store, "t")
        XCTAssertEqual(rows.count, 5_000)
        XCTAssertEqual(rows["u4999"], [4999 * 0.25, -4999.5, 1e-3].map { Float($0).bitPattern })
        try store.read { txn in XCTAssertEqual(try txn.table("t").row(of: "u3210"), 3210) }
        let before = try fingerprint(store)
        var duplicate = lines, unparsable = lines
        duplicate[4_320] = "u17:1 2 3"
        unparsable[2_048] = "v:1 2 3q"
        for (name, text, expected) in [("dup.txt", duplicate, "dup.txt:4321: duplicate id 'u17'"),
                                       ("num.txt", unparsable, "num.txt:2049: unparsable number '3q'")] {
            let path = dir.write(name, text.joined(separator: "\n") + "\n")
            XCTAssertThrowsError(try store.importVectors(from: path, table: "t")) { error in
                XCTAssertTrue("\(error)".contains(expected), "expected '\(expected)', got '\(error)'")
            }
            XCTAssertEqual(try fingerprint(store), before, "\(name) changed the store")
        }
    }

    /// Each bad input: a one-line error naming file, line or record and reason; the store unchanged.
    func testBadInputIsRejectedWithLocationAndLeavesTheStoreUnchanged() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        try store.importVectors(from: dir.write("good.txt", "1:1 2\n2:3 4\n"), table: "t")
        try store.importVectors(from: dir.write("good2.txt", "1:5 6\n"), table: "t")
        let before = try fingerprint(store)
        let long = String(repeating: "x", count: 600)
        func floats(_ v: [Float]) -> [UInt8] { v.withUnsafeBytes { Array($0) } }
        let fvecsTruncated = [UInt8]([2, 0, 0, 0]) + floats([1, 2]) + [2, 0, 0, 0] + floats([1])
        let fvecsBadHeader = [UInt8]([0, 0, 0, 0x80]) + floats([1, 2])
        let w2vTruncated = Array("2 2\na ".utf8) + floats([1, 2]) + Array("b ".utf8) + floats([1]).prefix(3)
        let npyBadMagic = Array("NOTNUMPY-garbage".utf8)
        let npyTruncated = npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", payload: floats([1, 2, 3, 4]))
        let cases: [(String, [UInt8], String)] = [
            ("dim.txt", Array("1:1 2\n2:1 2 3\n".utf8), "dim.txt:2: vector has 3 components, expected 2"),
            ("nan.txt", Array("1:1 2\n2:nan 2\n".utf8), "nan.txt:2: component 1 is NaN"),
            ("inf.txt", Array("1:1 2\n2:1 1e39\n".utf8), "nan.txt:2: component 2 is infinite"),
            ("num.txt", Array("1:1 2\n2:1 2x\n".utf8), "num.txt:2: unparsable number '2x'"),
            ("empty-id.txt", Array("1:1 2\n:1 2\n".utf8), "empty-id.txt:2: empty id"),
            ("long-id.txt", Array("1:1 2\n\(long):1 2\n".utf8), "long-id.txt:2: id is 600 bytes"),
            ("dup.txt", Array("1:1 2\n2:1 2\n1:3 3\n".utf8), "dup.txt:3: duplicate id '1'"),
            ("empty.txt", [], "empty.txt: empty file"),
            ("blank.txt", Array("\n\n".utf8), "blank.txt: no vectors"),
            ("w2v.vec", Array("3 2\na 1 2\nb 1\n".utf8), "w2v.vec:3: vector has 1 components, the header says 2"),
            ("w2v-short.vec", Array("3 2\na 1 2\n".utf8), "w2v-short.vec:2: truncated: the header says 3 vectors, the file has 1"),
            ("t.fvecs", fvecsTruncated, "t.fvecs: truncated"),
            ("h.fvecs", fvecsBadHeader, "h.fvecs:record 1: wrong header"),
            ("t.bin", w2vTruncated, "t.bin: truncated"),
            ("m.npy", npyBadMagic, "m.npy: wrong magic"),
            ("t.npy", npyTruncated, "t.npy:record 2: truncated"),
            ("j.jsonl", Array("{\"id\": \"a\", \"vector\": [1, 2]}\n{\"id\": \"b\", \"vector\": [1, \"x\"]}\n".utf8), "j.jsonl:2: expected a JSON number in \"vector\", found '\"x\"'"),
            ("q.csv", Array("a,1,2\nb,\"1,2\n".utf8), "q.csv:2: unterminated quoted field"),
        ]
        for (name, bytes, expected) in cases {
            let path = dir.write(name, bytes: bytes)
            XCTAssertThrowsError(try store.importVectors(from: path, table: "t"), name) { error in
                let message = "\(error)"
                XCTAssertFalse(message.contains("\n"), "\(name): not one line: \(message)")
                let expectedMessage = expected.replacingOccurrences(of: "nan.txt:2: component 2", with: "inf.txt:2: component 2")
                XCTAssertTrue(message.hasPrefix(dir.file(expectedMessage.components(separatedBy: ":")[0])), "\(name): \(message)")
                XCTAssertTrue(message.contains(expectedMessage.components(separatedBy: ": ").dropFirst().joined(separator: ": ")) || message.contains(expectedMessage.split(separator: ":", maxSplits: 1)[1]), "\(name): expected '\(expectedMessage)', got '\(message)'")
            }
            XCTAssertEqual(try fingerprint(store), before, "\(name) changed the store")
        }
        XCTAssertThrowsError(try store.write { try $0.upsert(table: "t", id: "9", vector: [1, 2, 3]) })
        XCTAssertEqual(try fingerprint(store), before)
    }

    /// Seeded random mutations of valid inputs in every text format: each import
    /// either succeeds or fails with a `StoreError`; nothing crashes, and a failure
    /// leaves the store as it was.
    func testFuzzedTextInputsNeverCrash() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        let seeds: [(VectorFormat, String)] = [
            (.sparrow, "1:0.5 -1 2e3\n22:1 2 3\nab:4 5 6\n"),
            (.word2vec, "2 3\nx 1 2 3\ny 4 5 6\n"),
            (.csv, "id,a,b,c\n1,1,2,3\n\"q,\"\"r\",\"4 5 6\"\n"),
            (.jsonl, "{\"id\": \"a\\u00e9\", \"vector\": [1, 2.5, -3e-2], \"meta\": {\"x\": [1, {\"y\": null}]}}\n{\"id\": 7, \"vector\": [0,0,0]}\n"),
        ]
        var rng = SeededRandom(seed: 42)
        let alphabet = Array("0123456789.,:-+eE \n\"{}[]\\nainfx\u{0}\t".utf8)
        var outcomes = [0, 0]
        for round in 0..<1500 {
            let (format, text) = seeds[round % seeds.count]
            var bytes = Array(text.utf8)
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: bytes[i] = alphabet.randomElement(using: &rng)!
                case 1: bytes.insert(alphabet.randomElement(using: &rng)!, at: i)
                case 2: if bytes.count > 1 { bytes.remove(at: i) }
                default: bytes[i] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            let path = dir.write("f\(round % 4)", bytes: bytes)
            let before = try fingerprint(store)
            do {
                try store.importVectors(from: path, table: "fuzz", options: ImportOptions(format: round % 8 < 4 ? format : nil))
                outcomes[0] += 1
            } catch let error as StoreError {
                XCTAssertFalse("\(error)".contains("\n"))
                XCTAssertEqual(try fingerprint(store), before)
                outcomes[1] += 1
            }
        }
        XCTAssertGreaterThan(outcomes[0], 50)
        XCTAssertGreaterThan(outcomes[1], 50)
    }
}
