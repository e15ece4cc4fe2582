import Foundation

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
    /// `executable`: this program's file (re-executing `/proc/self/exe`
    /// would name the process "exe").
    public static func reexecWithDetectedCoreTypeIfNeeded(executable: String = "/proc/self/exe") {
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
        execv(executable, argv)
        // exec failed: carry on with whatever kernels were picked
        #endif
    }
}
