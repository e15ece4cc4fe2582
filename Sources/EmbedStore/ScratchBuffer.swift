/// A reusable buffer for hot loops that grows (never shrinks) to the room
/// asked for; its contents survive a request that fits and are lost when it
/// grows. Callers take the pointer once per pass, so their loops do no
/// per-element bounds, uniqueness or exclusivity checks, and a pass that has
/// run once allocates nothing.
public final class ScratchBuffer<Element> {
    private var base: UnsafeMutablePointer<Element> = .allocate(capacity: 1)
    private var capacity = 1

    public init() {}

    deinit { base.deallocate() }

    /// A pointer to at least `count` elements.
    public func room(for count: Int) -> UnsafeMutablePointer<Element> {
        if count > capacity {
            base.deallocate()
            capacity = max(count, 2 * capacity)
            base = .allocate(capacity: capacity)
        }
        return base
    }
}
