/// Working memory kept apart from the model or index that uses it, as
/// hnswlib keeps its visited-list pool: a caller takes an idle scratch (or a
/// new one), and gives it back when done. A request path therefore
/// allocates nothing once every concurrent caller has had its first scratch,
/// and large buffers are not mapped and faulted in anew per request.
public final class ScratchPool<Scratch: AnyObject>: @unchecked Sendable {
    private let lock = AdaptiveLock()
    private var idle: [Scratch] = []
    private let make: () -> Scratch

    /// `make` builds a scratch when none is idle.
    public init(_ make: @escaping () -> Scratch) {
        self.make = make
    }

    /// Runs `body` with a scratch no other caller holds meanwhile.
    public func withScratch<R>(_ body: (Scratch) throws -> R) rethrows -> R {
        let scratch = lock.withLock { idle.popLast() } ?? make()
        defer { lock.withLock { idle.append(scratch) } }
        return try body(scratch)
    }
}
