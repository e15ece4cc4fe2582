/// What build this is, for `recsys --version`, `/v1/status` and `/metrics`.
///
/// Rule: `version` changes with every release that changes a store layout,
/// a command's output or an HTTP body (semantic versioning: minor for
/// additions, major for changes a client must follow).
package enum BuildInfo {
    package static let version = "0.48.0"
    /// How the binary was compiled.
    #if DEBUG
    package static let configuration = "debug"
    #else
    package static let configuration = "release"
    #endif
}
