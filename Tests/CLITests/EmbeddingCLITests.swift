import Foundation
import RecsysTestSupport
import XCTest

final class EmbeddingCLITests: XCTestCase {
    func testImportListGetExportEndToEnd() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        var r = try recsys(["--store", store, "embedding", "import", sampleData + "/item2vecEmb.csv", "--table", "item2vec", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try jsonObject(r.stdout) as! [[String: Any]]
        XCTAssertEqual(summary[0]["rows"] as? Int, 881)
        XCTAssertEqual(summary[0]["format"] as? String, "sparrow")
        XCTAssertEqual(try recsys(["items", "import", sampleData + "/movies.csv"], environment: ["RECSYS_STORE": store]).status, 0)

        r = try recsys(["embedding", "list", "--json"], environment: ["RECSYS_STORE": store])
        let tables = try jsonObject(r.stdout) as! [[String: Any]]
        XCTAssertEqual(tables.map { $0["name"] as? String }, ["item2vec"])
        XCTAssertEqual(tables[0]["dimension"] as? Int, 10)

        r = try recsys(["embedding", "get", "item2vec", "1", "--store", store])
        XCTAssertTrue(r.stdout.contains("Toy Story (1995)"), r.stdout)
        r = try recsys(["embedding", "get", "item2vec", "1", "--store", store, "--tsv"])
        XCTAssertTrue(r.stdout.hasPrefix("id\ttitle\tvector\n1\tToy Story (1995)\t0.22511643 "), r.stdout)

        // export -> re-import -> export is byte-identical, through a file and stdout
        let out = dir.file("out.txt")
        XCTAssertEqual(try recsys(["embedding", "export", "--table", "item2vec", "-o", out, "--store", store]).status, 0)
        XCTAssertEqual(try recsys(["embedding", "import", out, "--table", "copy", "--store", store]).status, 0)
        let again = try recsys(["embedding", "export", "--table", "copy", "--store", store])
        XCTAssertEqual(again.stdout, try String(contentsOfFile: out, encoding: .utf8))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".tmp-\(getpid())"))
    }

    func testErrorsExitOneWithOneLineAndUsageExitsTwo() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        let bad = dir.write("bad.txt", "1:1 2\n2:1 x\n")
        var r = try recsys(["embedding", "import", bad, "--table", "t", "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "error: \(bad):2: unparsable number 'x'\n")
        r = try recsys(["embedding", "get", "nope", "1", "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("error: no embedding table named 'nope'"), r.stderr)
        r = try recsys(["embedding", "import", "--store", store])
        XCTAssertEqual(r.status, 2)
        r = try recsys(["embedding", "import", bad, "--table", "t", "--format", "yaml", "--store", store])
        XCTAssertEqual(r.status, 2)
        r = try recsys(["embedding", "list", "--store", dir.file("missing.lmdb")])
        XCTAssertEqual(r.status, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("missing.lmdb")))
        r = try recsys(["--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("embedding"))
    }

    func testUpsertRemoveRollbackFromTheCommandLine() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        XCTAssertEqual(try recsys(["embedding", "import", dir.write("a.txt", "a:1 2\nb:3 4\n"), "--table", "t", "--store", store]).status, 0)
        XCTAssertEqual(try recsys(["embedding", "import", dir.write("b.txt", "c:5 6\n"), "--table", "t", "--store", store]).status, 0)
        XCTAssertEqual(try recsys(["embedding", "rollback", "t", "--store", store]).status, 0)
        XCTAssertEqual(try recsys(["embedding", "upsert", "t", "z", "--vector", "7,8", "--store", store]).status, 0)
        var r = try recsys(["embedding", "upsert", "t", "z", "--vector", "7,8,9", "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("dimension 2"), r.stderr)
        XCTAssertEqual(try recsys(["embedding", "remove", "t", "a", "--store", store]).status, 0)
        r = try recsys(["embedding", "export", "--table", "t", "--store", store])
        XCTAssertEqual(r.stdout, "b:3 4\nz:7 8\n")

        // A misspelt table is an error, not a new table; --create makes one.
        r = try recsys(["embedding", "upsert", "tt", "z", "--vector", "7,8", "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("no embedding table named 'tt'"), r.stderr)
        XCTAssertEqual(try recsys(["embedding", "list", "--tsv", "--store", store]).stdout.split(separator: "\n").count, 2, "no table 'tt' was made")
        r = try recsys(["embedding", "upsert", "tt", "z", "--vector", "7,8", "--create", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try recsys(["embedding", "get", "tt", "z", "--store", store]).status, 0)
    }

    /// Dropping an index that is not there says so and exits 1.
    func testIndexDropOfAMissingIndexIsAnError() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        XCTAssertEqual(try recsys(["embedding", "import", dir.write("a.txt", "a:1 2\nb:3 4\n"), "--table", "t", "--store", store]).status, 0)
        var r = try recsys(["index", "drop", "--table", "nosuch", "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("no embedding table named 'nosuch'"), r.stderr)
        r = try recsys(["index", "drop", "--table", "t", "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("table 't' has no recall index to drop"), r.stderr)
        XCTAssertEqual(try recsys(["index", "build", "--table", "t", "--store", store]).status, 0)
        r = try recsys(["index", "drop", "--table", "t", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try recsys(["index", "drop", "--table", "t", "--store", store]).status, 1, "gone after the first drop")
    }

    /// A vector whose first component is negative is a value, not an option,
    /// for every option that takes one.
    func testVectorsMayStartWithAMinus() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        XCTAssertEqual(try recsys(["embedding", "import", dir.write("a.txt", "a:1 0\nb:-1 0.5\n"), "--table", "t", "--store", store]).status, 0)
        var r = try recsys(["embedding", "upsert", "t", "c", "--vector", "-0.14,0.02", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try recsys(["embedding", "get", "t", "c", "--json", "--store", store])
        XCTAssertTrue(r.stdout.contains("-0.14"), r.stdout)
        r = try recsys(["recall", "user", "--table", "t", "--vector", "-1,0.4", "-k", "1", "--json", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        let results = try XCTUnwrap((try jsonObject(r.stdout) as? [String: Any])?["results"] as? [[String: Any]], r.stdout)
        XCTAssertEqual(results.first?["id"] as? String, "b", r.stdout)
    }

    /// A SIGKILL in the middle of a large import leaves the previous version
    /// current and bit-exact, and the store opens normally.
    func testKilledImportLeavesThePreviousVersionIntact() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        XCTAssertEqual(try recsys(["embedding", "import", sampleData + "/item2vecEmb.csv", "--table", "t", "--store", store]).status, 0)
        let before = try recsys(["embedding", "export", "--table", "t", "--format", "word2vec-bin", "--store", store]).stdout

        // 3M x 4 fvecs: long enough (id index inserts dominate) to be killed in the middle.
        let n = 3_000_000, d = 4
        var bytes = [UInt8]()
        bytes.reserveCapacity(n * (d + 1) * 4)
        for i in 0..<n {
            withUnsafeBytes(of: Int32(d)) { bytes += $0 }
            for j in 0..<d { withUnsafeBytes(of: Float(i &* 31 &+ j)) { bytes += $0 } }
        }
        let big = dir.file("big.fvecs")
        FileManager.default.createFile(atPath: big, contents: Data(bytes))

        let p = Process()
        p.executableURL = URL(fileURLWithPath: recsysBinary)
        p.arguments = ["embedding", "import", big, "--table", "t", "--store", store]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // kill it once it has read half its input (/proc/PID/io): mid-import, whatever the machine's speed
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning && Date() < deadline && bytesRead(by: p.processIdentifier) < bytes.count / 2 { usleep(5_000) }
        XCTAssertTrue(p.isRunning, "the import finished before it read half its input")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal, "the import finished before it could be killed")

        let after = try recsys(["embedding", "export", "--table", "t", "--format", "word2vec-bin", "--store", store])
        XCTAssertEqual(after.status, 0, after.stderr)
        XCTAssertEqual(after.stdout, before)
        let info = try jsonObject(try recsys(["embedding", "info", "t", "--json", "--store", store]).stdout) as! [String: Any]
        XCTAssertEqual(info["version"] as? Int, 1)
        XCTAssertEqual(info["rows"] as? Int, 881)
        // and the store still takes the next import
        XCTAssertEqual(try recsys(["embedding", "import", dir.write("c.txt", "x:1 2\n"), "--table", "t", "--store", store]).status, 0)
    }

    /// Bytes the process has read through system calls so far (`rchar`).
    private func bytesRead(by pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/io", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("rchar:") }) else { return 0 }
        return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
    }
}
