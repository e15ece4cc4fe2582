import ArgumentParser
import EmbedStore
import Foundation
import Serving

/// The CPU priority of a bulk job (an import, a training run).
enum JobPriority: String, ExpressibleByArgument, CaseIterable {
    /// Background while another process reads the store, else normal.
    case auto
    case normal
    /// Only the CPU nothing else wants (see `BackgroundPriority`).
    case background
}

/// A command that does bulk work on a store and takes `--priority`.
protocol PrioritizedJob: ParsableCommand {
    var priority: PriorityOptions { get }
    var store: StoreOptions { get }
    /// What the job is doing, for the note on stderr ("importing").
    var jobName: String { get }
}

extension PrioritizedJob {
    /// Sets the job's priority. `Recsys.main` calls this right after parsing,
    /// before `run()`, so that as little as possible of the job runs at
    /// normal priority beside a service.
    func applyPriority() {
        // the store as it is now: none yet means no reader (and nothing created here)
        priority.apply(store: priority.priority == .auto ? try? store.openIfExists() : nil, job: jobName)
    }
}

/// `--priority`: bulk jobs yield the CPU to a service reading the same store.
///
/// Back-to-back 100k-vector imports beside `recsys serve` on two cores took
/// one of them: recommend's p99 went from 6.9 to 25-28 ms; in the background
/// it stayed under 10 ms and the imports still finished (bench/serve).
/// Background work giving way to foreground reads is what storage engines do
/// by default (RocksDB lowers its compaction threads' priority), so `auto`
/// does it whenever another process has the store open for reading.
struct PriorityOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "auto, normal or background.",
        discussion: "background: SCHED_IDLE and nice 19, so the job takes only CPU time nothing else wants (run it under `setsid -w` to give it a scheduling group of its own when the service runs in another session). auto: background while another process (a running `recsys serve`) reads the store, normal otherwise."))
    var priority: JobPriority = .auto

    /// Lowers this process's CPU priority when asked to, or under `auto` when
    /// another process reads `store` (nil: no store, so no reader); says so
    /// on stderr under `auto`.
    func apply(store: Store?, job: String) {
        let readers = priority == .auto ? store?.otherReaderProcesses() ?? [] : []
        guard priority == .background || !readers.isEmpty else { return }
        if priority == .auto {
            let who = readers.prefix(3).map(String.init).joined(separator: ", ") + (readers.count > 3 ? ", ..." : "")
            writeStderr("note: the store is being read by process \(who); \(job) at background CPU priority to leave it the CPU (--priority normal to run at full priority)\n")
        }
        let failures = BackgroundPriority.lowerThisProcess()
        if !failures.isEmpty {
            writeStderr("note: could not lower the CPU priority: \(failures.joined(separator: ", ")); that part runs at normal priority\n")
        }
    }
}
