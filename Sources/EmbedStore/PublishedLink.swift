import Foundation

/// A published store: a symbolic link naming the snapshot directory that
/// replicas serve (`recsys serve --store LINK` follows it).
///
/// Rules:
/// - Publishing makes a new link beside the old one and renames it over the
///   old one; rename(2) is atomic, so whoever resolves the link finds the old
///   target or the new one, never nothing.
/// - The link holds the target's absolute path, so it resolves the same from
///   any working directory.
/// - Only a link (or nothing) is replaced: a real directory at the link's
///   path is refused rather than removed.
public enum PublishedLink {
    /// Points `link` at the store directory `dir` (which must hold data.mdb).
    public static func publish(_ dir: String, at link: String) throws {
        guard let target = realPath(dir), FileManager.default.fileExists(atPath: (target as NSString).appendingPathComponent("data.mdb")) else {
            throw StoreError.io(path: dir, reason: "no data.mdb here: only a store directory can be published")
        }
        var st = stat()
        if lstat(link, &st) == 0 && (st.st_mode & S_IFMT) != S_IFLNK {
            throw StoreError.invalidArgument("'\(link)' exists and is not a symbolic link: publishing replaces only a link")
        }
        let fresh = "\(link).publishing-\(getpid())"
        unlink(fresh)
        guard symlink(target, fresh) == 0 else { throw StoreError.io(path: fresh, reason: String(cString: strerror(errno))) }
        guard rename(fresh, link) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(fresh)
            throw StoreError.io(path: link, reason: "renaming \(fresh) over it: \(reason)")
        }
    }

    /// Whether `path` is a symbolic link (what `serve` follows).
    public static func isLink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    /// `path` with every symbolic link resolved; nil when it does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}
