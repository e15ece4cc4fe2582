import EmbedStore
import Foundation
import RecsysTestSupport
import XCTest

/// What the store accepts as ids, names and JSON: anything it cannot give
/// back intact is refused at the door with a message that says why, and the
/// store is left as it was.
final class InputStrictnessTests: XCTestCase {
    private func assertRefused(_ store: Store, _ path: String, containing text: String, table: String = "t",
                               file: StaticString = #filePath, line: UInt = #line) {
        let before = try? fingerprint(store)
        XCTAssertThrowsError(try store.importVectors(from: path, table: table), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(text), "\(error)", file: file, line: line)
        }
        XCTAssertEqual(try? fingerprint(store), before, "a refused import changed the store", file: file, line: line)
    }

    // MARK: JSON Lines follows RFC 8259

    func testJSONLinesRefusesDuplicateKeysAndNonJSONNumbers() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        let cases: [(String, String)] = [
            (#"{"id": "b", "id": "c", "vector": [1, 2]}"#, #"duplicate key "id""#),
            (#"{"id": "b", "vector": [1], "vector": [2]}"#, #"duplicate key "vector""#),
            (#"{"id": "b", "vector": [1, 2], "x": 1, "x": 2}"#, #"duplicate key "x""#),
            (#"{"id": "b", "vector": [+1, 2]}"#, #"expected a JSON number in "vector", found '+1'"#),
            (#"{"id": "b", "vector": [01, 2]}"#, #"expected a JSON number in "vector", found '01'"#),
            (#"{"id": "b", "vector": [.5, 2]}"#, #"expected a JSON number in "vector", found '.5'"#),
            (#"{"id": "b", "vector": [1., 2]}"#, #"expected a JSON number in "vector", found '1.'"#),
            (#"{"id": "b", "vector": [NaN, 2]}"#, #"expected a JSON number in "vector", found 'NaN'"#),
            (#"{"id": 01, "vector": [1, 2]}"#, #""id" must be a string or a JSON number"#),
            (#"{"id": "b", "vector": [1, 2], "x": nul}"#, "expected a JSON value, found 'nul'"),
            (#"{"id": "b", "vector": [1, 2], "x": 1e}"#, "expected a JSON value, found '1e'"),
        ]
        for (i, (record, reason)) in cases.enumerated() {
            assertRefused(store, dir.write("bad\(i).jsonl", record + "\n"), containing: "bad\(i).jsonl:1: \(reason)")
        }
    }

    func testJSONLinesAcceptsWhatTheRFCAllows() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        let f = dir.write("ok.jsonl", """
        {"id": -12, "vector": [-0.5, 2.5e3, 1E-2, 0], "meta": {"a": [true, false, null, -1.5e+2]}, "note": "x"}
        {"id": "\\u00e9\\ud83d\\ude00", "vector": [1, 2, 3, 4]}

        """)
        try store.importVectors(from: f, table: "t")
        let rows = try snapshot(store, "t")
        XCTAssertEqual(rows["-12"], [-0.5, 2500, 0.01, 0].map { Float($0).bitPattern })
        XCTAssertEqual(rows["é😀"], [1, 2, 3, 4].map { Float($0).bitPattern })
    }

    // MARK: Ids

    func testIDsMustBeValidUTF8() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        assertRefused(store, dir.write("bad.txt", bytes: [0xFF, 0xFE] + Array(":1 2\n".utf8)), containing: "bad.txt:1: id is not valid UTF-8 (bytes ff fe)")
        XCTAssertThrowsError(try store.write { _ = try $0.upsert(table: "t", id: String(decoding: [0xC3], as: UTF8.self) + "\u{0}", vector: [1], create: true) })
        // Multi-byte UTF-8 is fine.
        try store.importVectors(from: dir.write("ok.txt", "café:1 2\n"), table: "t")
        XCTAssertEqual(try snapshot(store, "t").keys.sorted(), ["café"])
    }

    /// A word2vec binary key holding a space shifts every later record (the
    /// reader takes the rest of the key as vector bytes): the next "id" is
    /// float bytes, refused as misaligned rather than imported as garbage.
    func testWord2VecBinaryKeyWithASpaceIsRefusedNotImportedAsGarbage() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        var bytes = Array("3 4\n".utf8)
        for (w, v) in [("a b", [Float(0.1), 0.2, 0.3, 0.4]), ("c", [0.5, 0.6, 0.7, 0.8]), ("d", [0.9, 1.0, 1.1, 1.2])] {
            bytes += Array("\(w) ".utf8)
            v.withUnsafeBytes { bytes += $0 }
        }
        assertRefused(store, dir.write("space.bin", bytes: bytes), containing: "records are misaligned")
    }

    func testWord2VecExportsRefuseIDsWithSpaces() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        try store.importVectors(from: dir.write("v.txt", "a b:1 2\n"), table: "t")
        for format in [VectorFormat.word2vec, .word2vecBinary] {
            XCTAssertThrowsError(try store.exportVectors(table: "t", to: dir.file("out"), format: format)) { error in
                XCTAssertTrue("\(error)".contains("id 'a b' contains a space or tab"), "\(error)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("out")), "a refused export leaves no file")
        }
    }

    // MARK: Table names

    func testTableNamesFollowTheSafeSet() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        let file = dir.write("v.txt", "a:1 2\n")
        for (name, reason) in [("", "is empty"), ("bad name", "a space at byte 4"), (" lead", "a space at byte 1"),
                               ("tab\tname", "a control character"), ("caf\u{E9}", "a non-ASCII character"),
                               ("-dash", "must start with"), (String(repeating: "x", count: 201), "over the limit of 200")] {
            assertRefused(store, file, containing: reason, table: name)
        }
        for name in ["item2vec", "item2vec-v2", "users.2024:q1", "team/item2vec@3", "_scratch+1"] {
            try store.importVectors(from: file, table: name)
        }
        XCTAssertEqual(try store.read { try $0.tables() }.count, 5)
    }

    /// `ranker/<model>/...` tables belong to a trained model: no import,
    /// upsert, delete or rollback may change them behind its back.
    func testRankerTablesAreWrittenOnlyByTheRanker() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        try store.write { txn in
            let b = try TableBuilder(txn: txn, name: "ranker/m/movieId", kind: .learned, source: "model m", dimension: 2)
            try b.append(id: "1", vector: [1, 2])
            try b.finish()
        }
        let file = dir.write("v.txt", "1:3 4\n")
        assertRefused(store, file, containing: "is learned by the ranker (model 'm')", table: "ranker/m/movieId")
        assertRefused(store, file, containing: "is learned by the ranker", table: "ranker/other/x")
        XCTAssertThrowsError(try store.importVectors(from: file, table: "mine", options: ImportOptions(kind: .learned))) { error in
            XCTAssertTrue("\(error)".contains("kind 'learned' is for the ranker's own tables"), "\(error)")
        }
        let before = try fingerprint(store)
        for change in [
            { (t: Transaction) in _ = try t.upsert(table: "ranker/m/movieId", id: "1", vector: [5, 6]) },
            { (t: Transaction) in try t.deleteVector(table: "ranker/m/movieId", id: "1") },
            { (t: Transaction) in _ = try t.rollbackTable("ranker/m/movieId") },
            { (t: Transaction) in try t.deleteTable("ranker/m/movieId") },
        ] {
            XCTAssertThrowsError(try store.write(change)) { error in
                XCTAssertTrue("\(error)".contains("only `recsys train` writes it"), "\(error)")
            }
        }
        XCTAssertEqual(try fingerprint(store), before)
    }

    // MARK: Items CSV

    func testItemsCSVTakesQuotedFieldsWithLineBreaks() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        let f = dir.write("items.csv", "movieId,title,genres\r\n1,\"Toy Story\nthe \"\"first\"\"\",Animation\r\n\n2,\"Heat, (1995)\",Action|Crime\n3,Plain,Drama\n")
        XCTAssertEqual(try store.importItems(from: f), 3)
        try store.read { txn in
            XCTAssertEqual(try txn.item("1")?.title, "Toy Story\nthe \"first\"")
            XCTAssertEqual(try txn.item("2")?.title, "Heat, (1995)")
            XCTAssertEqual(try txn.item("3")?.genres, ["Drama"])
        }
        // Errors name the line the record starts on.
        let bad = dir.write("bad.csv", "movieId,title\n1,\"two\nlines\",extra\n2,\"never closed\n3,x\n")
        XCTAssertThrowsError(try store.importItems(from: bad)) { XCTAssertTrue("\($0)".contains("bad.csv:2: 3 fields, the header has 2"), "\($0)") }
        let open = dir.write("open.csv", "movieId,title\n1,ok\n2,\"never closed\n3,x\n")
        XCTAssertThrowsError(try store.importItems(from: open)) { XCTAssertTrue("\($0)".contains("open.csv:3: unterminated quoted field"), "\($0)") }
        XCTAssertEqual(try store.read { try $0.itemCount() }, 3, "failed imports left the items as they were")
    }
}
