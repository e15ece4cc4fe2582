#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex for the short critical sections that serving threads share
/// (caches, pools of scratch buffers and transactions).
///
/// On Linux it is an adaptive pthread mutex (`PTHREAD_MUTEX_ADAPTIVE_NP`): a
/// thread that finds it held spins briefly before it sleeps in the kernel,
/// where `NSLock` sleeps at once. Held for well under a microsecond, such a
/// lock is nearly always free again within the spin, so contention costs no
/// futex call and no context switch. Elsewhere it is a plain mutex.
public final class AdaptiveLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        mutex = .allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        #if os(Linux)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
        #endif
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Blocks until the lock is held by the calling thread.
    @inlinable public func lock() { _lock() }

    /// Releases the lock, which the calling thread must hold.
    @inlinable public func unlock() { _unlock() }

    /// Runs `body` holding the lock.
    @inlinable public func withLock<R>(_ body: () throws -> R) rethrows -> R {
        _lock(); defer { _unlock() }
        return try body()
    }

    @usableFromInline func _lock() { pthread_mutex_lock(mutex) }
    @usableFromInline func _unlock() { pthread_mutex_unlock(mutex) }
}
