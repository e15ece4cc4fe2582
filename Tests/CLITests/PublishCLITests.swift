import Foundation
import RecsysTestSupport
import XCTest

/// `recsys publish`: a copied snapshot goes live only when it is whole.
final class PublishCLITests: XCTestCase {
    func testPublishChecksTheCopyAgainstItsManifestBeforeSwappingTheLink() throws {
        let dir = TempDir()
        let store = dir.file("builder.lmdb"), link = dir.file("replica-1")
        XCTAssertEqual(try recsys(["embedding", "import", sampleData + "/item2vecEmb.csv", "--table", "item2vec", "--store", store]).status, 0)
        XCTAssertEqual(try recsys(["snapshot", "--to", dir.file("snap-1"), "--store", store]).status, 0)

        let ok = try recsys(["publish", dir.file("snap-1"), "--at", link])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(ok.stdout.contains("published snapshot"), ok.stdout)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), URL(fileURLWithPath: dir.file("snap-1")).resolvingSymlinksInPath().path)

        // a copy cut short (as an interrupted rsync leaves it) is refused, the link kept
        let copy = dir.file("snap-copy")
        try FileManager.default.copyItem(atPath: dir.file("snap-1"), toPath: copy)
        let data = try XCTUnwrap(FileHandle(forWritingAtPath: copy + "/data.mdb"))
        try data.truncate(atOffset: 8192)
        try data.close()
        let cut = try recsys(["publish", copy, "--at", link])
        XCTAssertNotEqual(cut.status, 0)
        XCTAssertTrue(cut.stderr.contains("an incomplete or altered copy"), cut.stderr)
        XCTAssertTrue(try FileManager.default.destinationOfSymbolicLink(atPath: link).hasSuffix("snap-1"))

        // a store that is not a snapshot (no manifest) is refused
        let plain = try recsys(["publish", store, "--at", link])
        XCTAssertNotEqual(plain.status, 0)
        XCTAssertTrue(plain.stderr.contains("manifest.json"), plain.stderr)
        XCTAssertTrue(try FileManager.default.destinationOfSymbolicLink(atPath: link).hasSuffix("snap-1"))
    }
}
