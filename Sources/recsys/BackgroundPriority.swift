import Foundation
import Serving
#if canImport(Glibc)
import Glibc
#endif

/// Lowers this process so that a bulk job (an import, a training run) takes
/// only the CPU a service reading the same store leaves idle.
///
/// Rules, and why:
/// - **SCHED_IDLE, then nice 19.** A request's thread waking up must take the
///   CPU from the job at once; under EEVDF a running nice-19 thread keeps it
///   until its slice ends, a `SCHED_IDLE` thread is preempted on every wakeup
///   of a normal one. Threads started afterwards inherit both, so this runs
///   before the job starts any.
/// - **The scheduling group is the caller's to choose.** With autogroups
///   (sched(7); on in most distributions' kernels) the CPU is first shared
///   between sessions and a priority only ranks threads inside their own. A
///   job started from the service's own session, or under `setsid -w` (its own
///   session, whose autogroup this then lowers to nice 19), or with
///   `systemd-run --scope -p CPUWeight=idle`, yields fully. From a separate
///   interactive session it yields within that session only.
///
/// Measured (recommend p99 under wrk while 100k-vector imports ran back to
/// back, the service in its own session): nice 19 alone 20.5-29.2 ms,
/// SCHED_IDLE 9.4-11.7 ms, SCHED_IDLE under `setsid` with its autogroup at
/// nice 19 7.9-8.5 ms, as without imports (bench/serve).
enum BackgroundPriority {
    /// Lowers this process; returns what could not be done, for a note on stderr.
    static func lowerThisProcess() -> [String] {
        var failures: [String] = []
        // the session's autogroup is this job's own only when it leads the session
        if getsid(0) == getpid(), autogroupsEnabled, !setAutogroupNice(19) {
            failures.append("its scheduling group's nice value")
        }
        var param = sched_param(sched_priority: 0)
        let schedIdle: Int32 = 5  // SCHED_IDLE in <sched.h>, behind _GNU_SOURCE: not imported into Swift
        if sched_setscheduler(0, schedIdle, &param) != 0 {
            failures.append("SCHED_IDLE (\(String(cString: strerror(errno))))")
        }
        // Linux: PRIO_PROCESS with 0 sets the calling thread, and threads it starts inherit it
        if setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19) != 0 {
            failures.append("nice 19 (\(String(cString: strerror(errno))))")
        }
        return failures
    }

    /// Whether the job shares its scheduling group with an interactive
    /// session, where lowering it yields only to that session's processes.
    static var sharesCallerSession: Bool { autogroupsEnabled && getsid(0) != getpid() }

    private static let autogroupsEnabled: Bool =
        (try? String(contentsOfFile: "/proc/sys/kernel/sched_autogroup_enabled", encoding: .utf8))?.hasPrefix("1") ?? false

    /// Sets the nice value of this session's autogroup. The kernel takes one
    /// such change every 100 ms from unprivileged processes (EAGAIN).
    private static func setAutogroupNice(_ nice: Int) -> Bool {
        for _ in 0..<20 {
            let fd = open("/proc/self/autogroup", O_WRONLY)
            guard fd >= 0 else { return false }
            let text = Array("\(nice)\n".utf8)
            let written = write(fd, text, text.count)
            let error = errno
            close(fd)
            if written == text.count { return true }
            guard error == EAGAIN else { return false }
            usleep(50_000)
        }
        return false
    }
}
