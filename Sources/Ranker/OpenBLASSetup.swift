import Foundation

/// OpenBLAS picks its kernels from the CPU model at load time. Under some
/// hypervisors it cannot identify the CPU ("Intel Xeon Processor") and falls
/// back to its Prescott (SSE3) kernels: measured here, scoring 800 candidates
/// took 2.1 ms with them and 0.9 ms with the SkylakeX ones, and training ran
/// 1.5x slower. The core type can only be chosen before the library loads, so
/// a program calls this first thing: when `OPENBLAS_CORETYPE` is unset it sets
/// it from /proc/cpuinfo's flags and re-executes itself once.
public enum OpenBLASSetup {
    public static func reexecWithDetectedCoreTypeIfNeeded() {
        #if os(Linux) && arch(x86_64)
        let env = ProcessInfo.processInfo.environment
        guard env["OPENBLAS_CORETYPE"] == nil, env["RECSYS_NO_REEXEC"] == nil,
              let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        let core: String
        if flags.contains("avx512f") && flags.contains("avx512bw") { core = "SkylakeX" }
        else if flags.contains("avx2") && flags.contains("fma") { core = "Haswell" }
        else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv("RECSYS_NO_REEXEC", "1", 1)
        let argv = CommandLine.unsafeArgv
        execv("/proc/self/exe", argv)
        // exec failed: carry on with whatever kernels were picked
        #endif
    }
}
