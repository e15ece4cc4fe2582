import Foundation

/// Runs a `VectorReader` on a thread of its own, a few batches of records
/// ahead of the caller: a text import parses numbers on one core while it
/// writes the table to LMDB on another. Records, errors and their locations
/// reach the caller in file order, exactly as the wrapped reader gives them.
/// `close()` (or deinit) stops the thread before the input may be closed.
final class PrefetchingVectorReader: VectorReader {
    /// Records parsed on the reading thread, handed over as one unit.
    private final class Batch {
        var idBytes: [UInt8] = []
        var idEnds: [Int] = []
        var values: [Float] = []
        var valueEnds: [Int] = []
        var locations: [String] = []
        /// Input bytes consumed once the batch's last record was read.
        var offset = 0
        /// The reader's error after the last record, which ends the input.
        var error: Error?
        /// End of input after the last record.
        var done = false
        var count: Int { idEnds.count }

        func reset() {
            idBytes.removeAll(keepingCapacity: true)
            idEnds.removeAll(keepingCapacity: true)
            values.removeAll(keepingCapacity: true)
            valueEnds.removeAll(keepingCapacity: true)
            locations.removeAll(keepingCapacity: true)
            error = nil
            done = false
        }
    }

    private let inner: VectorReader
    private let batchRecords: Int
    private let batchValues: Int
    private let condition = NSCondition()
    // guarded by `condition`
    private var filled: [Batch] = []
    private var empty: [Batch]
    private var stopping = false
    private var running = true
    // the caller's side
    private var current: Batch?
    private var position = 0
    private var consumedBytes = 0

    var input: ByteReader { inner.input }
    var location: String {
        guard let current, position > 0 else { return inner.location }
        return current.locations[position - 1]
    }
    var bytesRead: Int { consumedBytes }

    /// - Parameters:
    ///   - batchRecords: records per hand-over at most.
    ///   - batchValues: numbers per hand-over at most (a batch ends at the
    ///     first record that reaches it), so memory stays bounded however
    ///     wide the vectors are.
    ///   - depth: batches in flight; the reading thread waits when all are full.
    init(_ inner: VectorReader, batchRecords: Int = 1024, batchValues: Int = 1 << 18, depth: Int = 4) {
        self.inner = inner
        self.batchRecords = batchRecords
        self.batchValues = batchValues
        empty = (0..<depth).map { _ in Batch() }
        let thread = Thread { [self] in produce() }
        thread.name = "recsys-import-reader"
        thread.start()
    }

    deinit { close() }

    /// Stops the reading thread and waits until it no longer touches the input.
    func close() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }

    private func produce() {
        var id: [UInt8] = [], vector: [Float] = []
        while true {
            condition.lock()
            while empty.isEmpty && !stopping { condition.wait() }
            if stopping { running = false; condition.broadcast(); condition.unlock(); return }
            let b = empty.removeLast()
            condition.unlock()
            b.reset()
            do {
                while b.count < batchRecords && b.values.count < batchValues {
                    guard try inner.next(id: &id, vector: &vector) else { b.done = true; break }
                    b.idBytes.append(contentsOf: id)
                    b.idEnds.append(b.idBytes.count)
                    b.values.append(contentsOf: vector)
                    b.valueEnds.append(b.values.count)
                    b.locations.append(inner.location)
                }
            } catch {
                b.error = error
            }
            b.offset = inner.input.offset
            let last = b.done || b.error != nil
            condition.lock()
            filled.append(b)
            if last { running = false }
            condition.broadcast()
            condition.unlock()
            if last { return }
        }
    }

    func next(id: inout [UInt8], vector: inout [Float]) throws -> Bool {
        while true {
            if let b = current {
                if position < b.count {
                    let idStart = position == 0 ? 0 : b.idEnds[position - 1]
                    let valueStart = position == 0 ? 0 : b.valueEnds[position - 1]
                    id.removeAll(keepingCapacity: true)
                    id.append(contentsOf: b.idBytes[idStart..<b.idEnds[position]])
                    vector.removeAll(keepingCapacity: true)
                    vector.append(contentsOf: b.values[valueStart..<b.valueEnds[position]])
                    position += 1
                    return true
                }
                consumedBytes = b.offset
                if let error = b.error { throw error }
                if b.done { return false }
                condition.lock()
                empty.append(b)
                condition.broadcast()
                condition.unlock()
                current = nil
            }
            condition.lock()
            while filled.isEmpty { condition.wait() }
            current = filled.removeFirst()
            position = 0
            condition.unlock()
        }
    }
}
