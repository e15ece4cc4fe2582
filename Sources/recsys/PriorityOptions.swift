import ArgumentParser
import EmbedStore
import Foundation

/// The CPU priority of a bulk job (an import, a training run).
enum JobPriority: String, ExpressibleByArgument, CaseIterable {
    /// Background while another process reads the store, else normal.
    case auto
    case normal
    /// nice 19: the job takes only the CPU nothing else wants.
    case background
}

/// `--priority`: bulk jobs yield the CPU to a service reading the same store.
///
/// A 100k-vector import running beside `recsys serve` on two cores took one
/// of them: recommend's p99 went from 7 to 16.6 ms. At nice 19 it was 8.7 ms,
/// and the import still finished (bench/results/serve.md). Background work
/// giving way to foreground reads is what storage engines do by default
/// (RocksDB lowers its compaction threads' priority), so `auto` does it
/// whenever another process has the store open for reading.
struct PriorityOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "auto, normal or background (nice 19).",
        discussion: "auto: background while another process (a running `recsys serve`) reads the store, so the job does not take CPU from its requests; normal otherwise."))
    var priority: JobPriority = .auto

    /// Lowers this process's CPU priority when asked to, or under `auto` when
    /// another process reads `store` (nil: no store yet, so no reader); says
    /// so on stderr under `auto`. Call it before the job starts threads: they
    /// inherit the priority.
    func apply(store: Store?, job: String) {
        let readers = priority == .auto ? store?.otherReaderProcesses() ?? [] : []
        guard priority == .background || !readers.isEmpty else { return }
        // Linux: PRIO_PROCESS with 0 sets the calling thread, and threads it starts inherit it
        guard setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19) == 0 else {
            writeStderr("note: could not lower the CPU priority (\(String(cString: strerror(errno)))); running at normal priority\n")
            return
        }
        if priority == .auto {
            let who = readers.prefix(3).map(String.init).joined(separator: ", ") + (readers.count > 3 ? ", ..." : "")
            writeStderr("note: the store is being read by process \(who); \(job) at background CPU priority (nice 19) to leave it the CPU (--priority normal to run at full priority)\n")
        }
    }
}
