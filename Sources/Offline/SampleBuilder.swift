import EmbedStore
import Foundation

/// Options of `recsys samples build`.
public struct SampleOptions: Sendable {
    /// Ratings at or above this are positive (label 1).
    public var minRating: Float = 3.5
    /// Earlier events a row's user features look at (SparrowRecSys: 100).
    public var window = 100
    /// Sampled negatives per positive (implicit feedback), 0 for none.
    public var negatives = 0
    public var seed: UInt64 = 1
    public var split: SampleSplit?

    public init() {}
}

/// What a build wrote.
public struct SampleReport: Sendable {
    public var rows = 0
    public var negatives = 0
    /// Events left out: their user had fewer than 2 earlier events.
    public var dropped = 0
    public var trainRows = 0
    public var testRows = 0
    public var files: [String] = []
}

/// Ranking samples from an interaction log with SparrowRecSys's feature
/// engineering (`FeatureEngForRecModel`), in the schema of its
/// `testSamples.csv`.
///
/// Rules:
/// - Label: rating >= `minRating` (every event of an implicit log is positive).
/// - Item features over all of the item's events: release year (the title's
///   `(YYYY)`, else 1990), its first three genres, rating count, mean and
///   sample standard deviation (0 for one rating).
/// - User features for an event come only from that user's `window` events
///   strictly before it in time (ties of equal timestamps in file order):
///   nothing from the event itself or later. The last five positively rated
///   items, most recent first; count; mean release year (truncated, as
///   Spark's cast to int does) and its deviation; mean rating and its
///   deviation; the five genres most frequent among the positive events
///   (ties: the most recently seen first).
/// - Events whose user has fewer than 2 earlier events are dropped.
/// - Averages and deviations carry 2 decimals (`format_number(x, 2)`);
///   a missing string feature is written as `""`, as the course's files hold it.
/// - Output is grouped by user, each user's rows in time order.
public enum SampleBuilder {
    public static let header = ["movieId", "userId", "rating", "timestamp", "label", "releaseYear", "movieGenre1", "movieGenre2", "movieGenre3",
                                "movieRatingCount", "movieAvgRating", "movieRatingStddev",
                                "userRatedMovie1", "userRatedMovie2", "userRatedMovie3", "userRatedMovie4", "userRatedMovie5",
                                "userRatingCount", "userAvgReleaseYear", "userReleaseYearStddev", "userAvgRating", "userRatingStddev",
                                "userGenre1", "userGenre2", "userGenre3", "userGenre4", "userGenre5"]

    /// Per-item features over the whole log.
    struct ItemFeatures {
        var releaseYear: [Int]
        /// Genre indices into `genreNames`, in the items file's order.
        var genres: [[Int32]]
        var genreNames: [String]
        var count: [Int]
        var mean: [Double]
        var stddev: [Double]
    }

    /// A user's features over the events before one of theirs.
    struct UserWindow {
        var count = 0
        var positives: [Int32] = []
        var avgYear = 0
        var yearStddev = 0.0
        var avgRating = 0.0
        var ratingStddev = 0.0
        var genres: [Int32] = []
    }

    /// Builds the samples of `log` and writes them to `output` (or, with a
    /// split, to its `-train` and `-test` files). Nothing is written unless
    /// every input row is valid.
    public static func build(_ log: InteractionLog, items catalog: ItemCatalogFile?, options: SampleOptions, output: String) throws -> SampleReport {
        guard options.window >= 2 else { throw OfflineError.invalidOption("--window must be at least 2, got \(options.window)") }
        guard (0...100).contains(options.negatives) else { throw OfflineError.invalidOption("--negatives must be in 0...100, got \(options.negatives)") }
        let features = try itemFeatures(log, catalog)
        let (order, starts) = log.eventsByUser()
        let positive = log.ratings.map { log.implicit || $0 >= options.minRating }

        // which rows go to the test side
        var testUsers = [Bool](repeating: false, count: log.userIDs.count)
        var timeCutoff = Int64.max
        switch options.split {
        case .user(let f)?:
            var users = Array(0..<log.userIDs.count)
            var rng = SplitMix64(seed: options.seed ^ 0x5E1EC7)
            rng.shuffle(&users)
            for u in users.prefix(Int((Double(users.count) * f).rounded())) { testUsers[u] = true }
        case .time(let f)?:
            var kept: [Int64] = []
            for u in 0..<log.userIDs.count where starts[u + 1] - starts[u] > 2 {
                for i in (starts[u] + 2)..<starts[u + 1] { kept.append(log.times[Int(order[i])]) }
            }
            kept.sort()
            if !kept.isEmpty { timeCutoff = kept[min(kept.count - 1, Int(Double(kept.count) * (1 - f)))] }
        default: break
        }
        var rowRNG = SplitMix64(seed: options.seed ^ 0xD1CE)

        let paths: [String] = options.split == nil ? [output] : { let p = SampleSplit.paths(for: output); return [p.train, p.test] }()
        let files = try paths.map { try AtomicFile(path: $0) }
        let writers = zip(files, paths).map { SampleWriter(fd: $0.fd, path: $1) }
        for w in writers { try w.line(header.joined(separator: ",")) }

        var report = SampleReport()
        var window = UserWindow()
        var seen = Set<Int32>()
        var scratch = WindowScratch(genres: features.genreNames.count)
        var negativeRNG = SplitMix64(seed: options.seed ^ 0x9E6A71)
        for u in 0..<log.userIDs.count {
            let run = starts[u]..<starts[u + 1]
            if options.negatives > 0 {
                seen.removeAll(keepingCapacity: true)
                for i in run { seen.insert(log.items[Int(order[i])]) }
            }
            for j in run {
                let e = Int(order[j])
                let earlier = j - run.lowerBound
                guard earlier >= 2 else { report.dropped += 1; continue }
                let ws = max(run.lowerBound, j - options.window)
                userWindow(log, order, ws..<j, features, positive, &scratch, into: &window)
                let test: Bool
                switch options.split {
                case .user?: test = testUsers[u]
                case .time?: test = log.times[e] >= timeCutoff
                case .random(let f)?: test = rowRNG.openUnit() < f
                case nil: test = false
                }
                let w = writers[test ? 1 : 0]
                let isPositive = positive[e]
                try writeRow(w, log, item: Int(log.items[e]), event: e, rating: log.ratings[e], label: isPositive, features, window)
                if test { report.testRows += 1 } else { report.trainRows += 1 }
                report.rows += 1
                guard isPositive && options.negatives > 0 else { continue }
                var drawn: [Int32] = []
                var attempts = 0
                while drawn.count < options.negatives && attempts < 50 * options.negatives {
                    attempts += 1
                    // popularity-weighted: an item drawn through a random event
                    let item = log.items[Int(negativeRNG.next() % UInt64(log.count))]
                    if seen.contains(item) || drawn.contains(item) { continue }
                    drawn.append(item)
                    try writeRow(w, log, item: Int(item), event: e, rating: 0, label: false, features, window)
                    if test { report.testRows += 1 } else { report.trainRows += 1 }
                    report.rows += 1
                    report.negatives += 1
                }
            }
        }
        for w in writers { try w.flush() }
        for f in files { try f.commit() }
        report.files = paths
        return report
    }

    /// Release years, genres and rating statistics per item; every logged
    /// item must be in the catalogue when there is one.
    static func itemFeatures(_ log: InteractionLog, _ catalog: ItemCatalogFile?) throws -> ItemFeatures {
        let n = log.itemIDs.count
        var f = ItemFeatures(releaseYear: [Int](repeating: ItemCatalogFile.defaultReleaseYear, count: n), genres: [[Int32]](repeating: [], count: n),
                             genreNames: [], count: [Int](repeating: 0, count: n), mean: [Double](repeating: 0, count: n), stddev: [Double](repeating: 0, count: n))
        if let catalog {
            var genreIndex: [String: Int32] = [:]
            var missing = [Bool](repeating: false, count: n)
            for i in 0..<n {
                guard let entry = catalog.entries[log.itemIDs[i]] else { missing[i] = true; continue }
                f.releaseYear[i] = entry.releaseYear
                f.genres[i] = entry.genres.map { g in
                    if let k = genreIndex[g] { return k }
                    let k = Int32(f.genreNames.count)
                    genreIndex[g] = k
                    f.genreNames.append(g)
                    return k
                }
            }
            if let e = (0..<log.count).first(where: { missing[Int(log.items[$0])] }) {
                throw OfflineError.badInput(file: log.path, line: Int(log.lines[e]), reason: "item '\(log.itemIDs[Int(log.items[e])])' is not in \(catalog.path)")
            }
        }
        // mean, then the sample standard deviation around it (two passes: no cancellation)
        var sum = [Double](repeating: 0, count: n)
        for e in 0..<log.count { let i = Int(log.items[e]); f.count[i] += 1; sum[i] += Double(log.ratings[e]) }
        for i in 0..<n where f.count[i] > 0 { f.mean[i] = sum[i] / Double(f.count[i]) }
        var squares = [Double](repeating: 0, count: n)
        for e in 0..<log.count { let i = Int(log.items[e]); let d = Double(log.ratings[e]) - f.mean[i]; squares[i] += d * d }
        for i in 0..<n where f.count[i] > 1 { f.stddev[i] = (squares[i] / Double(f.count[i] - 1)).squareRoot() }
        return f
    }

    /// Reused across rows: genre counts and the genres touched, in order of
    /// their most recent sighting.
    struct WindowScratch {
        var counts: [Int]
        var touched: [Int32] = []
        init(genres: Int) { counts = [Int](repeating: 0, count: genres) }
    }

    /// The user features over the events `order[range]` (oldest first).
    static func userWindow(_ log: InteractionLog, _ order: [Int32], _ range: Range<Int>, _ f: ItemFeatures, _ positive: [Bool],
                           _ scratch: inout WindowScratch, into w: inout UserWindow) {
        let n = range.count
        w.count = n
        var ratingSum = 0.0, yearSum = 0.0
        for i in range {
            let e = Int(order[i])
            ratingSum += Double(log.ratings[e])
            yearSum += Double(f.releaseYear[Int(log.items[e])])
        }
        w.avgRating = ratingSum / Double(n)
        let yearMean = yearSum / Double(n)
        w.avgYear = Int(yearMean)  // Spark's cast to int truncates
        var rs = 0.0, ys = 0.0
        for i in range {
            let e = Int(order[i])
            let dr = Double(log.ratings[e]) - w.avgRating, dy = Double(f.releaseYear[Int(log.items[e])]) - yearMean
            rs += dr * dr
            ys += dy * dy
        }
        w.ratingStddev = n > 1 ? (rs / Double(n - 1)).squareRoot() : 0
        w.yearStddev = n > 1 ? (ys / Double(n - 1)).squareRoot() : 0
        // positives, most recent first; genre counts over them in order of last sighting
        w.positives.removeAll(keepingCapacity: true)
        w.genres.removeAll(keepingCapacity: true)
        scratch.touched.removeAll(keepingCapacity: true)
        for i in range.reversed() {
            let e = Int(order[i])
            guard positive[e] else { continue }
            let item = Int(log.items[e])
            if w.positives.count < 5 { w.positives.append(Int32(item)) }
            for g in f.genres[item] {
                if scratch.counts[Int(g)] == 0 { scratch.touched.append(g) }
                scratch.counts[Int(g)] += 1
            }
        }
        // the five most frequent; equal counts keep the order of their most recent sighting
        while w.genres.count < 5 {
            var best = -1, bestCount = 0
            for (k, g) in scratch.touched.enumerated() where scratch.counts[Int(g)] > bestCount {
                best = k
                bestCount = scratch.counts[Int(g)]
            }
            if best < 0 { break }
            let g = scratch.touched[best]
            w.genres.append(g)
            scratch.counts[Int(g)] = -scratch.counts[Int(g)]  // taken: never picked again
        }
        for g in scratch.touched { scratch.counts[Int(g)] = 0 }
    }

    static func writeRow(_ out: SampleWriter, _ log: InteractionLog, item: Int, event e: Int, rating: Float, label: Bool,
                         _ f: ItemFeatures, _ w: UserWindow) throws {
        out.beginRow()
        out.text(log.itemIDs[item]); out.comma()
        out.text(log.userIDs[Int(log.users[e])]); out.comma()
        out.float(rating); out.comma()
        out.int(Int(log.times[e])); out.comma()
        out.int(label ? 1 : 0); out.comma()
        out.int(f.releaseYear[item]); out.comma()
        let genres = f.genres[item]
        for k in 0..<3 {
            if k < genres.count { out.text(f.genreNames[Int(genres[k])]) } else { out.empty() }
            out.comma()
        }
        out.int(f.count[item]); out.comma()
        out.fixed2(f.mean[item]); out.comma()
        out.fixed2(f.stddev[item]); out.comma()
        for k in 0..<5 {
            if k < w.positives.count { out.text(log.itemIDs[Int(w.positives[k])]) } else { out.empty() }
            out.comma()
        }
        out.int(w.count); out.comma()
        out.int(w.avgYear); out.comma()
        out.fixed2(w.yearStddev); out.comma()
        out.fixed2(w.avgRating); out.comma()
        out.fixed2(w.ratingStddev)
        for k in 0..<5 {
            out.comma()
            if k < w.genres.count { out.text(f.genreNames[Int(w.genres[k])]) } else { out.empty() }
        }
        try out.endRow()
    }
}
