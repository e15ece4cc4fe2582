@testable import EmbedStore
import Foundation
import RecsysTestSupport
import XCTest

/// A full disk is reported as one: LMDB's EIO for a short write becomes
/// "the disk holding ... is full" when the file system has no room left, and
/// a job that knows its size checks before it starts.
final class DiskSpaceTests: XCTestCase {
    func testNoSpaceIsReportedAsAFullDisk() throws {
        let dir = TempDir()
        let error = try XCTUnwrap(DiskSpace.diagnose(code: ENOSPC, path: dir.path))
        XCTAssertTrue("\(error)".hasPrefix("the disk holding \(dir.path) is full ("), "\(error)")
        XCTAssertTrue("\(error)".hasSuffix("free space or move the store; nothing was written"), "\(error)")
        // EIO with room to spare is a real I/O error and passes through as one.
        XCTAssertNil(DiskSpace.diagnose(code: EIO, path: dir.path))
        XCTAssertNil(DiskSpace.diagnose(code: EINVAL, path: dir.path))
    }

    func testAJobNeedingMoreThanTheDiskHoldsFailsUpFront() throws {
        let dir = TempDir()
        let free = try XCTUnwrap(DiskSpace.available(at: dir.file("not/yet/made")), "a path still to be made is measured on its nearest parent")
        XCTAssertGreaterThan(free, 0)
        XCTAssertNoThrow(try DiskSpace.require(1, at: dir.path))
        XCTAssertThrowsError(try DiskSpace.require(free + (1 << 40), at: dir.path)) { error in
            guard case let StoreError.diskFull(_, available, needed) = error else { return XCTFail("\(error)") }
            XCTAssertGreaterThan(available, 0)
            XCTAssertEqual(needed, free + (1 << 40))
            XCTAssertTrue("\(error)".contains("needed"), "\(error)")
        }
    }
}
