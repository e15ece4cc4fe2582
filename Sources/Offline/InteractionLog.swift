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

    /// Reads a log with a header naming its columns (`columns` says which
    /// play which role). Throws `file:line: reason` on the first bad row.
    ///
    /// Shapes read as they are: comma-separated (quotes as in RFC 4180) or
    /// tab-separated (a tab in the header; no quoting); RecBole's typed
    /// headers (`user_id:token`); times as integers, decimals (truncated to
    /// whole units) or ISO 8601 dates (`2024-05-01`, `2024-05-01T10:30:00Z`,
    /// `2024-05-01 10:30:00+02:00`: Unix seconds).
    public init(path: String, columns: LogColumns = LogColumns()) throws {
        self.path = path
        let reader: ByteReader
        do { reader = try ByteReader(path: path) } catch { throw OfflineError.unusable(file: path, reason: "cannot be read (\(error))") }
        guard let headerLine = try reader.nextLine() else { throw OfflineError.unusable(file: path, reason: "empty: no header line") }
        let tabs = headerLine.contains(UInt8(ascii: "\t"))
        let separator = tabs ? UInt8(ascii: "\t") : UInt8(ascii: ",")
        let rawHeader = tabs ? String(decoding: headerLine, as: UTF8.self).split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                             : try TextScan.csvStrings(UnsafeBufferPointer(headerLine), file: path, line: 1)
        let header = rawHeader.map { Self.stripType($0.trimmingCharacters(in: .whitespaces)) }
        func column(_ role: String, required: Bool) throws -> Int? {
            if let i = columns.index(of: role, in: header) { return i }
            guard required || columns.named.contains(role) else { return nil }
            let name = [columns.user, columns.item, columns.rating, columns.time][["user", "item", "rating", "time"].firstIndex(of: role)!]
            throw OfflineError.badInput(file: path, line: 1, reason: "no \(role) column '\(name)' (columns: \(header.joined(separator: ", ")); name it with --columns \(role)=NAME)")
        }
        let userColumn = try column("user", required: true)!, itemColumn = try column("item", required: true)!
        let timeColumn = try column("time", required: false)
        let ratingColumn = try column("rating", required: false)
        implicit = ratingColumn == nil
        let needed = max(userColumn, itemColumn, timeColumn ?? 0, ratingColumn ?? 0) + 1

        var userIndex: [String: Int32] = [:], itemIndex: [String: Int32] = [:]
        var fields: [UnsafeBufferPointer<UInt8>] = []
        while let line = try reader.nextLine() {
            let number = reader.lineNumber
            if line.isEmpty { continue }
            let row = UnsafeBufferPointer(line)
            var quotedFields: [String]?
            if !tabs && row.contains(UInt8(ascii: "\"")) {
                quotedFields = try TextScan.csvStrings(row, file: path, line: number)
            } else {
                Self.split(row, on: separator, into: &fields)
            }
            let n = quotedFields?.count ?? fields.count
            guard n >= needed else { throw OfflineError.badInput(file: path, line: number, reason: "\(n) fields, the header has \(header.count)") }
            func text(_ i: Int) -> String { quotedFields?[i] ?? String(decoding: fields[i], as: UTF8.self) }
            let user = text(userColumn), item = text(itemColumn)
            guard !user.isEmpty else { throw OfflineError.badInput(file: path, line: number, reason: "empty user id") }
            guard !item.isEmpty else { throw OfflineError.badInput(file: path, line: number, reason: "empty item id") }
            var time = Int64(users.count)  // no time column: file order
            if let timeColumn {
                guard let t = quotedFields.map({ Self.time(Array($0[timeColumn].utf8)) }) ?? Self.time(fields[timeColumn]) else {
                    throw OfflineError.badInput(file: path, line: number, reason: "time '\(text(timeColumn))' is not a number or an ISO 8601 date")
                }
                time = t
            }
            var rating: Float = 1
            if let ratingColumn {
                guard let v = quotedFields.map({ Self.decimal(Array($0[ratingColumn].utf8)) }) ?? Self.decimal(fields[ratingColumn]), v.isFinite else {
                    throw OfflineError.badInput(file: path, line: number, reason: "rating '\(text(ratingColumn))' is not a number")
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

    /// A whole number, spaces around it allowed; nil for anything else.
    static func integer<C: Collection>(_ bytes: C) -> Int64? where C.Element == UInt8 {
        var value: Int64 = 0, digits = 0, negative = false, i = bytes.startIndex
        while i != bytes.endIndex && bytes[i] == 32 { i = bytes.index(after: i) }
        if i != bytes.endIndex && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) { negative = bytes[i] == UInt8(ascii: "-"); i = bytes.index(after: i) }
        while i != bytes.endIndex, bytes[i] >= 48 && bytes[i] <= 57 {
            guard digits < 18 else { return nil }
            value = value * 10 + Int64(bytes[i] - 48); digits += 1; i = bytes.index(after: i)
        }
        while i != bytes.endIndex && bytes[i] == 32 { i = bytes.index(after: i) }
        return digits > 0 && i == bytes.endIndex ? (negative ? -value : value) : nil
    }

    /// A rating: short decimals (`4.0`, `3.5`) directly, anything else
    /// through the standard library's parser; nil when it is not a number.
    static func decimal<C: Collection>(_ bytes: C) -> Float? where C.Element == UInt8 {
        var whole = 0, fraction = 0, scale = 1, digits = 0, seenPoint = false, simple = bytes.count <= 12
        for c in bytes where simple {
            if c >= 48 && c <= 57 {
                digits += 1
                if seenPoint { fraction = fraction * 10 + Int(c - 48); scale *= 10 } else { whole = whole * 10 + Int(c - 48) }
            } else if c == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else {
                simple = false
            }
        }
        // exact for a few digits: integer / power of ten is correctly rounded once
        if simple && digits > 0 && digits <= 7 { return Float(Double(whole * scale + fraction) / Double(scale)) }
        return Float(String(decoding: Array(bytes), as: UTF8.self).trimmingCharacters(in: .whitespaces))
    }

    /// Splits an unquoted line on `separator` into `fields` (views into `line`).
    static func split(_ line: UnsafeBufferPointer<UInt8>, on separator: UInt8 = UInt8(ascii: ","), into fields: inout [UnsafeBufferPointer<UInt8>]) {
        fields.removeAll(keepingCapacity: true)
        var start = 0
        for i in 0..<line.count where line[i] == separator {
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
