import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// OpenBLAS picks its kernels from the CPU model at load time. Under some
/// hypervisors it cannot identify the CPU ("Intel Xeon Processor") and falls
/// back to its Prescott (SSE3) kernels: measured here, scoring 800 candidates
/// took 2.1 ms with them and 0.9 ms with the SkylakeX ones, and training ran
/// 1.5x slower. The core type can only be chosen before the library loads, so
/// a program calls this first thing: when `OPENBLAS_CORETYPE` is unset it sets
/// it from /proc/cpuinfo's flags and re-executes itself once.
///
/// The same re-execution starts OpenBLAS with one thread unless
/// `OPENBLAS_NUM_THREADS` says otherwise: its worker threads spin in
/// `sched_yield` after start-up and after every threaded call, which on a
/// 2-core machine took a third of the CPU from a recall benchmark and from the
/// service's event loops. Training raises the count for large batches.
public enum OpenBLASSetup {
    /// Call first thing in `main`, before anything loads OpenBLAS.
    public static func reexecWithDetectedCoreTypeIfNeeded() {
        #if os(Linux) && arch(x86_64)
        let env = ProcessInfo.processInfo.environment
        guard env["RECSYS_NO_REEXEC"] == nil else { return }
        var changed = false
        if env["OPENBLAS_NUM_THREADS"] == nil {
            setenv("OPENBLAS_NUM_THREADS", "1", 1)
            changed = true
        }
        if env["OPENBLAS_CORETYPE"] == nil,
           let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) {
            let flags = Set(flagsLine.split(separator: " ").map(String.init))
            if flags.contains("avx512f") && flags.contains("avx512bw") { setenv("OPENBLAS_CORETYPE", "SkylakeX", 1); changed = true }
            else if flags.contains("avx2") && flags.contains("fma") { setenv("OPENBLAS_CORETYPE", "Haswell", 1); changed = true }
        }
        guard changed else { return }
        setenv("RECSYS_NO_REEXEC", "1", 1)
        let argv = CommandLine.unsafeArgv
        execv(executablePath, argv)
        // exec failed: carry on with whatever kernels were picked
        #endif
    }

    /// This program's file, so that the re-executed process is named after
    /// it in `ps` and `top` (`/proc/self/exe` would make it "exe").
    static let executablePath: String = {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let path = n > 0 ? String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        // a binary replaced since it started reads "/path (deleted)"; only the link still reaches it
        return path.hasPrefix("/") && access(path, X_OK) == 0 ? path : "/proc/self/exe"
    }()
}
