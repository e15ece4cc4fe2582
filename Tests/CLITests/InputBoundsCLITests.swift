import Foundation
import RecsysTestSupport
import XCTest

/// Every text input has a maximum line length, so a file without line breaks
/// (`/dev/zero`, a binary file given by mistake) is a `file:line` error after
/// a bounded read, not a buffer that grows until the machine runs out.
final class InputBoundsCLITests: XCTestCase {
    private func assertLineTooLong(_ arguments: [String], file: String = "/dev/zero", limit: Int? = nil,
                                   sourceFile: StaticString = #filePath, line: UInt = #line) throws {
        let env = limit.map { ["RECSYS_MAX_LINE_BYTES": String($0)] } ?? [:]
        let r = try recsys(arguments, environment: env)
        XCTAssertEqual(r.status, 1, "\(arguments): \(r.stderr)", file: sourceFile, line: line)
        let bytes = limit ?? (16 << 20)
        XCTAssertTrue(r.stderr.contains("\(file):1: line longer than \(bytes) bytes"), "\(arguments): \(r.stderr)", file: sourceFile, line: line)
    }

    func testEveryTextInputStopsAtTheLineLimit() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        for format in ["csv", "sparrow", "word2vec", "jsonl"] {
            try assertLineTooLong(["embedding", "import", "/dev/zero", "--format", format, "--table", "t", "--store", store])
        }
        try assertLineTooLong(["items", "import", "/dev/zero", "--store", store])
        try assertLineTooLong(["history", "import", "/dev/zero", "--store", store])
        try assertLineTooLong(["train", "--samples", "/dev/zero", "--model", "m", "--store", store])
        try assertLineTooLong(["samples", "build", "--ratings", "/dev/zero", "-o", dir.file("out.csv")])
        try assertLineTooLong(["item2vec", "train", "--ratings", "/dev/zero", "--table", "t", "--store", store])

        // An npy's --ids file is read the same way.
        let npy = dir.file("v.npy")
        try Data(npyFloat32([0, 1, 0, 1, 0, 1], rows: 2)).write(to: URL(fileURLWithPath: npy))
        try assertLineTooLong(["embedding", "import", npy, "--ids", "/dev/zero", "--table", "t", "--store", store])

        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("out.csv")))
        let list = try recsys(["embedding", "list", "--json", "--store", store])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertEqual((try jsonObject(list.stdout) as? [Any])?.count, 0, "nothing was written: \(list.stdout)")
    }

    /// The limit is the operator's to raise or lower.
    func testTheLimitIsOverridable() throws {
        let dir = TempDir()
        let file = dir.file("long.csv")
        try ("1," + Array(repeating: "0.5", count: 100).joined(separator: ",") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let store = dir.file("s.lmdb")
        try assertLineTooLong(["embedding", "import", file, "--format", "csv", "--table", "t", "--store", store], file: file, limit: 64)
        let r = try recsys(["embedding", "import", file, "--format", "csv", "--table", "t", "--store", store], environment: ["RECSYS_MAX_LINE_BYTES": "1024"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    /// An `--ids` file must hold exactly one id per row of the npy: more ids
    /// than rows is as wrong as fewer.
    func testIdsFileLongerThanTheNpyIsRefused() throws {
        let dir = TempDir()
        let npy = dir.file("v.npy")
        try Data(npyFloat32([0, 1, 0, 1, 0, 1], rows: 2)).write(to: URL(fileURLWithPath: npy))
        let store = dir.file("s.lmdb")
        for (ids, expected) in [("a\nb\nc\n", "3 ids for 2 rows"), ("a\n", "1 ids for 2 rows")] {
            let idsFile = dir.file("v.ids")
            try ids.write(toFile: idsFile, atomically: true, encoding: .utf8)
            let r = try recsys(["embedding", "import", npy, "--ids", idsFile, "--table", "t", "--store", store])
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains(expected), r.stderr)
        }
        try "a\nb\n".write(toFile: dir.file("v.ids"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try recsys(["embedding", "import", npy, "--ids", dir.file("v.ids"), "--table", "t", "--store", store]).status, 0)
    }
}
