import Foundation

/// Buffered output to a file or standard output. A file is written under a
/// temporary name and renamed into place by `commit()`, so a failed or killed
/// export never leaves a half-written file behind.
public final class ByteWriter {
    /// The destination path (`-` for standard output).
    public let path: String
    private let fd: Int32
    private var tempPath: String?
    /// Bytes buffered but not yet written.
    var buffer: [UInt8] = []
    /// Bytes written so far.
    public private(set) var written = 0

    /// Opens `path` for writing (`-` is standard output).
    public init(path: String) throws {
        self.path = path
        if path == "-" {
            fd = 1
            tempPath = nil
        } else {
            let t = path + ".tmp-\(getpid())"
            fd = open(t, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            if fd < 0 { throw StoreError.io(path: path, reason: "cannot create: \(String(cString: strerror(errno)))") }
            tempPath = t
        }
        buffer.reserveCapacity(1 << 20)
    }

    deinit {
        if let tempPath {
            close(fd)
            unlink(tempPath)
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
        if rename(tempPath, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(tempPath)
            throw StoreError.io(path: path, reason: "cannot move into place: \(reason)")
        }
        self.tempPath = nil
    }
}
