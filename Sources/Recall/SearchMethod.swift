/// How a search found its results.
public enum SearchMethod: String, Sendable, CustomStringConvertible {
    /// Candidates from the LSH index, re-scored exactly.
    case lsh
    /// Every row scored.
    case exact
    /// The index's candidates held fewer than k admissible rows (filters,
    /// exclusions), so an exact scan completed the answer.
    case lshThenExact = "lsh+exact"

    public var description: String { rawValue }
}
