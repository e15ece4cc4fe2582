import Foundation

/// Buffered output to a file or standard output.
///
/// Rules for the destination, so an export never destroys what is there:
/// - `-` is standard output.
/// - An absent path or a regular file is written under a temporary name in
///   the same directory and renamed into place by `commit()`: a failed or
///   killed export leaves the old file (or nothing) behind. A replaced file
///   keeps its permission bits (and its owner, where we may set it).
/// - A regular file with several hard links is refused: renaming over it
///   would split it from its other names.
/// - A symlink is followed: its target is replaced as above and the link
///   stays. A dangling symlink is refused.
/// - Anything else that accepts writes (a device such as /dev/null, a FIFO,
///   a socket) is written directly; it cannot be replaced atomically.
/// - A directory is refused.
public final class ByteWriter {
    /// The destination path (`-` for standard output).
    public let path: String
    private let fd: Int32
    private var tempPath: String?
    /// The path the temporary file is renamed to (the symlink's target when `path` is one).
    private var finalPath: String
    /// True when writing straight to a device, FIFO or socket.
    private let direct: Bool
    /// Bytes buffered but not yet written.
    var buffer: [UInt8] = []
    /// Bytes written so far.
    public private(set) var written = 0

    /// Opens `path` for writing (`-` is standard output).
    public init(path: String) throws {
        self.path = path
        finalPath = path
        func fail(_ reason: String) -> StoreError { StoreError.io(path: path, reason: reason) }
        func errnoText() -> String { String(cString: strerror(errno)) }
        if path == "-" {
            fd = 1
            direct = true
            buffer.reserveCapacity(1 << 20)
            return
        }
        var st = stat()
        var exists = lstat(path, &st) == 0
        if exists && (st.st_mode & S_IFMT) == S_IFLNK {
            guard let resolved = realpath(path, nil) else {
                throw fail("is a symlink to a missing file (\(errnoText())); give the target's path")
            }
            finalPath = String(cString: resolved)
            free(resolved)
            exists = stat(finalPath, &st) == 0
        }
        let type = st.st_mode & S_IFMT
        if exists && type == S_IFDIR { throw fail("is a directory") }
        if exists && type != S_IFREG {
            fd = open(finalPath, O_WRONLY | O_NOCTTY | O_CLOEXEC)
            if fd < 0 { throw fail("cannot open for writing: \(errnoText())") }
            direct = true
        } else {
            if exists && st.st_nlink > 1 {
                throw fail("has \(st.st_nlink) hard links; replacing it would split them: remove it first or write elsewhere")
            }
            let t = finalPath + ".tmp-\(getpid())"
            unlink(t)
            fd = open(t, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, exists ? 0o600 : 0o666)
            if fd < 0 { throw fail("cannot create: \(errnoText())") }
            if exists {
                _ = fchown(fd, st.st_uid, st.st_gid) // only root may give a file away; keep ours otherwise
                _ = fchmod(fd, st.st_mode & 0o7777)
            }
            tempPath = t
            direct = false
        }
        buffer.reserveCapacity(1 << 20)
    }

    deinit {
        if let tempPath {
            close(fd)
            unlink(tempPath)
        } else if direct && fd != 1 {
            close(fd)
        }
    }

    /// Appends bytes, flushing when the buffer is full.
    @inline(__always)
    func flushIfFull() throws { if buffer.count >= 1 << 20 { try flush() } }

    /// Writes buffered bytes out.
    func flush() throws {
        try buffer.withUnsafeBytes { b in
            var off = 0
            while off < b.count {
                let n = Foundation.write(fd, b.baseAddress! + off, b.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw StoreError.io(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
                }
                off += n
            }
        }
        written += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, syncs and moves the file into place.
    public func commit() throws {
        try flush()
        guard let tempPath else { return }
        if fsync(fd) != 0 { throw StoreError.io(path: path, reason: "fsync failed: \(String(cString: strerror(errno)))") }
        close(fd)
        if rename(tempPath, finalPath) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(tempPath)
            throw StoreError.io(path: path, reason: "cannot move into place: \(reason)")
        }
        self.tempPath = nil
    }
}
