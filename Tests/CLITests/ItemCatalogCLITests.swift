import Foundation
import RecsysTestSupport
import XCTest

/// `items import` takes only item files, keeps the catalogue it replaces for
/// `items rollback`, and a damaged item is an error, never a wrong title.
final class ItemCatalogCLITests: XCTestCase {
    private func title(_ store: String, _ id: String) throws -> RunResult {
        try recsys(["items", "get", id, "--json", "--store", store])
    }

    func testAFileWithoutAnIDColumnIsRefusedAndNothingChanges() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        XCTAssertEqual(try recsys(["items", "import", sampleData + "/movies.csv", "--store", store]).status, 0)
        let before = try title(store, "1").stdout
        XCTAssertTrue(before.contains("Toy Story"), before)
        let r = try recsys(["items", "import", sampleData + "/item2vecEmb.csv", "--store", store])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("item2vecEmb.csv:1: the header names no id column"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertEqual(try title(store, "1").stdout, before, "the catalogue is as it was")
        // a named id column anywhere in the header
        let file = dir.write("shop.csv", "name,sku,price\nKettle,k-1,20\nToaster,t-2,30\n")
        XCTAssertEqual(try recsys(["items", "import", file, "--id-column", "sku", "--store", store]).status, 0)
        let kettle = try title(store, "k-1")
        XCTAssertEqual(kettle.status, 0, kettle.stderr)
        XCTAssertTrue(kettle.stdout.contains("Kettle"), kettle.stdout)
        let missing = try recsys(["items", "import", file, "--id-column", "nope", "--store", store])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no column 'nope'"), missing.stderr)
    }

    func testRollbackRestoresTheCatalogueAnImportReplaced() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        XCTAssertEqual(try recsys(["items", "import", sampleData + "/movies.csv", "--store", store]).status, 0)
        var r = try recsys(["items", "rollback", "--store", store])
        XCTAssertEqual(r.status, 1, "nothing to roll back to yet")
        XCTAssertTrue(r.stderr.contains("no previous version"), r.stderr)
        XCTAssertEqual(try recsys(["items", "import", dir.write("b.csv", "id,title\n1,Replaced\n"), "--store", store]).status, 0)
        XCTAssertTrue(try title(store, "1").stdout.contains("Replaced"))
        XCTAssertEqual(try title(store, "2").status, 1, "item 2 is not in the new catalogue")
        r = try recsys(["items", "rollback", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(try title(store, "1").stdout.contains("Toy Story"))
        XCTAssertTrue(try title(store, "2").stdout.contains("Jumanji"))
        XCTAssertEqual(try recsys(["store", "verify", "--store", store]).status, 0)
    }

    func testADamagedItemIsAnErrorAndVerifyFindsIt() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        XCTAssertEqual(try recsys(["items", "import", sampleData + "/movies.csv", "--store", store]).status, 0)
        let path = store + "/data.mdb"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let needle = Data("Jumanji (1995)".utf8)
        let at = try XCTUnwrap(bytes.range(of: needle)).lowerBound
        bytes[at] ^= 0x20 // "jumanji": still valid text, a wrong title without the checksum
        try bytes.write(to: URL(fileURLWithPath: path))
        let r = try title(store, "2")
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stderr.contains("item '2'") && r.stderr.contains("checksum"), r.stderr)
        XCTAssertEqual(try title(store, "1").status, 0, "other items still read")
        let v = try recsys(["store", "verify", "--store", store])
        XCTAssertEqual(v.status, 1, v.stdout)
        XCTAssertTrue(v.stderr.contains("items entry '2' fails its checksum"), v.stderr)
    }
}
