import Foundation

/// Each user's item history (oldest first), used to build a user vector as the
/// mean of the item vectors and to exclude items already seen.
extension Transaction {
    static func historyKey(_ user: String) -> String { "history\u{1}" + user }

    /// The stored history of `user`, oldest first; empty when unknown.
    public func history(of user: String) throws -> [String] {
        guard user.utf8.count < store.maxKeySize - 16, let raw = try blob(.features, Transaction.historyKey(user)) else { return [] }
        return String(decoding: raw, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Deletes every stored history (before writing a new set).
    public func deleteAllHistories() throws {
        try deleteBlobs(.features, prefix: "history\u{1}")
    }

    /// Replaces the stored history of `user`.
    public func setHistory(_ items: [String], of user: String) throws {
        guard !user.isEmpty, user.utf8.count < store.maxKeySize - 16 else { throw StoreError.invalidArgument("bad user id '\(user)'") }
        let text = Array(items.joined(separator: "\n").utf8)
        try text.withUnsafeBytes { try putBlob(.features, Transaction.historyKey(user), $0) }
    }
}

extension Store {
    /// Imports MovieLens-style ratings (`userId,movieId,rating,timestamp` with a
    /// header) as per-user histories: items rated at least `minRating`, ordered
    /// by time. Replaces all stored histories, all or nothing. Returns (users, events).
    @discardableResult
    public func importHistory(from path: String, minRating: Double = 3.5) throws -> (users: Int, events: Int) {
        try write { txn in
            try txn.requireSoundStructure()
            let input = try ByteReader(path: path)
            guard let headerLine = try input.nextLine() else { throw StoreError.badInput(file: path, location: "", reason: "empty file") }
            let header = try TextScan.csvStrings(UnsafeBufferPointer(headerLine), file: path, line: 1)
            func column(_ names: [String]) throws -> Int {
                guard let i = header.firstIndex(where: { names.contains($0) }) else {
                    throw StoreError.badInput(file: path, location: "1", reason: "no \(names[0]) column in the header (expected userId,movieId,rating,timestamp)")
                }
                return i
            }
            let u = try column(["userId", "user"]), m = try column(["movieId", "itemId", "item"])
            let r = header.firstIndex(of: "rating"), t = header.firstIndex(of: "timestamp")
            var events: [String: [(Double, String)]] = [:]
            var n = 0
            while let line = try input.nextLine() {
                if line.isEmpty { continue }
                let f = try TextScan.csvStrings(UnsafeBufferPointer(line), file: path, line: input.lineNumber)
                guard f.count == header.count else {
                    throw StoreError.badInput(file: path, location: "\(input.lineNumber)", reason: "\(f.count) fields, the header has \(header.count)")
                }
                if f[u].isEmpty || f[m].isEmpty { throw StoreError.badInput(file: path, location: "\(input.lineNumber)", reason: "empty user or item id") }
                if let r {
                    guard let rating = Double(f[r]) else { throw StoreError.badInput(file: path, location: "\(input.lineNumber)", reason: "unparsable rating '\(f[r])'") }
                    if rating < minRating { continue }
                }
                var time = Double(n)
                if let t {
                    guard let ts = Double(f[t]) else { throw StoreError.badInput(file: path, location: "\(input.lineNumber)", reason: "unparsable timestamp '\(f[t])'") }
                    time = ts
                }
                events[f[u], default: []].append((time, f[m]))
                n += 1
            }
            try txn.deleteAllHistories()
            for (user, list) in events {
                try txn.setHistory(list.sorted { $0.0 < $1.0 }.map(\.1), of: user)
            }
            return (events.count, n)
        }
    }
}
