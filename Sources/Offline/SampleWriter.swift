import Foundation

/// Writes CSV rows into a plain buffer flushed to a file descriptor in
/// large writes; numbers are formatted without building Strings. A raw
/// buffer rather than an array: a row is dozens of small appends, and each
/// array append paid uniqueness and exclusivity checks.
final class SampleWriter {
    private var capacity = 1 << 21
    private let flushAt = 1 << 20
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private let fd: Int32
    private let path: String
    /// Ratings as text, by bit pattern: a log holds a handful of distinct values.
    private var floatText: [UInt32: [UInt8]] = [:]

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// One byte; every row reserves room for its fixed-size parts first.
    @inline(__always) private func byte(_ c: UInt8) { base[count] = c; count += 1 }

    /// Room for `n` more bytes: a row is written whole before a flush, and
    /// a field of any length grows the buffer rather than failing.
    private func reserve(_ n: Int) {
        guard count + n > capacity else { return }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: max(2 * capacity, count + n))
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = max(2 * capacity, count + n)
    }

    private func bytes(_ p: UnsafeBufferPointer<UInt8>) {
        reserve(p.count + 1024)
        (base + count).update(from: p.baseAddress!, count: p.count)
        count += p.count
    }

    /// A string field, quoted when it holds a comma, a quote or a line break (RFC 4180).
    func text(_ s: String) {
        var s = s
        s.withUTF8 { u in
            guard u.count > 0 else { return }
            if u.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }) {
                reserve(2 * u.count + 1026)
                byte(UInt8(ascii: "\""))
                for c in u {
                    if c == UInt8(ascii: "\"") { byte(c) }
                    byte(c)
                }
                byte(UInt8(ascii: "\""))
            } else {
                bytes(u)
            }
        }
    }

    /// A missing string feature, written as SparrowRecSys's samples hold it.
    func empty() { byte(UInt8(ascii: "\"")); byte(UInt8(ascii: "\"")) }

    func int(_ v: Int) {
        if v < 0 { byte(UInt8(ascii: "-")) }
        var m = v.magnitude
        var digits = 0
        var t = m
        repeat { digits += 1; t /= 10 } while t > 0
        var i = count + digits - 1
        repeat { base[i] = UInt8(48 + m % 10); m /= 10; i -= 1 } while m > 0
        count += digits
    }

    /// `x` with two decimals, as Spark's `format_number(x, 2)` spells values
    /// under 1,000: the exact binary value rounded half to even.
    func fixed2(_ x: Double) {
        let y = x * 100
        // y within rounding error of a .5 boundary: let printf decide on the exact value
        if abs(abs(y - y.rounded(.down)) - 0.5) < 1e-7 {
            var out = [CChar](repeating: 0, count: 64)
            let n = withVaList([x]) { vsnprintf(&out, 64, "%.2f", $0) }
            out.withUnsafeBufferPointer { $0.withMemoryRebound(to: UInt8.self) { bytes(UnsafeBufferPointer(rebasing: $0[0..<Int(n)])) } }
            return
        }
        var cents = Int(y.rounded())
        if cents < 0 { byte(UInt8(ascii: "-")); cents = -cents }
        int(cents / 100)
        byte(UInt8(ascii: "."))
        byte(UInt8(48 + (cents % 100) / 10))
        byte(UInt8(48 + cents % 10))
    }

    /// The shortest text that reads back as `x` (`4.0`, `3.5`).
    func float(_ x: Float) {
        if let known = floatText[x.bitPattern] { known.withUnsafeBufferPointer { bytes($0) }; return }
        let text = Array(x.description.utf8)
        floatText[x.bitPattern] = text
        text.withUnsafeBufferPointer { bytes($0) }
    }

    func comma() { byte(UInt8(ascii: ",")) }

    /// Room for a row's numbers, separators and empty fields (strings reserve their own).
    func beginRow() { reserve(1024) }

    func endRow() throws {
        byte(10)
        if count >= flushAt { try flush() }
    }

    /// A line written as it is (a header).
    func line(_ s: String) throws {
        var s = s
        s.withUTF8 { bytes($0) }
        reserve(1)
        byte(10)
        try flush()
    }

    func flush() throws {
        var off = 0
        while off < count {
            let n = write(fd, base + off, count - off)
            if n < 0 {
                if errno == EINTR { continue }
                throw OfflineError.unusable(file: path, reason: "write failed: \(String(cString: strerror(errno)))")
            }
            off += n
        }
        count = 0
    }
}

/// A file written whole or not at all: rows go to a temporary file beside
/// it, renamed over the target once complete, so a failure or a crash
/// never leaves a half-written file at `path`.
final class AtomicFile {
    let path: String
    let temporary: String
    let fd: Int32
    private var committed = false

    init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp").path
        fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OfflineError.unusable(file: path, reason: "cannot be written: \(String(cString: strerror(errno)))") }
    }

    func commit() throws {
        guard fsync(fd) == 0, close(fd) == 0 else { throw OfflineError.unusable(file: path, reason: "write failed: \(String(cString: strerror(errno)))") }
        committed = true
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw OfflineError.unusable(file: path, reason: "cannot be replaced: \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        if !committed {
            close(fd)
            unlink(temporary)
        }
    }
}
