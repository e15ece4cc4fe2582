/// Field parsers for the shapes real logs come in.
extension InteractionLog {
    /// RecBole's typed header names (`user_id:token`, `rating:float`) without the type.
    static func stripType(_ name: String) -> String {
        guard let colon = name.lastIndex(of: ":") else { return name }
        let type = name[name.index(after: colon)...]
        return ["token", "float", "token_seq", "float_seq"].contains(type) ? String(name[..<colon]) : name
    }

    /// An event time: a whole number as it is; a decimal truncated to whole
    /// units (`964982703.0`, `1.5e9`); an ISO 8601 date or date-time as Unix
    /// seconds. Nil for anything else.
    static func time<C: Collection>(_ bytes: C) -> Int64? where C.Element == UInt8 {
        if let v = integer(bytes) { return v }
        let a = Array(bytes)
        if let v = isoSeconds(a) { return v }
        guard let d = Double(String(decoding: a, as: UTF8.self).trimmingCharacters(in: .whitespaces)), d.isFinite, abs(d) < 9e18 else { return nil }
        return Int64(d.rounded(.down))
    }

    /// `YYYY-MM-DD`, then optionally `T` or a space, `HH:MM`, `:SS`, a
    /// fraction, and `Z` or `±HH:MM` / `±HHMM` (none: UTC).
    static func isoSeconds(_ b: [UInt8]) -> Int64? {
        var i = 0
        while i < b.count && b[i] == 32 { i += 1 }
        var end = b.count
        while end > i && b[end - 1] == 32 { end -= 1 }
        func digits(_ n: Int) -> Int? {
            guard i + n <= end else { return nil }
            var v = 0
            for j in i..<(i + n) { guard b[j] >= 48 && b[j] <= 57 else { return nil }; v = v * 10 + Int(b[j] - 48) }
            i += n
            return v
        }
        func take(_ c: Character) -> Bool { if i < end && b[i] == c.asciiValue! { i += 1; return true }; return false }
        guard let year = digits(4), take("-"), let month = digits(2), take("-"), let day = digits(2),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        var seconds = 0
        if i < end && (b[i] == UInt8(ascii: "T") || b[i] == 32) {
            i += 1
            guard let h = digits(2), take(":"), let m = digits(2), h < 24, m < 60 else { return nil }
            var s = 0
            if take(":") { guard let v = digits(2), v <= 60 else { return nil }; s = v }
            if take(".") || take(",") { let from = i; while i < end && b[i] >= 48 && b[i] <= 57 { i += 1 }; guard i > from else { return nil } }
            seconds = h * 3600 + m * 60 + s
            if take("Z") {
            } else if i < end && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) {
                let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let oh = digits(2) else { return nil }
                _ = take(":")
                guard let om = digits(2), oh < 24, om < 60 else { return nil }
                seconds -= sign * (oh * 3600 + om * 60)
            }
        }
        guard i == end else { return nil }
        return Int64(daysFromCivil(year: year, month: month, day: day)) * 86_400 + Int64(seconds)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
