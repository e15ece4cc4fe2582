import Foundation
import RecsysTestSupport
import XCTest

/// `--priority background`: the job lowers itself to SCHED_IDLE and nice 19
/// before it works, and its import still commits.
final class BackgroundPriorityTests: XCTestCase {
    /// Policy and nice value of a process, from /proc/PID/stat (proc(5) fields 41 and 19).
    func schedule(_ pid: Int32) -> (policy: Int, nice: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 38 else { return nil }
        return (Int(fields[41 - 3]) ?? -1, Int(fields[19 - 3]) ?? -99)
    }

    func testBackgroundImportRunsAtIdlePriorityAndCommits() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        XCTAssertEqual(try recsys(["embedding", "import", sampleData + "/item2vecEmb.csv", "--table", "t", "--store", store]).status, 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: recsysBinary)
        p.arguments = ["embedding", "import", "-", "--format", "sparrow", "--table", "t", "--priority", "background", "--store", store]
        let input = Pipe()
        p.standardInput = input
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // the import waits on its input: by then it has lowered itself (the
        // policy and the nice value are two calls, so wait for both)
        let deadline = Date().addingTimeInterval(20)
        var seen: (policy: Int, nice: Int)?
        while Date() < deadline {
            seen = schedule(p.processIdentifier)
            if seen?.policy == 5 && seen?.nice == 19 { break }
            usleep(10_000)
        }
        XCTAssertEqual(seen?.policy, 5, "SCHED_IDLE (5) within 20 s")
        XCTAssertEqual(seen?.nice, 19)
        input.fileHandleForWriting.write(Data("a:1 2 3 4 5 6 7 8 9 10\nb:2 3 4 5 6 7 8 9 10 11\n".utf8))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let info = try jsonObject(try recsys(["embedding", "info", "t", "--json", "--store", store]).stdout) as? [String: Any]
        XCTAssertEqual(info?["version"] as? Int, 2)
        XCTAssertEqual(info?["rows"] as? Int, 2)
    }
}
