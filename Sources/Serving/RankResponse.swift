/// One ranked item: its id, the model's score and its title when known.
package struct RankHitJSON: Encodable {
    package let id: String
    package let score: Float
    package let title: String?

    package init(id: String, score: Float, title: String?) {
        self.id = id
        self.score = score
        self.title = title
    }
}

/// The answer to a rank request: the model, the user, item ids with no
/// stored features (not scored), and the known items best first.
package struct RankResponseJSON: Encodable {
    package let model: String
    package let user: String
    package let unknown: [String]
    package let note: String?
    package let results: [RankHitJSON]

    package init(model: String, user: String, unknown: [String], note: String?, results: [RankHitJSON]) {
        self.model = model
        self.user = user
        self.unknown = unknown
        self.note = note
        self.results = results
    }
}
