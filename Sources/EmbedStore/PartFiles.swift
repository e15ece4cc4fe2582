import Foundation

/// The files behind an input path: the file itself, or, for a directory, the
/// `part-*` files a Spark (or Hadoop) job wrote there.
///
/// Rules:
/// - A directory is read only when it holds the job's `_SUCCESS` marker:
///   without it the job failed or is still writing, and part of its output
///   would be taken for all of it.
/// - Its `part-*` files are read in name order (Spark numbers them by
///   partition: part-00000, part-00001, ...); hidden files (`.part-*.crc`)
///   and other names are not inputs. Empty part files (empty partitions)
///   are skipped.
/// - A directory with no non-empty part file is an error, not an empty input.
public enum PartFiles {
    public static let successMarker = "_SUCCESS"

    /// The files to read for `path`, in order.
    public static func inputs(_ path: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard path != "-", FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [path] }
        let fm = FileManager.default
        guard fm.fileExists(atPath: (path as NSString).appendingPathComponent(successMarker)) else {
            throw StoreError.badInput(file: path, location: "", reason: "a directory without \(successMarker): the job that writes it failed or has not finished, so its part files may be only some of the output")
        }
        let names: [String]
        do { names = try fm.contentsOfDirectory(atPath: path) } catch {
            throw StoreError.io(path: path, reason: "cannot list it (\(error.localizedDescription))")
        }
        let parts = names.filter { $0.hasPrefix("part-") }.sorted().map { (path as NSString).appendingPathComponent($0) }
        let nonEmpty = parts.filter { size(of: $0) > 0 }
        guard !nonEmpty.isEmpty else {
            throw StoreError.badInput(file: path, location: "", reason: parts.isEmpty ? "no part-* files in the directory" : "every part-* file in the directory is empty")
        }
        return nonEmpty
    }

    /// The size of the regular file at `path` (`-`: standard input) in
    /// bytes; 0 for pipes and what cannot be read (progress without a total).
    public static func size(of path: String) -> Int {
        var st = stat()
        let ok = path == "-" ? fstat(0, &st) == 0 : stat(path, &st) == 0
        return ok && (st.st_mode & S_IFMT) == S_IFREG ? Int(st.st_size) : 0
    }
}
