import EmbedStore

/// An interaction log in memory: one entry per event, users and items
/// interned to dense indices, kept in file order. Columns are compact arrays
/// (about 20 bytes an event), so a 1M-event log takes ~20 MB.
public struct InteractionLog: Sendable {
    /// Ids by index, as they appear in the file.
    public private(set) var userIDs: [String] = []
    public private(set) var itemIDs: [String] = []
    /// Per event, in file order.
    public private(set) var users: [Int32] = []
    public private(set) var items: [Int32] = []
    public private(set) var ratings: [Float] = []
    public private(set) var times: [Int64] = []
    /// The file line each event came from, for messages.
    public private(set) var lines: [Int32] = []
    /// No rating column: every event counts as positive, with rating 1.
    public let implicit: Bool
    /// The file, for messages.
    public let path: String

    public var count: Int { users.count }

    /// Reads a CSV log with a header naming its columns (`columns` says
    /// which play which role). Throws `file:line: reason` on the first bad row.
    public init(path: String, columns: LogColumns = LogColumns()) throws {
        self.path = path
        let reader: ByteReader
        do { reader = try ByteReader(path: path) } catch { throw OfflineError.unusable(file: path, reason: "cannot be read (\(error))") }
        guard let headerLine = try reader.nextLine() else { throw OfflineError.unusable(file: path, reason: "empty: no header line") }
        let header = try TextScan.csvStrings(UnsafeBufferPointer(headerLine), file: path, line: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        func column(_ name: String, _ role: String) throws -> Int {
            guard let i = header.firstIndex(of: name) else {
                throw OfflineError.badInput(file: path, line: 1, reason: "no \(role) column '\(name)' (columns: \(header.joined(separator: ", ")); name it with --columns \(role)=NAME)")
            }
            return i
        }
        let userColumn = try column(columns.user, "user"), itemColumn = try column(columns.item, "item")
        let timeColumn = try column(columns.time, "time")
        let ratingColumn: Int? = columns.ratingNamed ? try column(columns.rating, "rating") : header.firstIndex(of: columns.rating)
        implicit = ratingColumn == nil
        let needed = max(userColumn, itemColumn, timeColumn, ratingColumn ?? 0) + 1

        var userIndex: [String: Int32] = [:], itemIndex: [String: Int32] = [:]
        var fields: [UnsafeBufferPointer<UInt8>] = []
        while let line = try reader.nextLine() {
            let number = reader.lineNumber
            if line.isEmpty { continue }
            let row = UnsafeBufferPointer(line)
            var quotedFields: [String]?
            if row.contains(UInt8(ascii: "\"")) {
                quotedFields = try TextScan.csvStrings(row, file: path, line: number)
            } else {
                Self.split(row, into: &fields)
            }
            let n = quotedFields?.count ?? fields.count
            guard n >= needed else { throw OfflineError.badInput(file: path, line: number, reason: "\(n) fields, the header has \(header.count)") }
            func text(_ i: Int) -> String { quotedFields?[i] ?? String(decoding: fields[i], as: UTF8.self) }
            let user = text(userColumn), item = text(itemColumn)
            guard !user.isEmpty else { throw OfflineError.badInput(file: path, line: number, reason: "empty user id") }
            guard !item.isEmpty else { throw OfflineError.badInput(file: path, line: number, reason: "empty item id") }
            let timeText = text(timeColumn)
            guard let time = Int64(timeText.trimmingCharacters(in: .whitespaces)) else {
                throw OfflineError.badInput(file: path, line: number, reason: "time '\(timeText)' is not an integer")
            }
            var rating: Float = 1
            if let ratingColumn {
                let r = text(ratingColumn)
                guard let v = Float(r.trimmingCharacters(in: .whitespaces)), v.isFinite else {
                    throw OfflineError.badInput(file: path, line: number, reason: "rating '\(r)' is not a number")
                }
                rating = v
            }
            let u: Int32
            if let known = userIndex[user] { u = known } else { u = Int32(userIDs.count); userIndex[user] = u; userIDs.append(user) }
            let it: Int32
            if let known = itemIndex[item] { it = known } else { it = Int32(itemIDs.count); itemIndex[item] = it; itemIDs.append(item) }
            users.append(u); items.append(it); ratings.append(rating); times.append(time); lines.append(Int32(number))
        }
        guard !users.isEmpty else { throw OfflineError.unusable(file: path, reason: "no events after the header") }
    }

    /// Splits an unquoted CSV line on commas into `fields` (views into `line`).
    static func split(_ line: UnsafeBufferPointer<UInt8>, into fields: inout [UnsafeBufferPointer<UInt8>]) {
        fields.removeAll(keepingCapacity: true)
        var start = 0
        for i in 0..<line.count where line[i] == UInt8(ascii: ",") {
            fields.append(UnsafeBufferPointer(rebasing: line[start..<i]))
            start = i + 1
        }
        fields.append(UnsafeBufferPointer(rebasing: line[start..<line.count]))
    }

    /// Each user's events in time order (ties in file order): event indices
    /// grouped by user, and where each user's run starts (`starts[u]..<starts[u+1]`).
    public func eventsByUser() -> (order: [Int32], starts: [Int]) {
        var starts = [Int](repeating: 0, count: userIDs.count + 1)
        for u in users { starts[Int(u) + 1] += 1 }
        for u in 0..<userIDs.count { starts[u + 1] += starts[u] }
        var order = [Int32](repeating: 0, count: count)
        var cursor = starts
        for e in 0..<count {
            let u = Int(users[e])
            order[cursor[u]] = Int32(e)
            cursor[u] += 1
        }
        // within a user: by time, file order on ties (events are already in file order)
        for u in 0..<userIDs.count where starts[u + 1] - starts[u] > 1 {
            order[starts[u]..<starts[u + 1]].sort { a, b in
                let ta = times[Int(a)], tb = times[Int(b)]
                return ta != tb ? ta < tb : a < b
            }
        }
        return (order, starts)
    }
}
