import ArgumentParser
import Foundation
import Serving

/// `--json` / `--tsv`: how results print.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print results as JSON.")
    var json = false
    @Flag(help: "Print results as tab-separated values with a header line.")
    var tsv = false

    func validate() throws {
        if json && tsv { throw ValidationError("--json and --tsv are exclusive") }
    }
}

/// One value in a result table.
enum Cell: Encodable {
    case text(String)
    case int(Int)
    case float(Double)
    case null

    var display: String {
        switch self {
        case .text(let s): return s
        case .int(let i): return String(i)
        case .float(let d): return String(format: "%.4f", d)
        case .null: return ""
        }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .text(let s): try c.encode(s)
        case .int(let i): try c.encode(i)
        case .float(let d): try c.encode(d)
        case .null: try c.encodeNil()
        }
    }
}

/// Rows with named columns, printed aligned, as TSV, or as JSON objects.
struct ResultTable {
    var columns: [String]
    var rows: [[Cell]] = []

    func print(_ options: OutputOptions) {
        if options.json {
            printJSON(rows.map { row in Dictionary(uniqueKeysWithValues: zip(columns, row).map { ($0, $1) }) })
        } else if options.tsv {
            var out = columns.joined(separator: "\t") + "\n"
            for row in rows { out += row.map { $0.display.replacingOccurrences(of: "\t", with: " ") }.joined(separator: "\t") + "\n" }
            writeStdout(out)
        } else {
            writeStdout(aligned())
        }
    }

    func aligned() -> String {
        let cells = [columns] + rows.map { $0.map(\.display) }
        var widths = [Int](repeating: 0, count: columns.count)
        for r in cells { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        var out = ""
        for (n, r) in cells.enumerated() {
            var line = ""
            for (i, c) in r.enumerated() {
                let numeric = n > 0 && { if case .text = rows[n - 1][i] { return false } else { return true } }()
                let pad = String(repeating: " ", count: widths[i] - c.count)
                line += i == r.count - 1 && !numeric ? c : (numeric ? pad + c : c + pad)
                if i < r.count - 1 { line += "  " }
            }
            out += line + "\n"
        }
        return out
    }
}

/// Encodes `value` as pretty JSON on stdout.
func printJSON<T: Encodable>(_ value: T) {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    e.dateEncodingStrategy = .iso8601
    e.keyEncodingStrategy = .convertToSnakeCase  // the service's key style: one shape in both
    e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let data = (try? e.encode(value)) ?? Data("{}".utf8)
    writeStdout(String(decoding: data, as: UTF8.self) + "\n")
}

func writeStdout(_ s: String) {
    FileHandle.standardOutput.write(Data(s.utf8))
}

func writeStderr(_ s: String) {
    FileHandle.standardError.write(Data(s.utf8))
}

/// A one-line progress report on stderr: shown only on a terminal, and only
/// once the work has taken more than a second.
final class ProgressBar {
    let label: String
    let start = Date()
    var lastDraw = Date.distantPast
    var drawn = false
    let enabled = isatty(2) == 1

    init(_ label: String) { self.label = label }

    func update(rows: Int, bytes: Int, total: Int) {
        guard enabled else { return }
        let now = Date()
        let elapsed = now.timeIntervalSince(start)
        guard elapsed > 1, now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        var line = "\r\(label) \(rows.formatted()) rows  \(Int(Double(rows) / elapsed).formatted()) rows/s"
        if total > 0 {
            let fraction = min(1, Double(bytes) / Double(total))
            let width = 24
            let filled = Int(fraction * Double(width))
            line += "  [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] \(Int(fraction * 100))%"
        }
        writeStderr(line + "\u{1B}[K")
        drawn = true
    }

    func finish() {
        if drawn { writeStderr("\r\u{1B}[K") }
    }
}
