/// The body of a rank request.
package struct RankRequestJSON: Decodable {
    package let model: String?
    package let user: String
    package let items: [String]
}
