import Foundation

/// Which entity a feature column describes: feature rows are stored per user
/// and per item so that scoring needs only ids.
public enum FeatureEntity: String, Codable, Sendable {
    case user, item, context
}

/// How the rows of a bag of values are pooled into one vector, as
/// TensorFlow's `embedding_lookup_sparse` combiners: the sum, the sum over
/// n, or the sum over sqrt(n), n counting the values found in the table.
public enum Combiner: String, Codable, Sendable, CaseIterable {
    case sum, mean, sqrtn

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let name = try c.decode(String.self)
        guard let value = Combiner(rawValue: name) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "combiner '\(name)' is not one of \(Combiner.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = value
    }
}

/// A categorical column that holds several values per row.
public struct MultiValue: Codable, Sendable, Equatable {
    /// Splits one field into values ("|" for "Action|Drama"); nil: one value per column.
    public var separator: String?
    public var combiner: Combiner
    public init(separator: String? = nil, combiner: Combiner) {
        self.separator = separator
        self.combiner = combiner
    }
}

/// DIN's activation unit: a bag of the user's history items is pooled as
/// sum_k a(h_k, q) h_k, where q is the candidate item's embedding from the
/// same table and a = sigmoid(w2 relu([h, q, h - q, h * q] W1 + b1) + b2)
/// (no softmax over the history, as in the paper).
public struct Attention: Codable, Sendable, Equatable {
    /// The single-valued item column whose embedding is the candidate.
    public var query: String
    /// Hidden units of the activation unit (SparrowRecSys's DIN.py: 32).
    public var hidden: Int
    public init(query: String, hidden: Int = 32) {
        self.query = query
        self.hidden = hidden
    }
}

/// A categorical feature: each value becomes an index into an embedding
/// table. Single-valued by default; with `multi` or `columns` a bag of
/// values whose rows are pooled (an empty bag gives a zero vector), with
/// `attention` pooled by DIN's activation unit.
public struct CategoricalFeature: Codable, Sendable, Equatable {
    /// Column name in the samples (with `columns`, only the feature's name).
    public var name: String
    /// A fixed vocabulary: values outside it (and empty) map to a zero vector.
    public var vocabulary: [String]?
    /// Integer ids used directly as indices in `0..<identity`; others map to a zero vector.
    public var identity: Int?
    /// Any value hashed into this many buckets.
    public var hashBuckets: Int?
    /// Embedding dimension.
    public var dimension: Int
    /// Name of an embedding table shared with other columns (default: the column's own).
    public var table: String?
    /// The entity the column belongs to.
    public var entity: FeatureEntity
    /// Sample columns whose values form one bag (e.g. userRatedMovie1-5).
    public var columns: [String]?
    /// Several values per field, and how their rows are pooled.
    public var multi: MultiValue?
    /// Pool the bag with DIN's activation unit instead of a combiner.
    public var attention: Attention?

    public init(name: String, vocabulary: [String]? = nil, identity: Int? = nil, hashBuckets: Int? = nil, dimension: Int, table: String? = nil,
                entity: FeatureEntity, columns: [String]? = nil, multi: MultiValue? = nil, attention: Attention? = nil) {
        self.name = name
        self.vocabulary = vocabulary
        self.identity = identity
        self.hashBuckets = hashBuckets
        self.dimension = dimension
        self.table = table
        self.entity = entity
        self.columns = columns
        self.multi = multi
        self.attention = attention
    }

    /// The sample columns its values come from.
    public var sourceColumns: [String] { columns ?? [name] }
    /// Whether a row may hold more than one value.
    public var isBag: Bool { columns != nil || multi != nil }
    /// The combiner of a bag (a list of columns without `multi`: mean).
    public var combiner: Combiner { multi?.combiner ?? (columns != nil ? .mean : .sum) }

    /// Rows of its embedding table.
    public var rows: Int { vocabulary?.count ?? identity ?? hashBuckets ?? 0 }
    /// Its embedding table's name.
    public var tableName: String { table ?? name }
}

/// How a numeric column is transformed before the MLP.
public enum NumericTransform: String, Codable, Sendable {
    /// As is (missing -> 0).
    case raw
    /// (x - mean) / std with training statistics (missing -> 0, the mean).
    case standardize
    /// log(1 + max(x, 0)), then standardised.
    case log1p
}

/// A numeric column.
public struct NumericFeature: Codable, Sendable, Equatable {
    public var name: String
    public var transform: NumericTransform
    public var entity: FeatureEntity
    public init(name: String, transform: NumericTransform, entity: FeatureEntity) {
        self.name = name
        self.transform = transform
        self.entity = entity
    }
}

/// The Embedding+MLP model's inputs and shape (Deep Crossing: features ->
/// embeddings -> stacking -> MLP -> scoring).
public struct FeatureSpec: Codable, Sendable, Equatable {
    public var categorical: [CategoricalFeature]
    public var numeric: [NumericFeature]
    /// The 0/1 label column.
    public var label: String
    /// The user and item id columns (keys of the stored feature rows).
    public var userID: String
    public var itemID: String
    /// Columns holding the user's recent items (stored as the user's history).
    public var history: [String]
    /// Hidden layer sizes.
    public var hidden: [Int]
    /// Residual units after the first hidden layer (Deep Crossing).
    public var residual: Bool
    /// Strength of DIN's mini-batch aware regularisation of the embedding
    /// rows (`TrainingOptions.embeddingL2`, which overrides it); nil: off.
    public var embeddingL2: Float?

    public init(categorical: [CategoricalFeature], numeric: [NumericFeature], label: String, userID: String, itemID: String, history: [String] = [], hidden: [Int] = [128, 128], residual: Bool = false, embeddingL2: Float? = nil) {
        self.categorical = categorical
        self.numeric = numeric
        self.label = label
        self.userID = userID
        self.itemID = itemID
        self.history = history
        self.hidden = hidden
        self.residual = residual
        self.embeddingL2 = embeddingL2
    }

    /// Width of the stacked input: numerics then embeddings.
    public var inputWidth: Int { numeric.count + categorical.reduce(0) { $0 + $1.dimension } }

    /// Checks the spec for mistakes a user can fix.
    public func validate() throws {
        if categorical.isEmpty && numeric.isEmpty { throw RankerError.badSpec("no feature columns") }
        if hidden.isEmpty || hidden.contains(where: { $0 <= 0 || $0 > 4096 }) { throw RankerError.badSpec("hidden layer sizes must be 1...4096") }
        if let l = embeddingL2, !(l >= 0 && l < 1e6) { throw RankerError.badSpec("embeddingL2 must be in [0, 1e6)") }
        if residual && Set(hidden).count != 1 { throw RankerError.badSpec("residual units need equal hidden sizes, got \(hidden)") }
        var names = Set<String>()
        for n in categorical.map(\.name) + numeric.map(\.name) where !names.insert(n).inserted {
            throw RankerError.badSpec("column '\(n)' appears twice")
        }
        try validateBags()
        var tables: [String: CategoricalFeature] = [:]
        for c in categorical {
            let kinds = [c.vocabulary != nil, c.identity != nil, c.hashBuckets != nil].filter { $0 }.count
            if kinds != 1 { throw RankerError.badSpec("column '\(c.name)' needs exactly one of vocabulary, identity, hashBuckets") }
            if c.rows <= 0 || c.rows > 50_000_000 { throw RankerError.badSpec("column '\(c.name)' has \(c.rows) embedding rows") }
            if c.dimension <= 0 || c.dimension > 1024 { throw RankerError.badSpec("column '\(c.name)' has embedding dimension \(c.dimension)") }
            if let other = tables[c.tableName], other.rows != c.rows || other.dimension != c.dimension || other.vocabulary != c.vocabulary {
                throw RankerError.badSpec("columns '\(other.name)' and '\(c.name)' share table '\(c.tableName)' but differ in vocabulary, buckets or dimension")
            }
            tables[c.tableName] = c
        }
    }

    /// Checks `columns`, `multi` and `attention`.
    private func validateBags() throws {
        var attended = 0
        for c in categorical {
            if let columns = c.columns, columns.isEmpty || Set(columns).count != columns.count {
                throw RankerError.badSpec("column '\(c.name)': 'columns' must list distinct sample columns")
            }
            if let sep = c.multi?.separator, sep.isEmpty || sep.utf8.count > 8 {
                throw RankerError.badSpec("column '\(c.name)': separator must be 1-8 bytes")
            }
            guard let a = c.attention else { continue }
            attended += 1
            guard c.isBag, c.entity == .user else { throw RankerError.badSpec("column '\(c.name)': attention needs a user bag (columns or multi)") }
            guard let q = categorical.first(where: { $0.name == a.query }), !q.isBag, q.entity == .item, q.tableName == c.tableName else {
                throw RankerError.badSpec("column '\(c.name)': attention query '\(a.query)' must be a single-valued item column sharing table '\(c.tableName)'")
            }
            if a.hidden < 1 || a.hidden > 1024 { throw RankerError.badSpec("column '\(c.name)': attention hidden units must be 1...1024") }
        }
        if attended > 1 { throw RankerError.badSpec("at most one attention column per spec") }
    }

    /// The attention column and its query column (indices in `categorical`), if any.
    var attentionColumns: (bag: Int, query: Int)? {
        guard let b = categorical.firstIndex(where: { $0.attention != nil }),
              let q = categorical.firstIndex(where: { $0.name == categorical[b].attention!.query }) else { return nil }
        return (b, q)
    }

    /// Embedding tables in first-use order: (name, rows, dimension).
    public var tables: [(name: String, rows: Int, dimension: Int)] {
        var seen = Set<String>()
        return categorical.compactMap { c in seen.insert(c.tableName).inserted ? (c.tableName, c.rows, c.dimension) : nil }
    }
}

extension FeatureSpec {
    /// The 19 MovieLens genres of SparrowRecSys's vocabulary.
    public static let genres = ["Film-Noir", "Action", "Adventure", "Horror", "Romance", "War", "Comedy", "Western", "Documentary", "Sci-Fi", "Drama", "Thriller", "Crime", "Fantasy", "Animation", "IMAX", "Mystery", "Children", "Musical"]

    /// SparrowRecSys's EmbeddingMLP.py exactly: genre columns with their own
    /// 10-dim tables, movieId (1001) and userId (30001) identity columns, seven
    /// raw numerics, Dense(128)-Dense(128)-sigmoid.
    public static let sparrow = FeatureSpec(
        categorical: (1...5).map { CategoricalFeature(name: "userGenre\($0)", vocabulary: genres, dimension: 10, entity: .user) }
            + (1...3).map { CategoricalFeature(name: "movieGenre\($0)", vocabulary: genres, dimension: 10, entity: .item) }
            + [CategoricalFeature(name: "movieId", identity: 1001, dimension: 10, entity: .item),
               CategoricalFeature(name: "userId", identity: 30001, dimension: 10, entity: .user)],
        numeric: [("releaseYear", FeatureEntity.item), ("movieRatingCount", .item), ("movieAvgRating", .item), ("movieRatingStddev", .item),
                  ("userRatingCount", .user), ("userAvgRating", .user), ("userRatingStddev", .user)]
            .map { NumericFeature(name: $0.0, transform: .raw, entity: $0.1) },
        label: "label", userID: "userId", itemID: "movieId",
        history: (1...5).map { "userRatedMovie\($0)" },
        hidden: [128, 128], residual: false)

    /// The tuned default for samples in SparrowRecSys's schema: one genre table
    /// shared by the eight genre columns, standardised (count columns log1p)
    /// numerics and the user's release-year statistics.
    public static let sparrowPlus: FeatureSpec = {
        var s = sparrow
        s.categorical = s.categorical.map { c in
            var c = c
            if c.vocabulary != nil { c.table = "genre" }
            return c
        }
        s.numeric = s.numeric.map { n in
            NumericFeature(name: n.name, transform: n.name.hasSuffix("Count") ? .log1p : .standardize, entity: n.entity)
        } + [NumericFeature(name: "userAvgReleaseYear", transform: .standardize, entity: .user),
             NumericFeature(name: "userReleaseYearStddev", transform: .standardize, entity: .user)]
        return s
    }()

    /// The user's five recent movies (userRatedMovie1-5) as one bag through
    /// the movie id table, pooled by `combiner` or by DIN's attention with
    /// the candidate movie.
    static func recentMovies(attention: Bool) -> CategoricalFeature {
        CategoricalFeature(name: "recentMovies", identity: 1001, dimension: 10, table: "movieId", entity: .user,
                           columns: (1...5).map { "userRatedMovie\($0)" }, multi: MultiValue(combiner: .mean),
                           attention: attention ? Attention(query: "movieId", hidden: 32) : nil)
    }

    /// sparrow-plus with the user's recent movies as a mean-pooled bag.
    public static let sparrowHistory: FeatureSpec = {
        var s = sparrowPlus
        s.categorical.append(recentMovies(attention: false))
        return s
    }()

    /// sparrow-plus with the user's recent movies pooled by DIN's activation
    /// unit against the candidate movie, the user's five and the movie's
    /// three genres as two mean-pooled bags through the genre table, DIN.py's
    /// hidden layers [128, 64] and DIN's mini-batch aware regularisation. It
    /// has no user id column: the user is their history and profile, as in
    /// DIN. A per-user row learns each user's rate of positives in the
    /// training period and overfits (bench/results/ranker.md: with it, test
    /// AUC peaks after one epoch on the movielens time split).
    public static let din: FeatureSpec = {
        var s = sparrowPlus
        let genre = s.categorical.first { $0.name == "userGenre1" }!
        s.categorical = [CategoricalFeature(name: "userGenres", vocabulary: genres, dimension: genre.dimension, table: "genre", entity: .user,
                                            columns: (1...5).map { "userGenre\($0)" }, multi: MultiValue(combiner: .mean)),
                         CategoricalFeature(name: "movieGenres", vocabulary: genres, dimension: genre.dimension, table: "genre", entity: .item,
                                            columns: (1...3).map { "movieGenre\($0)" }, multi: MultiValue(combiner: .mean))]
            + s.categorical.filter { $0.name == "movieId" } + [recentMovies(attention: true)]
        s.hidden = [128, 64]
        s.embeddingL2 = 1000
        return s
    }()

    /// The built-in specs by name, in the order help texts list them.
    static let builtIn: [(name: String, summary: String, spec: FeatureSpec)] = [
        ("sparrow", "SparrowRecSys's EmbeddingMLP exactly", sparrow),
        ("sparrow-plus", "shared genre table, standardised numerics", sparrowPlus),
        ("sparrow-history", "plus the recent movies as a mean-pooled bag", sparrowHistory),
        ("din", "the recent movies pooled by DIN's attention against the candidate, genres as bags, no user id column, "
            + "mini-batch aware regularisation, [128, 64]", din),
    ]

    /// The preset `recsys train` uses without --spec: the best on both of
    /// bench/ranker's data sets.
    public static let defaultPreset = "din"

    /// Names of the built-in specs.
    public static let presets = builtIn.map(\.name)

    /// Each preset with what it is, the default marked, for help texts.
    public static let presetSummaries = builtIn.map { "\($0.name) (\($0.name == defaultPreset ? "the default: " : "")\($0.summary))" }
        .joined(separator: ", ")

    /// A built-in spec by name.
    public static func preset(_ name: String) -> FeatureSpec? {
        builtIn.first { $0.name == name }?.spec
    }
}
