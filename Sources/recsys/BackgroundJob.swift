import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a bulk job (an import, a training run) so that it takes only the CPU
/// a service reading the same store leaves idle.
///
/// Two things decide that on Linux, and a nice value covers neither alone:
///
/// - **Wakeup preemption.** A request's thread waking up must take the CPU
///   from the job at once. Under EEVDF a running nice-19 thread keeps the CPU
///   until its slice runs out; a `SCHED_IDLE` thread is preempted on every
///   wakeup of a normal one.
/// - **The job's share across sessions.** With autogroups (sched(7); on by
///   default, and on here) the scheduler first shares the CPU between
///   sessions, and a nice value only ranks threads inside their own session.
///   A service started in its own session (systemd, `setsid`, another
///   terminal) and a nice-19 import started from a shell got equal halves.
///   The job therefore runs in a session of its own whose autogroup is set to
///   nice 19 (`/proc/self/autogroup`).
///
/// Measured with recommend under wrk while 100k-vector imports ran back to
/// back (20 s runs, `bench/serve`): the service in its own session, nice 19
/// alone gave a p99 of 20.5-29.2 ms (43-133 requests over 25 ms in the
/// handler); SCHED_IDLE 9.4-10.5 ms; SCHED_IDLE in its own nice-19 autogroup
/// 7.9-8.5 ms and none over 25 ms, as without imports.
///
/// A new session cannot be entered by a process-group leader (any command a
/// shell with job control starts), and a process that leaves its session no
/// longer gets the terminal's Ctrl-C. So the job is handed to a copy of this
/// process started in a new session (`POSIX_SPAWN_SETSID`), and this process
/// stays where it was: it forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT to the
/// copy, stops and continues it with itself (Ctrl-Z, `fg`), and ends as the
/// copy ended, with its exit status or by its signal.
/// If this process is killed outright, the copy sees its end of a pipe close
/// and stops: an unfinished job commits nothing.
enum BackgroundJob {
    /// Set in a copy's environment to the descriptor of the pipe whose
    /// closing means the process that started it is gone.
    static let pipeVariable = "RECSYS_BACKGROUND_JOB_PIPE"

    /// In a copy started by `handOff()`: that pipe; nil in any other process.
    static var handedOffPipe: Int32? { getenv(pipeVariable).flatMap { Int32(String(cString: $0)) } }

    /// Lowers this process to background priority. In a copy started by
    /// `handOff()` also watches the starting process and stops with it. Call
    /// it before the job starts threads: they inherit the policy. Returns
    /// what could not be done, for a note on stderr.
    static func lowerThisProcess() -> [String] {
        var failures: [String] = []
        // the session's autogroup holds this process (and what it starts) only
        // when this process leads the session: never lower someone else's shell
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
        if let pipe = handedOffPipe { stopWhenClosed(pipe) }
        return failures
    }

    /// Whether the job must move to a session of its own to get a background
    /// share of the CPU: autogroups are on and this process does not lead its
    /// session already.
    static var needsOwnSession: Bool { autogroupsEnabled && getsid(0) != getpid() }

    /// Runs this command again in a new session with the same arguments,
    /// standard streams and environment, forwards termination signals to it
    /// and exits as it exits. Returns only if the copy could not be started,
    /// with the reason.
    static func handOff() -> String {
        let forwarded: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
        var watched = sigset_t(), previous = sigset_t()
        sigemptyset(&watched)
        for s in forwarded + [SIGCHLD, SIGTSTP, SIGCONT] { sigaddset(&watched, s) }
        // blocked from here on, taken with sigtimedwait below: no handler runs
        // between the copy starting and this process waiting for it
        pthread_sigmask(SIG_BLOCK, &watched, &previous)
        // a SIGCHLD ignored by whoever started this process would reap the copy
        // unseen, and waitpid would never report it
        Glibc.signal(SIGCHLD, SIG_DFL)
        func restore() { pthread_sigmask(SIG_SETMASK, &previous, nil) }

        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { restore(); return "pipe: \(String(cString: strerror(errno)))" }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { close(writeEnd) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in forwarded + [SIGCHLD, SIGTSTP, SIGCONT] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigmask(&attributes, &previous)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // POSIX_SPAWN_SETSID is glibc's 0x80 (since 2.26), not imported into Swift
        let setsid: Int32 = 0x80
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | setsid))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addclose(&actions, writeEnd)

        var environment = ProcessInfo.processInfo.environment
        environment[pipeVariable] = String(readEnd)
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, executablePath, &actions, &attributes, CommandLine.unsafeArgv, envp)
        close(readEnd)
        guard spawned == 0 else { restore(); return "starting it in its own session: \(String(cString: strerror(spawned)))" }

        while true {
            var status: Int32 = 0
            let waited = waitpid(child, &status, WNOHANG)
            if waited < 0 && errno == ECHILD {
                writeStderr("error: lost track of the background job (process \(child))\n")
                exit(1)
            }
            if waited == child {
                let signal = status & 0x7f
                if signal == 0 { exit((status >> 8) & 0xff) }
                // end by the same signal, so a shell sees what the user did
                Glibc.signal(signal, SIG_DFL)
                restore()
                var only = sigset_t()
                sigemptyset(&only)
                sigaddset(&only, signal)
                pthread_sigmask(SIG_UNBLOCK, &only, nil)
                raise(signal)
                exit(128 + signal)
            }
            var timeout = timespec(tv_sec: 1, tv_nsec: 0)
            switch sigtimedwait(&watched, nil, &timeout) {
            case SIGTSTP:
                // Ctrl-Z: the copy's process group has no parent in its session
                // (orphaned), where the kernel drops SIGTSTP, so it gets SIGSTOP;
                // then this process stops as the shell expects, until `fg` or `bg`
                kill(child, SIGSTOP)
                kill(getpid(), SIGSTOP)
            case SIGCONT:
                kill(child, SIGCONT)
            case let signal where forwarded.contains(signal):
                kill(child, signal)
            default:
                break  // SIGCHLD or the timeout: waitpid above tells
            }
        }
    }

    /// This program's file, so that a copy or a re-execution is named after
    /// it in `ps` and `top` (`/proc/self/exe` would make every one "exe").
    static let executablePath: String = {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let path = n > 0 ? String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        // a binary replaced since it started reads "/path (deleted)"; only the link still reaches it
        return path.hasPrefix("/") && access(path, X_OK) == 0 ? path : "/proc/self/exe"
    }()

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

    /// Stops this process with SIGTERM once the write end of `fd` closes:
    /// the process that started it is gone.
    private static func stopWhenClosed(_ fd: Int32) {
        let watcher = Thread {
            var byte: UInt8 = 0
            while true {
                let n = read(fd, &byte, 1)
                if n == 0 { break }
                if n < 0 && errno != EINTR { return }  // not a pipe from handOff(): nothing to watch
            }
            kill(getpid(), SIGTERM)
        }
        watcher.start()
    }
}
