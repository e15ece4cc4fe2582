import Foundation
import RecsysTestSupport
import XCTest

/// `embedding export -o PATH` must not destroy what is at PATH: regular
/// files are replaced atomically keeping their mode, symlinks are followed,
/// hard-linked files and directories are refused, and devices and FIFOs are
/// written directly instead of being replaced by a regular file.
final class ExportDestinationCLITests: XCTestCase {
    private var dir: TempDir!
    private var store: String!

    override func setUpWithError() throws {
        dir = TempDir()
        store = dir.file("s.lmdb")
        let r = try recsys(["embedding", "import", dir.write("v.txt", "a:1 2\nb:3 4\n"), "--format", "sparrow", "--table", "t", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    private func export(to path: String, format: String = "csv") throws -> RunResult {
        try recsys(["embedding", "export", "--table", "t", "--format", format, "-o", path, "--store", store])
    }

    private let csv = "id,v0,v1\na,1,2\nb,3,4\n"

    func testAReplacedFileKeepsItsModeAndASymlinkIsFollowed() throws {
        let target = dir.write("keep.csv", "old\n")
        XCTAssertEqual(chmod(target, 0o600), 0)
        let link = dir.file("link.csv")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "keep.csv")

        let r = try export(to: link)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), "keep.csv", "the link stays a link")
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), csv, "the target got the export")
        XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: target)[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.contains(".tmp-") }, [], "no temporary file left")
    }

    func testHardLinksDanglingSymlinksAndDirectoriesAreRefusedUntouched() throws {
        let original = dir.write("orig.csv", "old\n")
        XCTAssertEqual(link(original, dir.file("second.csv")), 0)
        var r = try export(to: original)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("has 2 hard links"), r.stderr)
        XCTAssertEqual(try String(contentsOfFile: dir.file("second.csv"), encoding: .utf8), "old\n")

        try FileManager.default.createSymbolicLink(atPath: dir.file("dangling"), withDestinationPath: "nowhere")
        r = try export(to: dir.file("dangling"))
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("is a symlink to a missing file"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("nowhere")))

        r = try export(to: dir.url.path)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("is a directory"), r.stderr)
    }

    func testDevicesAndFIFOsAreWrittenDirectly() throws {
        var r = try export(to: "/dev/null")
        XCTAssertEqual(r.status, 0, r.stderr)
        var st = stat()
        XCTAssertEqual(stat("/dev/null", &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFCHR, "/dev/null is still a device")

        r = try export(to: "/dev/full")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("No space left on device"), r.stderr)

        let fifo = dir.file("pipe")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let received = Locked("")
        let reader = Thread {
            // Opening a FIFO for reading blocks until the writer opens it.
            let fd = open(fifo, O_RDONLY)
            guard fd >= 0 else { return received.set("<cannot open: errno \(errno)>") }
            var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(fd, &chunk, chunk.count)
                if n <= 0 { break }
                bytes += chunk[..<n]
            }
            close(fd)
            received.set(String(decoding: bytes, as: UTF8.self))
        }
        reader.start()
        r = try export(to: fifo)
        XCTAssertEqual(r.status, 0, r.stderr)
        let deadline = Date().addingTimeInterval(10)
        while received.get().isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        XCTAssertEqual(received.get(), csv)
        XCTAssertEqual(lstat(fifo, &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFIFO, "the FIFO is still a FIFO")
    }
}

/// A value shared with a thread.
private final class Locked<T>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ value: T) { self.value = value }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
}
