@testable import EmbedStore
import Foundation
import RecsysTestSupport
import XCTest

/// Every vector block, id block and blob carries a CRC32C written with it:
/// light corruption that LMDB cannot see is found by `verify()` (naming the
/// block and its rows) and stops an export, instead of changing values silently.
final class ChecksumTests: XCTestCase {
    func testCRC32CMatchesTheStandardCheckValue() {
        let check = Array("123456789".utf8).withUnsafeBytes { BlockTrailer.crc($0) }
        XCTAssertEqual(check, 0xE306_9283)
        // Long inputs take the 8-bytes-at-a-time path; both paths agree on a tail.
        let long = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let whole = long.withUnsafeBytes { BlockTrailer.crc($0) }
        var bitwise: UInt32 = 0xFFFF_FFFF
        for b in long {
            bitwise ^= UInt32(b)
            for _ in 0..<8 { bitwise = (bitwise >> 1) ^ (0x82F6_3B78 & (0 &- (bitwise & 1))) }
        }
        XCTAssertEqual(whole, ~bitwise)
    }

    func testUpsertsDeletesAndBlobsKeepChecksumsIntact() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        let vectors = randomVectors(2500, 8, seed: 3)
        try writeTable(store, "t", vectors) { "id\($0)" }
        try store.write { txn in
            _ = try txn.upsert(table: "t", id: "id7", vector: [Float](repeating: 1, count: 8))
            _ = try txn.upsert(table: "t", id: "new", vector: [Float](repeating: 2, count: 8))
            try txn.deleteVector(table: "t", id: "id2000")
            try [UInt8](repeating: 9, count: 100).withUnsafeBytes { try txn.putBlob(.models, "m", $0) }
        }
        let report = try store.verify()
        XCTAssertTrue(report.intact, "\(report)")
        XCTAssertEqual(report.tables.map(\.checksummed), [true])
        XCTAssertEqual(report.areas.first { $0.area == "models" }?.checked, 1)
        // Readers see blobs and vectors without the trailer.
        try store.read { txn in
            XCTAssertEqual(try txn.blob(.models, "m")?.count, 100)
            XCTAssertEqual(Array(try txn.table("t").vector(of: "new")), [Float](repeating: 2, count: 8))
            XCTAssertEqual(Array(try txn.table("t").vector(of: "id1999")), vectors[1999])
        }
    }

    func testAFlippedByteIsFoundNamedAndStopsAnExport() throws {
        let dir = TempDir()
        let path = dir.file("s.lmdb")
        let marker: [Float] = [1234.5677, -98.76543, 0.31415927, 2.7182817]
        do {
            try writeTable(try Store(path: path), "t", (0..<10).map { $0 == 6 ? marker : [Float($0), 0, 0, 1] }) { "id\($0)" }
        }
        let file = path + "/data.mdb"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        let pattern = marker.withUnsafeBytes { Data($0) }
        let at = try XCTUnwrap(bytes.range(of: pattern)).lowerBound
        bytes[at + 1] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: file))

        let store = try Store(path: path)
        let report = try store.verify()
        XCTAssertFalse(report.intact)
        XCTAssertEqual(report.tables.first?.damage, ["vector block 0 (rows 0-9) fails its checksum"])
        XCTAssertThrowsError(try store.exportVectors(table: "t", to: dir.file("out.txt"), format: .sparrow)) { error in
            XCTAssertTrue("\(error)".contains("table 't' version 1: vector block 0 (rows 0-9) fails its checksum"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("out.txt")))
    }
}
