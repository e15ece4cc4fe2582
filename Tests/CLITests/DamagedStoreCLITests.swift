import Foundation
import RecsysTestSupport
import XCTest

/// A store the process cannot use as it is gets a one-line error and exit 1,
/// never a signal, and its files are left as they were.
final class DamagedStoreCLITests: XCTestCase {
    private func storeWithTable(_ dir: TempDir) throws -> String {
        let store = dir.file("s.lmdb")
        XCTAssertEqual(try recsys(["embedding", "import", sampleData + "/item2vecEmb.csv", "--table", "item2vec", "--store", store]).status, 0)
        return store
    }

    private func assertRefused(_ store: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try recsys(["embedding", "list", "--store", store])
        XCTAssertEqual(r.status, 1, "exit 1, not a signal: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(expected), r.stderr, file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr, file: file, line: line)
    }

    func testDamagedFilesAreRefusedAtOpen() throws {
        let dir = TempDir()
        let store = try storeWithTable(dir)
        let data = store + "/data.mdb"
        let full = try Data(contentsOf: URL(fileURLWithPath: data))

        try full.prefix(20_000).write(to: URL(fileURLWithPath: data))
        try assertRefused(store, "data.mdb is truncated: 20000 bytes")

        try Data().write(to: URL(fileURLWithPath: data))
        try assertRefused(store, "data.mdb is empty (0 bytes)")
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: data)[.size] as? Int, 0, "an emptied store is not reinitialised")

        var rng = SystemRandomNumberGenerator()
        try Data((0..<100_000).map { _ in UInt8.random(in: 0...255, using: &rng) }).write(to: URL(fileURLWithPath: data))
        try assertRefused(store, "data.mdb is not an LMDB file")

        try FileManager.default.removeItem(atPath: data)
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: false)
        try assertRefused(store, "data.mdb is a directory")

        try FileManager.default.removeItem(atPath: data)
        try full.write(to: URL(fileURLWithPath: data))
        try FileManager.default.removeItem(atPath: store + "/lock.mdb")
        try FileManager.default.createDirectory(atPath: store + "/lock.mdb", withIntermediateDirectories: false)
        try assertRefused(store, "lock.mdb is a directory")

        try FileManager.default.removeItem(atPath: store + "/lock.mdb")
        XCTAssertEqual(try recsys(["embedding", "list", "--store", store]).status, 0, "the restored file opens again")
    }

    /// A store whose data file and directory the user may not write opens
    /// read-only: reads answer, writes fail with a clear error and change nothing.
    func testStoreWithoutWritePermissionServesReads() throws {
        let dir = TempDir()
        let store = try storeWithTable(dir)
        let fm = FileManager.default
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        try fm.setAttributes([.posixPermissions: 0o444], ofItemAtPath: store + "/data.mdb")
        try fm.setAttributes([.posixPermissions: 0o666], ofItemAtPath: store + "/lock.mdb")
        try fm.setAttributes([.posixPermissions: 0o555], ofItemAtPath: store)
        defer { try? fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: store) }
        let before = try Data(contentsOf: URL(fileURLWithPath: store + "/data.mdb"))

        var r = try recsysUnprivileged(["recall", "item", "1", "--table", "item2vec", "-k", "3", "--tsv", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").count, 4, r.stdout)
        // verify needs no write: it checks a read-only store in a read snapshot
        r = try recsysUnprivileged(["store", "verify", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try recsysUnprivileged(["embedding", "delete", "item2vec", "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("read-only here"), r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: store + "/data.mdb")), before)

        try fm.setAttributes([.posixPermissions: 0o644], ofItemAtPath: store + "/lock.mdb")
        r = try recsysUnprivileged(["embedding", "list", "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("write access to lock.mdb"), r.stderr)
    }

    /// Numeric options far out of range are errors, not crashes or huge allocations.
    func testOutOfRangeNumbersAreErrors() throws {
        let dir = TempDir()
        let store = try storeWithTable(dir)
        XCTAssertEqual(try recsys(["index", "build", "--table", "item2vec", "--store", store]).status, 0)
        let huge = "9223372036854775807"
        let cases: [([String], String)] = [
            (["recall", "item", "1", "--table", "item2vec", "-k", huge], "k must be in 1...1000000"),
            (["recall", "item", "1", "--table", "item2vec", "--rescore", huge], "rescore must be in 0...1000000"),
            (["recall", "item", "1", "--table", "item2vec", "--probes", "1000000000"], "probes must be in 0...16777216"),
            (["index", "build", "--table", "item2vec", "--probes", "100000000"], "--probes 1...16777216"),
            (["recommend", "user", "1", "--history", "1,2", "--table", "item2vec", "--candidates", huge], "candidates must be in 1...1000000"),
            (["serve", "--port", "70000"], "--port must be in 0...65535"),
        ]
        for (args, message) in cases {
            let r = try recsys(args + ["--store", store])
            XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        let r = try recsys(["recall", "item", "1", "--table", "item2vec", "--probes", "100000", "-k", "3", "--tsv", "--store", store])
        XCTAssertEqual(r.status, 0, "more probes than buckets probe every bucket: \(r.stderr)")
    }
}
