@testable import EmbedStore
import Foundation
import RecsysTestSupport
import XCTest

/// An id's row and a table's record are sealed: a flipped byte in either is
/// an error naming the table (never an answer for another row or a wrong
/// count), `verify()` reports it, and values written before the seal still read.
final class SealedValueTests: XCTestCase {
    private func damagedValue(_ store: Store, key: [UInt8], db: Database, _ change: ([UInt8]) -> [UInt8]) throws {
        try store.write { txn in
            let old = Array(try txn.get(db, key)!)
            _ = try txn.put(db, key, change(old))
        }
    }

    func testAFlippedIDValueIsAnErrorAndVerifyFindsIt() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        try writeTable(store, "t", randomVectors(300, 4, seed: 1)) { "id\($0)" }
        let info = try store.read { try $0.tableInfo("t")! }
        let key = VersionKeys(tableID: info.tableID, version: info.current.version).idKey("id5")
        XCTAssertEqual(try store.read { try $0.get(.ids, key)?.count }, 8, "row + CRC32C")
        XCTAssertTrue(try store.verify().intact)

        // a flip that points the id at another valid row
        try damagedValue(store, key: key, db: .ids) { v in var v = v; v[0] ^= 0x01; return v }
        XCTAssertThrowsError(try store.read { try $0.table("t").row(of: "id5") }) { error in
            guard case let StoreError.damaged(_, reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("id 'id5'") && reason.contains("table 't'") && reason.contains("checksum"), reason)
        }
        XCTAssertEqual(try store.read { try $0.table("t").row(of: "id6") }, 6, "other ids still read")
        let report = try store.verify()
        XCTAssertFalse(report.intact)
        XCTAssertTrue(report.tables[0].damage.joined().contains("id 'id5' fails its checksum"), "\(report.tables[0].damage)")
        // an upsert or delete of the damaged id refuses to use the row
        XCTAssertThrowsError(try store.write { try $0.upsert(table: "t", id: "id5", vector: [1, 2, 3, 4]) })
        XCTAssertThrowsError(try store.write { try $0.deleteVector(table: "t", id: "id5") })
    }

    func testALegacyFourByteRowStillReadsAndAWrongOneIsCaughtByVerify() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        try writeTable(store, "t", randomVectors(50, 4, seed: 2)) { "id\($0)" }
        let info = try store.read { try $0.tableInfo("t")! }
        let keys = VersionKeys(tableID: info.tableID, version: info.current.version)
        try damagedValue(store, key: keys.idKey("id3"), db: .ids) { Array($0.prefix(4)) }
        XCTAssertEqual(try store.read { try $0.table("t").row(of: "id3") }, 3)
        XCTAssertTrue(try store.verify().intact, "a correct legacy value is sound")
        try damagedValue(store, key: keys.idKey("id3"), db: .ids) { _ in [9, 0, 0, 0] }
        XCTAssertEqual(try store.read { try $0.table("t").row(of: "id3") }, 9, "unsealed: read as it is")
        XCTAssertTrue(try store.verify().tables[0].damage.joined().contains("row 9 holds another id"))
        try damagedValue(store, key: keys.idKey("id3"), db: .ids) { _ in [200, 0, 0, 0] }
        XCTAssertThrowsError(try store.read { try $0.table("t").row(of: "id3") }, "a row beyond the table is damage even unsealed")
    }

    func testAFlippedTableRecordIsAnErrorAndVerifyReportsIt() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.lmdb"))
        try writeTable(store, "t", randomVectors(20, 4, seed: 3)) { "id\($0)" }
        try writeTable(store, "u", randomVectors(20, 4, seed: 4)) { "u\($0)" }
        // a digit of the count changed: still JSON, so only the seal can tell
        try damagedValue(store, key: Array("t".utf8), db: .tables) { v in
            var s = Array(v)
            let text = String(decoding: s, as: UTF8.self)
            let at = text.range(of: "\"count\":20")!.upperBound
            s[text.utf8.distance(from: text.utf8.startIndex, to: at) - 1] = UInt8(ascii: "1")
            return s
        }
        XCTAssertThrowsError(try store.read { try $0.table("t") }) { error in
            XCTAssertTrue("\(error)".contains("record of table 't' fails its checksum"), "\(error)")
        }
        XCTAssertEqual(try store.read { try $0.table("u").count }, 20)
        let report = try store.verify()
        XCTAssertEqual(report.areas.first { $0.area == "tables" }?.damaged, ["t"])
        XCTAssertFalse(report.intact)
        // an unsealed record (the layout before the seal) still reads
        try damagedValue(store, key: Array("u".utf8), db: .tables) { Array($0.dropLast(5)) }
        XCTAssertEqual(try store.read { try $0.table("u").count }, 20)
    }
}
