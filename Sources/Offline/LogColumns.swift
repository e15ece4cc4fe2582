/// Which columns of an interaction log hold the user, the item, the rating
/// and the time (`--columns user=uid,item=sku,rating=stars,time=ts`).
///
/// Rules:
/// - A role not named is looked up by its usual names, in order (`userId`,
///   `user_id`, `user`, ...): MovieLens, RecBole and shop logs load as they
///   are. A role named must exist.
/// - No rating column: implicit feedback, every event is positive.
/// - No time column (and none named): events are in file order.
public struct LogColumns: Sendable, Equatable {
    public var user = "userId"
    public var item = "movieId"
    public var rating = "rating"
    public var time = "timestamp"
    /// The roles named explicitly (they must exist; the others fall back to aliases).
    public private(set) var named: Set<String> = []
    /// Whether `rating` was named explicitly (then it must exist).
    public var ratingNamed: Bool { named.contains("rating") }

    /// Usual names per role, tried in order when the role is not named.
    public static let aliases: [String: [String]] = [
        "user": ["userId", "user_id", "userid", "user", "uid", "customer_id", "customerId", "customer", "visitorid", "session_id", "sessionId"],
        "item": ["movieId", "item_id", "itemId", "itemid", "item", "iid", "product_id", "productId", "product", "sku", "article_id"],
        "rating": ["rating", "ratings", "score", "stars"],
        "time": ["timestamp", "time", "ts", "event_time", "datetime", "date", "t_dat"],
    ]

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
            case "rating": rating = parts[1]
            case "time": time = parts[1]
            default: throw OfflineError.invalidOption("--columns: unknown role '\(parts[0])' (roles: user, item, rating, time)")
            }
            named.insert(parts[0])
        }
    }

    /// The column index of `role` in `header`: the named column, else the
    /// first alias present; nil when absent.
    func index(of role: String, in header: [String]) -> Int? {
        let name: String
        switch role {
        case "user": name = user
        case "item": name = item
        case "rating": name = rating
        default: name = time
        }
        if let i = header.firstIndex(of: name) { return i }
        guard !named.contains(role) else { return nil }
        for alias in Self.aliases[role] ?? [] { if let i = header.firstIndex(of: alias) { return i } }
        // case-insensitive last: `UserID`, `Timestamp`
        for alias in [name] + (Self.aliases[role] ?? []) { if let i = header.firstIndex(where: { $0.lowercased() == alias.lowercased() }) { return i } }
        return nil
    }
}
