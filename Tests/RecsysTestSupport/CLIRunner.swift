import Foundation

/// The built `recsys` binary, beside the test bundle.
public let recsysBinary: String = {
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("recsys").path,
        Bundle.main.bundleURL.appendingPathComponent("recsys").path,
        Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("recsys").path,
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
}()

public let sampleData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("data/sparrowrecsys").path

public struct RunResult {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs `recsys` with `arguments` and waits for it.
@discardableResult
public func recsys(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil) throws -> RunResult {
    try run(recsysBinary, arguments, environment: environment, stdin: stdin)
}

/// Runs `recsys` as a user without the test's privileges: as root (where
/// file permissions do not bind), as `nobody` through util-linux's
/// `setpriv`; otherwise as the test's own user, whom a file's mode binds.
@discardableResult
public func recsysUnprivileged(_ arguments: [String]) throws -> RunResult {
    guard geteuid() == 0 else { return try recsys(arguments) }
    return try run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", recsysBinary] + arguments)
}

/// Runs `executable` and waits for it, at most `timeout` seconds: past that
/// the process is killed and the result says so in `stderr`, so a regression
/// that hangs fails the test instead of the whole run.
private func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
                 timeout: TimeInterval = 300) throws -> RunResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["RECSYS_STORE"] = nil
    for (k, v) in environment { env[k] = v }
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    if let stdin {
        let inp = Pipe()
        p.standardInput = inp
        try p.run()
        inp.fileHandleForWriting.write(Data(stdin.utf8))
        try inp.fileHandleForWriting.close()
    } else {
        p.standardInput = FileHandle.nullDevice
        try p.run()
    }
    let pid = p.processIdentifier
    let killed = ManagedFlag()
    let watchdog = DispatchWorkItem {
        killed.set()
        kill(pid, SIGKILL)
    }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    watchdog.cancel()
    var stderr = String(decoding: e, as: UTF8.self)
    if killed.isSet { stderr += "\n[killed after \(Int(timeout)) s timeout]" }
    return RunResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: stderr)
}

public func jsonObject(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8))
}

/// A flag set once from another thread.
