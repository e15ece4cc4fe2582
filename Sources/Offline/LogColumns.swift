/// Which columns of an interaction log hold the user, the item, the rating
/// and the time (`--columns user=uid,item=sku,rating=stars,time=ts`). A log
/// without the rating column is implicit feedback: every event is positive.
public struct LogColumns: Sendable, Equatable {
    public var user = "userId"
    public var item = "movieId"
    public var rating = "rating"
    public var time = "timestamp"
    /// Whether `rating` was named explicitly (then it must exist).
    public var ratingNamed = false

    public init() {}

    /// Parses `user=uid,item=sku,...`; any role left out keeps its default.
    public init(parsing text: String) throws {
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty else {
                throw OfflineError.invalidOption("--columns expects ROLE=NAME pairs (roles: user, item, rating, time), got '\(pair)'")
            }
            switch parts[0] {
            case "user": user = parts[1]
            case "item": item = parts[1]
            case "rating": rating = parts[1]; ratingNamed = true
            case "time": time = parts[1]
            default: throw OfflineError.invalidOption("--columns: unknown role '\(parts[0])' (roles: user, item, rating, time)")
            }
        }
    }
}
