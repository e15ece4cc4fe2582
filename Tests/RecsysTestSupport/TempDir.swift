import EmbedStore
import Foundation

/// A temporary directory removed when the test ends.
public final class TempDir {
    public let url: URL
    public var path: String { url.path }

    public init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("recsys-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    public func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        let p = file(name)
        FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        return p
    }

    @discardableResult
    public func write(_ name: String, bytes: [UInt8]) -> String {
        let p = file(name)
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }

    public func bytes(_ name: String) -> [UInt8] { Array(FileManager.default.contents(atPath: file(name)) ?? Data()) }
}

/// A temporary store removed when the test ends.
public final class TempStore {
    public let dir = TempDir()
    public let store: Store

    public init() throws {
        store = try Store(path: dir.file("s.lmdb"))
    }

    /// Writes `text` to a file in the store's directory and returns its path.
    public func file(_ name: String, _ text: String) -> String { dir.write(name, text) }
}


