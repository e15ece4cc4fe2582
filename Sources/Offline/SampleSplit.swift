/// How `samples build --split` holds rows out for testing.
public enum SampleSplit: Sendable, Equatable {
    /// The latest fraction of all rows by timestamp (rows at the cutoff
    /// timestamp all go to the test side).
    case time(Double)
    /// A seeded fraction of the users, with all their rows.
    case user(Double)
    /// A seeded fraction of the rows.
    case random(Double)

    /// Parses `time:0.2`, `user:0.2` or `random:0.2`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let f = Double(parts[1]), f > 0, f < 1 else {
            throw OfflineError.invalidOption("--split expects time:F, user:F or random:F with F between 0 and 1, got '\(text)'")
        }
        switch parts[0] {
        case "time": self = .time(f)
        case "user": self = .user(f)
        case "random": self = .random(f)
        default: throw OfflineError.invalidOption("--split: unknown kind '\(parts[0])' (time, user or random)")
        }
    }

    /// The train and test files for output `path`: `samples.csv` ->
    /// `samples-train.csv`, `samples-test.csv`.
    public static func paths(for path: String) -> (train: String, test: String) {
        let slash = path.lastIndex(of: "/")
        if let dot = path.lastIndex(of: "."), slash.map({ $0 < dot }) ?? true, dot != path.startIndex {
            return (path[..<dot] + "-train" + path[dot...], path[..<dot] + "-test" + path[dot...])
        }
        return (path + "-train", path + "-test")
    }
}
