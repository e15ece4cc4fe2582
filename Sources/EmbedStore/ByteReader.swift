import Foundation

/// Streams a file through a fixed buffer: lines (NUL-terminated in place, so
/// C number parsers can run on them) or exact byte counts for binary formats.
/// Memory stays bounded whatever the file size: a line longer than
/// `maxLineLength` is an error (`file:line: line longer than N bytes`), not a
/// buffer that grows until the machine runs out (`/dev/zero` as a CSV).
public final class ByteReader {
    /// The longest line any text input may hold: 16 MiB, a million-dimension
    /// vector as text, unless `RECSYS_MAX_LINE_BYTES` says otherwise.
    public static let maxLineLength: Int = {
        if let text = ProcessInfo.processInfo.environment["RECSYS_MAX_LINE_BYTES"], let n = Int(text), n > 0 { return n }
        return 16 << 20
    }()

    /// The file's path, for error messages.
    public let path: String
    private let fd: Int32
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0
    private var end = 0
    private var eof = false
    /// Bytes consumed so far.
    public private(set) var offset = 0
    /// Number of the last line returned by `nextLine`, from 1.
    public private(set) var lineNumber = 0
    /// The file's size in bytes (0 for pipes).
    public let size: Int

    /// Opens `path` for reading (`-` is standard input).
    public init(path: String, bufferSize: Int = 1 << 20) throws {
        self.path = path
        if path == "-" {
            fd = dup(0)
        } else {
            fd = open(path, O_RDONLY)
        }
        if fd < 0 { throw StoreError.io(path: path, reason: String(cString: strerror(errno))) }
        var st = stat()
        fstat(fd, &st)
        if (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw StoreError.io(path: path, reason: "is a directory")
        }
        size = (st.st_mode & S_IFMT) == S_IFREG ? Int(st.st_size) : 0
        capacity = bufferSize
        buffer = .allocate(byteCount: capacity + 1, alignment: 16)
    }

    deinit {
        buffer.deallocate()
        close(fd)
    }

    /// Reads more data so at least `need` bytes are buffered (fewer at end of file).
    private func fill(_ need: Int) throws {
        if end - start >= need || eof { return }
        if start > 0 {
            memmove(buffer, buffer + start, end - start)
            end -= start
            start = 0
        }
        if need > capacity {
            var newCapacity = capacity
            while newCapacity < need { newCapacity *= 2 }
            let b = UnsafeMutableRawPointer.allocate(byteCount: newCapacity + 1, alignment: 16)
            b.copyMemory(from: buffer, byteCount: end)
            buffer.deallocate()
            buffer = b
            capacity = newCapacity
        }
        while end - start < need && !eof {
            let n = Foundation.read(fd, buffer + end, capacity - end)
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.io(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { eof = true } else { end += n }
        }
    }

    /// The next line without its `\n` (and `\r`), NUL-terminated in place; nil at end of file.
    /// Valid until the next call.
    public func nextLine() throws -> UnsafeMutableBufferPointer<UInt8>? {
        var scanned = 0
        while true {
            let base = buffer.assumingMemoryBound(to: UInt8.self)
            if let nl = memchr(base + start + scanned, 0x0A, end - start - scanned) {
                let nlIndex = nl.assumingMemoryBound(to: UInt8.self) - base
                if nlIndex - start > Self.maxLineLength { throw lineTooLong() }
                return takeLine(upTo: nlIndex, consumed: nlIndex + 1)
            }
            scanned = end - start
            if scanned > Self.maxLineLength { throw lineTooLong() }
            if eof {
                if start == end { return nil }
                return takeLine(upTo: end, consumed: end)
            }
            try fill(scanned + 1)
        }
    }

    private func lineTooLong() -> StoreError {
        StoreError.badInput(file: path, location: "\(lineNumber + 1)",
                            reason: "line longer than \(Self.maxLineLength) bytes (is this a text file? RECSYS_MAX_LINE_BYTES raises the limit)")
    }

    private func takeLine(upTo stop: Int, consumed: Int) -> UnsafeMutableBufferPointer<UInt8> {
        let base = buffer.assumingMemoryBound(to: UInt8.self)
        var last = stop
        if last > start && base[last - 1] == 0x0D { last -= 1 }
        base[last] = 0
        let line = UnsafeMutableBufferPointer(start: base + start, count: last - start)
        offset += consumed - start
        start = consumed
        lineNumber += 1
        return line
    }

    /// Exactly `count` bytes; nil at a clean end of file; throws when the file
    /// ends inside them (`what` names the record for the message).
    public func read(exactly count: Int, what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer? {
        try fill(count)
        if end - start == 0 && count > 0 { return nil }
        if end - start < count {
            throw StoreError.badInput(file: path, location: "", reason: "truncated: the file ends inside \(what()) (\(end - start) of \(count) bytes present)")
        }
        let p = UnsafeRawBufferPointer(start: buffer + start, count: count)
        start += count
        offset += count
        return p
    }

    /// The next byte without consuming it; nil at end of file.
    public func peekByte() throws -> UInt8? {
        try fill(1)
        return end > start ? buffer.load(fromByteOffset: start, as: UInt8.self) : nil
    }

    /// Up to `count` bytes from the current position, not consumed.
    public func peek(_ count: Int) throws -> [UInt8] {
        try fill(count)
        return Array(UnsafeRawBufferPointer(start: buffer + start, count: min(count, end - start)))
    }

    /// Reads bytes up to (not including) `delimiter`, consuming the delimiter.
    /// Returns nil at a clean end of file.
    public func read(until delimiter: UInt8, limit: Int, what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer? {
        var scanned = 0
        while true {
            let p = buffer + start
            if let hit = memchr(p + scanned, Int32(delimiter), end - start - scanned) {
                let n = hit - p
                if n > limit { throw StoreError.badInput(file: path, location: "", reason: "\(what()) is longer than \(limit) bytes") }
                let out = UnsafeRawBufferPointer(start: p, count: n)
                start += n + 1
                offset += n + 1
                return out
            }
            scanned = end - start
            if scanned > limit { throw StoreError.badInput(file: path, location: "", reason: "\(what()) is longer than \(limit) bytes") }
            if eof {
                if scanned == 0 { return nil }
                throw StoreError.badInput(file: path, location: "", reason: "truncated: the file ends inside \(what())")
            }
            try fill(scanned + 1)
        }
    }
}
