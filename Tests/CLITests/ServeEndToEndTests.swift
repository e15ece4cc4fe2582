import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import RecsysTestSupport
import XCTest

final class ServeEndToEndTests: XCTestCase {
    func get(_ url: String) -> (Int, String) { request(url) }

    /// One request with a 30 s timeout; status 0 when it got no answer.
    func request(_ url: String, method: String = "GET", body: String? = nil) -> (Int, String) {
        var r = URLRequest(url: URL(string: url)!, timeoutInterval: 30)
        r.httpMethod = method
        r.httpBody = body.map { Data($0.utf8) }
        let sem = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result = (0, "")
        URLSession.shared.dataTask(with: r) { data, response, _ in
            result = ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data ?? Data(), as: UTF8.self))
            sem.signal()
        }.resume()
        guard sem.wait(timeout: .now() + 35) == .success else { return (0, "timed out") }
        return result
    }

    /// `recsys serve` on a free loopback port, and that port.
    func startServe(store: String, _ extra: [String] = []) throws -> (Process, Int) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: recsysBinary)
        p.arguments = ["serve", "--port", "0", "--store", store, "--log-level", "warning"] + extra
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        // "listening on http://127.0.0.1:PORT" (reads end when the process exits)
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let port = text.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
            p.terminate()
            throw NSError(domain: "serve", code: 1, userInfo: [NSLocalizedDescriptionKey: "no port in '\(text)'"])
        }
        return (p, port)
    }

    /// A store truncated under the running service (a botched restore) is a
    /// 503 naming the damage, on every route including /healthz, not a
    /// SIGBUS that kills the process.
    func testATruncatedStoreIsA503NotACrash() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        XCTAssertEqual(try recsys(["embedding", "import", sampleData + "/item2vecEmb.csv", "--table", "item2vec", "--store", store]).status, 0)
        let (p, port) = try startServe(store: store)
        defer { if p.isRunning { p.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        XCTAssertEqual(get(base + "/v1/embeddings/item2vec/1").0, 200)

        let file = store + "/data.mdb"
        let size = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber).intValue
        XCTAssertEqual(get(base + "/readyz").0, 200)
        XCTAssertEqual(truncate(file, off_t(size / 2)), 0)
        for route in ["/v1/embeddings/item2vec/1", "/v1/recall/item/1?k=3", "/healthz", "/readyz"] {
            let (status, body) = get(base + route)
            XCTAssertEqual(status, 503, "\(route): \(body)")
            XCTAssertTrue(body.contains("data.mdb shrank from \(size) to \(size / 2) bytes"), "\(route): \(body)")
            XCTAssertTrue(body.contains("\"code\":\"store_damaged\""), "\(route): \(body)")
        }
        // live: the process answers (a restart would not mend the store); not ready: send traffic elsewhere
        XCTAssertEqual(get(base + "/livez").0, 200)
        XCTAssertTrue(p.isRunning, "the service survives to report the damage")
        // Should a read still race the truncation, SIGBUS ends the process
        // with EX_IOERR and a message, not a bare "Bus error".
        kill(p.processIdentifier, SIGBUS)
        let deadline = Date().addingTimeInterval(10)
        while p.isRunning && Date() < deadline { usleep(50_000) }
        XCTAssertFalse(p.isRunning)
        XCTAssertEqual(p.terminationReason, .exit)
        XCTAssertEqual(p.terminationStatus, 74)
    }

    /// Bad serve options fail with a message naming the option, before
    /// anything listens or the store is touched.
    func testServeRejectsBadOptions() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        for (args, option) in [(["--threads", "0"], "--threads"), (["--threads", "1000"], "--threads")] {
            let r = try recsys(["serve", "--port", "0", "--store", store] + args)
            XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(option), "\(args): \(r.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: store), "a failed start must not create a store")
    }

    /// The built binary on a free loopback port: every route, a re-import seen
    /// without restart, and a clean SIGTERM.
    func testServeAnswersSeesReimportsAndStopsOnSIGTERM() throws {
        let dir = TempDir()
        let store = dir.file("s.lmdb")
        let first = try recsys(["embedding", "import", sampleData + "/item2vecEmb.csv", "--table", "item2vec", "--store", store])
        XCTAssertEqual(first.status, 0)
        XCTAssertFalse(first.stderr.contains("background CPU priority"), "nothing else reads the store yet: \(first.stderr)")
        XCTAssertEqual(try recsys(["embedding", "import", sampleData + "/userEmb.csv", "--table", "user", "--kind", "user", "--store", store]).status, 0)
        XCTAssertEqual(try recsys(["items", "import", sampleData + "/movies.csv", "--store", store]).status, 0)
        XCTAssertEqual(try recsys(["index", "build", "--table", "item2vec", "--store", store]).status, 0)

        let (p, port) = try startServe(store: store)
        defer { if p.isRunning { p.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        XCTAssertEqual(get(base + "/healthz").0, 200)
        XCTAssertEqual(get(base + "/v1/tables").0, 200)
        XCTAssertEqual(get(base + "/v1/embeddings/item2vec/1").0, 200)
        XCTAssertEqual(get(base + "/v1/recall/user/10292?k=5").0, 200)
        let before = get(base + "/v1/recall/item/1?k=3")
        XCTAssertEqual(before.0, 200)
        // 881 x 10 floats: scanned (cheaper than the index), which is current
        XCTAssertTrue(before.1.contains("\"method\":\"exact\""), before.1)
        XCTAssertFalse(before.1.contains("\"note\""), before.1)
        XCTAssertEqual(get(base + "/v1/recommend/user/10292?k=5").0, 200)
        XCTAssertEqual(get(base + "/v1/recall/item/nope").0, 404)
        XCTAssertTrue(get(base + "/metrics").1.contains("recsys_table_version{table=\"item2vec\"} 1"))
        // the build, the same in --version, /v1/status and /metrics
        let version = try recsys(["--version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(version.hasPrefix("recsys "), version)
        let number = String(version.split(separator: " ")[1])
        XCTAssertTrue(get(base + "/v1/status").1.contains("\"version\":\"\(number)\""))
        XCTAssertTrue(get(base + "/metrics").1.contains("recsys_build_info{version=\"\(number)\""))

        // re-import while serving: the next request sees version 2, no restart; the
        // import finds the service reading the store and yields it the CPU
        let reimport = try recsys(["embedding", "import", dir.write("new.txt", "1:1 0 0 0 0 0 0 0 0 0\n7:0.9 0.1 0 0 0 0 0 0 0 0\n8:0 1 0 0 0 0 0 0 0 0\n"), "--table", "item2vec", "--store", store])
        XCTAssertEqual(reimport.status, 0)
        XCTAssertTrue(reimport.stderr.contains("read by process \(p.processIdentifier); importing at background CPU priority"), reimport.stderr)
        let after = get(base + "/v1/recall/item/1?k=3")
        XCTAssertEqual(after.0, 200)
        XCTAssertTrue(after.1.contains("\"id\":\"7\""), after.1)
        XCTAssertTrue(after.1.contains("\"method\":\"exact\""), "the old index must not serve the new version: \(after.1)")
        XCTAssertTrue(after.1.contains("built from version 1"), "the stale index must be reported: \(after.1)")
        XCTAssertTrue(get(base + "/metrics").1.contains("recsys_table_version{table=\"item2vec\"} 2"))
        // the other bulk writes yield the CPU to the service the same way
        let rebuild = try recsys(["index", "build", "--table", "item2vec", "--store", store])
        XCTAssertEqual(rebuild.status, 0, rebuild.stderr)
        XCTAssertTrue(rebuild.stderr.contains("read by process \(p.processIdentifier); building the index at background CPU priority"), rebuild.stderr)
        // a recall reads the index build's commit: the service holds a snapshot
        // of it (a current one, which it keeps while no write leaves it behind)
        XCTAssertEqual(get(base + "/v1/recall/item/1?k=3").0, 200)
        let items = try recsys(["items", "import", sampleData + "/movies.csv", "--store", store])
        XCTAssertEqual(items.status, 0, items.stderr)
        XCTAssertTrue(items.stderr.contains("importing items at background CPU priority"), items.stderr)

        kill(p.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while p.isRunning && Date() < deadline { usleep(50_000) }
        XCTAssertFalse(p.isRunning, "serve did not stop on SIGTERM")
        XCTAssertEqual(p.terminationStatus, 0)
    }

    /// A replica on a published link: `snapshot --publish` swaps the link,
    /// SIGHUP makes the service switch (polling is off here), and /healthz
    /// names the snapshot served.
    func testServeFollowsAPublishedLinkOnSIGHUP() throws {
        let dir = TempDir()
        let store = dir.file("builder.lmdb"), link = dir.file("current")
        XCTAssertEqual(try recsys(["embedding", "import", sampleData + "/item2vecEmb.csv", "--table", "item2vec", "--store", store]).status, 0)
        let first = try recsys(["snapshot", "--to", dir.file("snap-1"), "--publish", link, "--store", store, "--json"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let firstID = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])?["id"] as? String)

        let (p, port) = try startServe(store: link, ["--follow-interval", "0"])
        defer { if p.isRunning { p.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        XCTAssertTrue(get(base + "/healthz").1.contains(firstID))
        XCTAssertEqual(get(base + "/v1/recall/item/1?k=3").0, 200)

        XCTAssertEqual(try recsys(["embedding", "import", dir.write("new.txt", "1:1 0 0 0 0 0 0 0 0 0\n7:0.9 0.1 0 0 0 0 0 0 0 0\n"), "--table", "item2vec", "--store", store]).status, 0)
        let second = try recsys(["snapshot", "--to", dir.file("snap-2"), "--publish", link, "--store", store])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stdout.contains("published at \(link)"), second.stdout)
        // polling off: nothing switches before SIGHUP, even after more than two of
        // the default 1 s follow intervals (a poller would have switched by now)
        usleep(2_500_000)
        XCTAssertTrue(get(base + "/healthz").1.contains(firstID), "with polling off, nothing switches before SIGHUP")
        // SIGHUP until the switch shows (the first may come before the handler is installed; it is ignored then)
        let deadline = Date().addingTimeInterval(20)
        var health = ""
        repeat {
            kill(p.processIdentifier, SIGHUP)
            usleep(100_000)
            health = get(base + "/healthz").1
        } while health.contains(firstID) && Date() < deadline && p.isRunning
        XCTAssertTrue(p.isRunning, "SIGHUP must not stop the service")
        XCTAssertFalse(health.contains(firstID), health)
        XCTAssertTrue(get(base + "/v1/recall/item/1?k=3").1.contains("\"id\":\"7\""), "the new snapshot is served")
        let status = get(base + "/v1/status").1
        XCTAssertTrue(status.contains("\"switches\":1"), status)

        // publishing over a real directory is refused, and the store is left as it was
        try FileManager.default.createDirectory(atPath: dir.file("real"), withIntermediateDirectories: false)
        let refused = try recsys(["snapshot", "--to", dir.file("snap-3"), "--publish", dir.file("real"), "--store", store])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("is not a symbolic link"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("snap-3")))
        kill(p.processIdentifier, SIGTERM)
        let stopBy = Date().addingTimeInterval(10)
        while p.isRunning && stopBy > Date() { usleep(50_000) }
        XCTAssertFalse(p.isRunning)
    }
}
