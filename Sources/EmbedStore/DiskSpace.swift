import Foundation

/// Free space on the file system holding a store, so a full disk is reported
/// as such. LMDB reports a short write as EIO ("Input/output error"), which is
/// what a disk that fills during a commit produces; `Store.write` asks here
/// before passing that code on.
public enum DiskSpace {
    /// Bytes an unprivileged process may still write on the file system of
    /// `path` (or of its nearest existing parent directory); nil if unknown.
    public static func available(at path: String) -> Int? {
        var p = path.isEmpty ? "." : path
        var st = statvfs()
        while statvfs(p, &st) != 0 {
            guard errno == ENOENT else { return nil }
            let parent = (p as NSString).deletingLastPathComponent
            if parent == p || parent.isEmpty { p = "."; if statvfs(p, &st) != 0 { return nil }; break }
            p = parent
        }
        return Int(st.f_bavail) * Int(st.f_frsize)
    }

    /// Throws `diskFull` when the file system of `path` has less than
    /// `bytes` free: a long job checks this before it starts, not at the end.
    public static func require(_ bytes: Int, at path: String) throws {
        if let free = available(at: path), free < bytes {
            throw StoreError.diskFull(path: path, available: free, needed: bytes)
        }
    }

    /// A full disk (ENOSPC, or EIO with under 16 MiB left) as `diskFull`; nil otherwise.
    static func diagnose(code: Int32, path: String) -> StoreError? {
        guard code == ENOSPC || code == EIO, let free = available(at: path) else { return nil }
        if code == ENOSPC || free < 16 << 20 { return .diskFull(path: path, available: free, needed: nil) }
        return nil
    }
}
