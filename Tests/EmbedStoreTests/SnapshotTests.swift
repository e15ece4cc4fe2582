import EmbedStore
import Foundation
import RecsysTestSupport
import XCTest

final class SnapshotTests: XCTestCase {
    func testSnapshotIsAConsistentCompactedCheckedCopyWithAManifest() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        // three versions of a table: the oldest one's pages are free, and a compacting copy leaves them out
        for seed in 1...3 { try writeTable(store, "big", randomVectors(20_000, 32, seed: UInt64(seed))) }
        try writeTable(store, "small", randomVectors(10, 4, seed: 9))
        let manifest = try store.snapshot(to: dir.file("snap"))
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: dir.file("snap"))), ["data.mdb", "manifest.json"])
        XCTAssertEqual(manifest.tables.map(\.name), ["big", "small"])
        XCTAssertEqual(manifest.tables.map(\.version), [3, 1])
        XCTAssertEqual(manifest.tables.map(\.rows), [20_000, 10])
        XCTAssertEqual(try SnapshotManifest.load(from: dir.file("snap")), manifest)
        let copied = try Data(contentsOf: URL(fileURLWithPath: dir.file("snap/data.mdb")))
        XCTAssertEqual(manifest.dataBytes, copied.count)
        XCTAssertTrue(manifest.id.hasPrefix(manifest.dataChecksum + "-"))
        XCTAssertLessThan(copied.count, try FileManager.default.attributesOfItem(atPath: dir.file("s.lmdb/data.mdb"))[.size] as! Int)
        let copy = try Store(path: dir.file("snap"))
        XCTAssertEqual(try fingerprint(copy), try fingerprint(store))
        XCTAssertTrue(try copy.verify().intact)
    }

    func testAnExistingDirectoryIsRefusedAndNothingHalfWrittenIsLeft() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        try writeTable(store, "t", randomVectors(5, 3, seed: 1))
        try FileManager.default.createDirectory(atPath: dir.file("taken"), withIntermediateDirectories: false)
        XCTAssertThrowsError(try store.snapshot(to: dir.file("taken"))) { XCTAssertEqual("\($0)", "'\(dir.file("taken"))' exists: a snapshot goes to a new directory") }
        XCTAssertThrowsError(try store.snapshot(to: dir.file("no/such/parent/snap")))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.file("taken")), [])
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir.path).contains { $0.contains(".partial-") })
    }

    /// Imports committing while the copy runs: the copy is one consistent state, and it checks out.
    func testSnapshotWhileImportsCommit() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        try writeTable(store, "t", randomVectors(50_000, 16, seed: 1))
        let done = DispatchSemaphore(value: 0)
        let writer = Thread {
            for seed in 2...6 { try? writeTable(store, "t", randomVectors(50_000, 16, seed: UInt64(seed))) }
            done.signal()
        }
        writer.start()
        let manifest = try store.snapshot(to: dir.file("snap"))
        XCTAssertEqual(done.wait(timeout: .now() + 120), .success)
        let copy = try Store(path: dir.file("snap"))
        XCTAssertTrue(try copy.verify().intact)
        let info = try XCTUnwrap(try copy.read { try $0.tableInfo("t") })
        XCTAssertEqual(manifest.tables.first?.version, info.version)
        XCTAssertEqual(info.count, 50_000)
    }
}
