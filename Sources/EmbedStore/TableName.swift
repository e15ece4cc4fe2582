/// Rules for table names, checked when a table is created.
///
/// A name is 1-200 bytes of ASCII letters, digits and `_ - . : / @ +`, and
/// starts with a letter, digit or `_`. The set keeps names safe in shell
/// arguments, URLs (`/v1/tables/{table}` with `/` percent-encoded), logs and
/// file names without quoting: no spaces, control characters or look-alike
/// Unicode. Tables made before these rules keep working under their names.
///
/// Names under `ranker/` are the ranker's learned tables
/// (`ranker/<model>/<column>`): only `recsys train` writes them, so an
/// import, upsert, delete or rollback cannot leave a model whose tables no
/// longer match its weights.
public enum TableName {
    /// The prefix of the ranker's learned tables.
    public static let rankerPrefix = "ranker/"
    /// The longest name, in bytes.
    public static let maxLength = 200

    /// Throws `invalidArgument` naming the rule `name` breaks.
    public static func validate(_ name: String) throws {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty else { throw StoreError.invalidArgument("table name is empty") }
        guard bytes.count <= maxLength else { throw StoreError.invalidArgument("table name is \(bytes.count) bytes, over the limit of \(maxLength)") }
        if let bad = bytes.firstIndex(where: { !isAllowed($0) }) {
            let what = bytes[bad] < 0x20 || bytes[bad] == 0x7F ? "a control character" : bytes[bad] == 0x20 ? "a space" : bytes[bad] >= 0x80 ? "a non-ASCII character" : "'\(Character(Unicode.Scalar(bytes[bad])))'"
            throw StoreError.invalidArgument("table name '\(printable(name))' has \(what) at byte \(bad + 1): use letters, digits and _ - . : / @ +")
        }
        guard isLetterOrDigit(bytes[0]) || bytes[0] == UInt8(ascii: "_") else {
            throw StoreError.invalidArgument("table name '\(name)' must start with a letter, digit or _")
        }
    }

    /// Throws unless a writer of `kind` may create or change the table `name`
    /// (`existing` is its current metadata, nil when it does not exist yet).
    public static func requireWritable(_ name: String, existing: TableInfo?, by kind: TableKind) throws {
        guard kind != .learned else { return }
        if existing?.kind == .learned || name.hasPrefix(rankerPrefix) {
            let model = name.hasPrefix(rankerPrefix) ? name.dropFirst(rankerPrefix.count).split(separator: "/").first.map(String.init) : nil
            throw StoreError.invalidArgument("table '\(name)' is learned by the ranker\(model.map { " (model '\($0)')" } ?? ""): only `recsys train` writes it; import into another name")
        }
    }

    /// Throws when `kind` is `learned`, which only the ranker records: an
    /// import or upsert makes pretrained or user tables.
    public static func requireOutsideKind(_ kind: TableKind) throws {
        if kind == .learned {
            throw StoreError.invalidArgument("kind 'learned' is for the ranker's own tables (written by `recsys train`): use pretrained or user")
        }
    }

    static func isLetterOrDigit(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    static func isAllowed(_ b: UInt8) -> Bool {
        isLetterOrDigit(b) || "_-.:/@+".utf8.contains(b)
    }

    /// `name` with control characters shown as `\u{..}` escapes.
    static func printable(_ name: String) -> String {
        name.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
    }
}
