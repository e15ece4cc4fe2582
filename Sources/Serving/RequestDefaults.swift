/// The defaults and limits of recall and recommend requests, one place for
/// the command line and the service (each interface parses into the request
/// types with these; `Pipeline` and `SearchOptions.validate` check them).
package enum RequestDefaults {
    /// The item table recall and recommend search.
    package static let itemTable = "item2vec"
    /// The table of user vectors.
    package static let userTable = "user"
    /// Results of a user recall (candidates for a ranker).
    package static let userRecallK = 100
    /// Results of an item recall ("more like this").
    package static let itemRecallK = 10
    /// Results of a recommendation, and the candidates recalled before ranking.
    package static let recommendK = 20
    package static let candidates = 800
    /// The most results (k) and candidates one HTTP request may ask for; the
    /// library's own bound is `SearchOptions.maxK`.
    package static let maxResults = 10_000
}
