import CKernels

/// A process that maps a store reads its pages straight from the file; when
/// something truncates the file underneath, the next read of a vanished page
/// raises SIGBUS. The service checks the file's size per request (see
/// `Store.requireDataFileIntact`), which leaves only a narrow race; for that
/// race this turns the signal into a one-line message and exit status 74
/// instead of a bare "Bus error", so an operator (or systemd) sees why.
public enum MappedFileFaults {
    /// Installs, for any command, a note printed before a memory fault's
    /// backtrace: a damaged store is the likely cause when LMDB faults.
    public static func explainFaults() {
        recsys_explain_fatal_signals("recsys: memory fault. If the store's files are damaged (a disk fault, a partial copy), LMDB can fault reading them: run `recsys store verify` and restore the store from a snapshot or a copy made with `mdb_copy`. Otherwise this is a bug in recsys; the backtrace follows.\n")
    }

    /// Installs the handler; `store` is named in the message.
    public static func exitWithMessage(store: String) {
        recsys_on_sigbus_exit("recsys: SIGBUS reading \(store)/data.mdb: the file was truncated or its disk failed while it was open; restore the store from a snapshot or a copy made with `mdb_copy`\n")
    }
}
