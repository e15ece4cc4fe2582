/// The body of a rank request. Ids may be strings or numbers (`JSONID`).
package struct RankRequestJSON: Decodable {
    package let model: String?
    package let user: String
    package let items: [String]

    package static let shape = #"{"model": "...", "user": "...", "items": ["...", ...]}"#

    enum CodingKeys: String, CodingKey { case model, user, items }

    package init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        user = try c.decode(JSONID.self, forKey: .user).value
        items = try c.decode([JSONID].self, forKey: .items).map(\.value)
    }
}
