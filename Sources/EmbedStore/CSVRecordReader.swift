/// Reads CSV records (RFC 4180) from a file, one at a time: a quoted field
/// may hold commas, doubled quotes and line breaks, so one record can span
/// several lines. Blank lines are skipped. Errors name the file and the line
/// the record starts on.
///
/// Used for item files (small, human-edited, titles with quotes and line
/// breaks). Hand-written over `TextScan.csvFields` rather than a CSV package:
/// the packages in reach (SwiftCSV, CSV.swift) report a bad quote without its
/// line, and `file:line` is what a user needs to fix the file. Interaction
/// logs keep the single-line fast path.
public final class CSVRecordReader {
    public let input: ByteReader
    /// The line the last record returned starts on (1-based).
    public private(set) var line = 0
    private var pending: [UInt8] = []

    public init(input: ByteReader) { self.input = input }

    public convenience init(path: String) throws { self.init(input: try ByteReader(path: path)) }

    public var path: String { input.path }

    /// The next record's fields, or nil at the end of the file.
    public func next() throws -> [String]? {
        while let first = try input.nextLine() {
            if first.isEmpty { continue }
            line = input.lineNumber
            var quotes = first.reduce(0) { $0 + ($1 == 0x22 ? 1 : 0) }
            if quotes % 2 == 0 { return try TextScan.csvStrings(UnsafeBufferPointer(first), file: path, line: line) }
            // An odd number of quotes leaves a quoted field open: the record
            // goes on after the line break, which is part of the field.
            pending.removeAll(keepingCapacity: true)
            pending.append(contentsOf: first)
            while quotes % 2 == 1 {
                guard let more = try input.nextLine() else {
                    throw StoreError.badInput(file: path, location: "\(line)", reason: "unterminated quoted field (the file ends inside it)")
                }
                pending.append(0x0A)
                pending.append(contentsOf: more)
                if pending.count > ByteReader.maxLineLength {
                    throw StoreError.badInput(file: path, location: "\(line)", reason: "record longer than \(ByteReader.maxLineLength) bytes (an unterminated quoted field?)")
                }
                quotes += more.reduce(0) { $0 + ($1 == 0x22 ? 1 : 0) }
            }
            return try pending.withUnsafeBufferPointer { try TextScan.csvStrings($0, file: path, line: line) }
        }
        return nil
    }
}
