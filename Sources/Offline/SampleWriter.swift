import Foundation

/// Writes CSV rows into a buffer flushed to a file descriptor in large
/// writes; numbers are formatted without building Strings.
final class SampleWriter {
    private var buffer: [UInt8] = []
    private let fd: Int32
    private let path: String
    private(set) var rows = 0

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        buffer.reserveCapacity(1 << 20)
    }

    func text(_ s: String) {
        var s = s
        s.withUTF8 { u in
            // quote when the field holds a comma, a quote or a line break (RFC 4180)
            if u.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }) {
                buffer.append(UInt8(ascii: "\""))
                for c in u {
                    if c == UInt8(ascii: "\"") { buffer.append(c) }
                    buffer.append(c)
                }
                buffer.append(UInt8(ascii: "\""))
            } else {
                buffer.append(contentsOf: u)
            }
        }
    }

    /// A missing string feature, written as SparrowRecSys's samples hold it.
    func empty() { buffer.append(UInt8(ascii: "\"")); buffer.append(UInt8(ascii: "\"")) }

    func int(_ v: Int) {
        if v < 0 { buffer.append(UInt8(ascii: "-")) }
        var m = v.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat { d[n] = UInt8(48 + m % 10); m /= 10; n += 1 } while m > 0
            for i in stride(from: n - 1, through: 0, by: -1) { buffer.append(d[i]) }
        }
    }

    /// `x` with two decimals, as Spark's `format_number(x, 2)` spells values
    /// under 1,000: the exact binary value rounded half to even.
    func fixed2(_ x: Double) {
        let y = x * 100
        let r = y.rounded()
        // y within rounding error of a .5 boundary: let printf decide on the exact value
        if abs(abs(y - y.rounded(.down)) - 0.5) < 1e-7 {
            var out = [CChar](repeating: 0, count: 64)
            let n = withVaList([x]) { vsnprintf(&out, 64, "%.2f", $0) }
            buffer.append(contentsOf: out[0..<Int(n)].map { UInt8(bitPattern: $0) })
            return
        }
        var cents = Int(r)
        if cents < 0 { buffer.append(UInt8(ascii: "-")); cents = -cents }
        int(cents / 100)
        buffer.append(UInt8(ascii: "."))
        buffer.append(UInt8(48 + (cents % 100) / 10))
        buffer.append(UInt8(48 + cents % 10))
    }

    /// The shortest text that reads back as `x` (`4.0`, `3.5`).
    func float(_ x: Float) {
        var s = x.description
        s.withUTF8 { buffer.append(contentsOf: $0) }
    }

    func comma() { buffer.append(UInt8(ascii: ",")) }

    func endRow() throws {
        buffer.append(10)
        rows += 1
        if buffer.count >= 1 << 20 { try flush() }
    }

    func line(_ s: String) throws {
        var s = s
        s.withUTF8 { buffer.append(contentsOf: $0) }
        buffer.append(10)
        try flush()
    }

    func flush() throws {
        var off = 0
        while off < buffer.count {
            let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                throw OfflineError.unusable(file: path, reason: "write failed: \(String(cString: strerror(errno)))")
            }
            off += n
        }
        buffer.removeAll(keepingCapacity: true)
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
