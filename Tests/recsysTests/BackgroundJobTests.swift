import Foundation
import XCTest

/// `--priority background`: the job runs at SCHED_IDLE and nice 19 in a
/// session (a scheduling group) of its own, and still stops with Ctrl-C or
/// with the process the user started.
final class BackgroundJobTests: XCTestCase {
    /// One process's fields from /proc/PID/stat, by the numbers proc(5) gives them.
    struct ProcessStat {
        let fields: [Substring]
        init?(_ pid: Int32) {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = text.lastIndex(of: ")") else { return nil }
            fields = text[text.index(after: close)...].split(separator: " ")
        }
        /// Field `n` of proc(5) (3 is the state, the first after the name).
        func field(_ n: Int) -> Int { Int(fields[n - 3]) ?? -1 }
        var parent: Int32 { Int32(field(4)) }
        var session: Int32 { Int32(field(6)) }
        var nice: Int { field(19) }
        var policy: Int { field(41) }
    }

    func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { ProcessStat($0)?.parent == pid }
    }

    var autogroupsEnabled: Bool {
        (try? String(contentsOfFile: "/proc/sys/kernel/sched_autogroup_enabled", encoding: .utf8))?.hasPrefix("1") ?? false
    }

    /// A store with version 1 of `item2vec`, and an import of a new version
    /// from standard input started the way a shell script starts a command
    /// (not a session leader), held open until the test writes the input.
    /// Returns the shell, the pipe to the import's stdin, the `recsys`
    /// process the shell started, and the process doing the job.
    func startBackgroundImport(_ dir: TempDir) throws -> (shell: Process, input: Pipe, recsys: Int32, job: Int32) {
        let store = dir.file("s.lmdb")
        XCTAssertEqual(try recsys(["embedding", "import", sampleData + "/item2vecEmb.csv", "--table", "item2vec", "--store", store]).status, 0)
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        // `; exit $?` keeps the shell from exec'ing recsys in its own place
        shell.arguments = ["-c", "\"$0\" \"$@\"; exit $?", recsysBinary, "embedding", "import", "-", "--format", "sparrow", "--table", "item2vec", "--priority", "background", "--store", store]
        var env = ProcessInfo.processInfo.environment
        env["RECSYS_STORE"] = nil
        shell.environment = env
        let input = Pipe()
        shell.standardInput = input
        shell.standardOutput = FileHandle.nullDevice
        shell.standardError = FileHandle.nullDevice
        try shell.run()
        // the job has started when its process runs at SCHED_IDLE (5), in its own session's autogroup at nice 19
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let starter = children(of: shell.processIdentifier).first {
                let job = autogroupsEnabled ? children(of: starter).first : starter
                let group = job.flatMap { try? String(contentsOfFile: "/proc/\($0)/autogroup", encoding: .utf8) } ?? ""
                if let job, ProcessStat(job)?.policy == 5, !autogroupsEnabled || group.hasSuffix(" nice 19\n") {
                    return (shell, input, starter, job)
                }
            }
            usleep(20_000)
        }
        shell.terminate()
        throw XCTSkip("the background import did not start within 20 s")
    }

    /// The table's `embedding info` fields (version, rows, ...).
    func info(_ table: String, in dir: TempDir) throws -> [String: String] {
        let r = try recsys(["embedding", "info", table, "--store", dir.file("s.lmdb"), "--tsv"])
        XCTAssertEqual(r.status, 0, r.stderr)
        var fields: [String: String] = [:]
        for line in r.stdout.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        return fields
    }

    func waitForExit(_ pid: Int32, seconds: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if ProcessStat(pid) == nil || ProcessStat(pid)?.fields.first == "Z" { return true }
            usleep(20_000)
        }
        return false
    }

    func testBackgroundJobRunsIdleInItsOwnSchedulingGroupAndCommits() throws {
        let dir = TempDir()
        let (shell, input, starter, job) = try startBackgroundImport(dir)
        let stat = try XCTUnwrap(ProcessStat(job))
        XCTAssertEqual(stat.policy, 5, "SCHED_IDLE")
        XCTAssertEqual(stat.nice, 19)
        if autogroupsEnabled {
            XCTAssertNotEqual(job, starter, "the job is handed to a copy of the command")
            XCTAssertEqual(stat.session, job, "the copy leads a session of its own")
            XCTAssertNotEqual(ProcessStat(starter)?.session, job, "the command stays in the caller's session")
            let group = try String(contentsOfFile: "/proc/\(job)/autogroup", encoding: .utf8)
            XCTAssertTrue(group.contains("nice 19"), group)
            XCTAssertEqual(ProcessStat(starter)?.policy, 5, "the command lowered itself before starting the copy, which inherits that")
            let name = try String(contentsOfFile: "/proc/\(job)/comm", encoding: .utf8)
            XCTAssertEqual(name, "recsys\n", "the copy is named after the program in ps and top")
        }
        input.fileHandleForWriting.write(Data("1:1 0 0 0 0 0 0 0 0 0\n2:0 1 0 0 0 0 0 0 0 0\n3:0 0 1 0 0 0 0 0 0 0\n".utf8))
        try input.fileHandleForWriting.close()
        shell.waitUntilExit()
        XCTAssertEqual(shell.terminationStatus, 0, "the command exits with the job's status")
        let table = try info("item2vec", in: dir)
        XCTAssertEqual(table["version"], "2")
        XCTAssertEqual(table["rows"], "3")
    }

    func state(_ pid: Int32) -> Substring? { ProcessStat(pid)?.fields.first }

    func waitForState(_ pid: Int32, _ wanted: (Substring?) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if wanted(state(pid)) { return true }
            usleep(20_000)
        }
        return false
    }

    func testCtrlZStopsTheJobAndFgContinuesIt() throws {
        try XCTSkipUnless(autogroupsEnabled, "without autogroups the job runs in the command's own process")
        let dir = TempDir()
        let (shell, input, starter, job) = try startBackgroundImport(dir)
        // what a terminal's Ctrl-Z does, then `fg`
        kill(starter, SIGTSTP)
        XCTAssertTrue(waitForState(job) { $0 == "T" }, "the job stops with the command: \(state(job) ?? "gone")")
        XCTAssertTrue(waitForState(starter) { $0 == "T" }, "the command stops, as a shell expects: \(state(starter) ?? "gone")")
        kill(starter, SIGCONT)
        XCTAssertTrue(waitForState(job) { $0 != "T" }, "the job continues with the command")
        input.fileHandleForWriting.write(Data("1:1 0 0 0 0 0 0 0 0 0\n".utf8))
        try input.fileHandleForWriting.close()
        shell.waitUntilExit()
        XCTAssertEqual(shell.terminationStatus, 0)
        XCTAssertEqual(try info("item2vec", in: dir)["version"], "2")
    }

    func testCtrlCReachesTheJobAndTheStoreIsUnchanged() throws {
        let dir = TempDir()
        let (shell, input, starter, job) = try startBackgroundImport(dir)
        input.fileHandleForWriting.write(Data("1:1 0 0 0 0 0 0 0 0 0\n".utf8))
        // what a terminal's Ctrl-C does: SIGINT to the command, not to a copy in another session
        kill(starter, SIGINT)
        shell.waitUntilExit()
        XCTAssertEqual(shell.terminationStatus, 128 + SIGINT, "the command ends by SIGINT, as the job did")
        XCTAssertTrue(waitForExit(job), "the job stopped")
        XCTAssertEqual(try info("item2vec", in: dir)["version"], "1", "an unfinished job commits nothing")
        try? input.fileHandleForWriting.close()
    }

    /// A caller that ignores SIGCHLD passes that on; the command must still
    /// see its copy finish rather than wait for ever.
    func testTheCommandEndsWhenItsCallerIgnoresSIGCHLD() throws {
        let dir = TempDir()
        let file = dir.write("v.txt", "1:1 0 0\n2:0 1 0\n")
        // perl (Debian's essential perl-base) passes an ignored SIGCHLD on
        // through exec; dash's `trap '' CHLD` does not
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
        shell.arguments = ["-e", "$SIG{CHLD} = 'IGNORE'; exec @ARGV or die", recsysBinary, "embedding", "import", file, "--table", "t", "--priority", "background", "--store", dir.file("s.lmdb")]
        shell.standardOutput = FileHandle.nullDevice
        shell.standardError = FileHandle.nullDevice
        try shell.run()
        let deadline = Date().addingTimeInterval(30)
        while shell.isRunning && Date() < deadline { usleep(20_000) }
        if shell.isRunning {
            shell.terminate()
            return XCTFail("the command did not end within 30 s")
        }
        XCTAssertEqual(shell.terminationStatus, 0)
        XCTAssertEqual(try info("t", in: dir)["rows"], "2")
    }

    func testKillingTheCommandStopsTheJob() throws {
        try XCTSkipUnless(autogroupsEnabled, "without autogroups the job runs in the command's own process")
        let dir = TempDir()
        let (shell, input, starter, job) = try startBackgroundImport(dir)
        kill(starter, SIGKILL)
        shell.waitUntilExit()
        XCTAssertTrue(waitForExit(job), "the job stops once the command that started it is gone")
        XCTAssertEqual(try info("item2vec", in: dir)["version"], "1", "an unfinished job commits nothing")
        try? input.fileHandleForWriting.close()
    }
}
