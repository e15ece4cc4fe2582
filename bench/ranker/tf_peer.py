#!/usr/bin/env python3
"""SparrowRecSys's ranking models in TensorFlow/Keras (functional API, the
same architectures as the feature-column originals), BCE, Adam:

- mlp (EmbeddingMLP.py): 8 genre columns with their own 19x10 tables (unknown
  -> zero vector), movieId 1001x10, userId 30001x10, seven numerics,
  Dense(128, relu) x2, Dense(1, sigmoid).
- din (DIN.py): user profile (userId 10-d, userGenre1 10-d, three user
  numerics), context (movieGenre1 10-d, four movie numerics), the candidate
  movie and the five recent movies through one movie table; the activation
  unit Dense(32)+PReLU+Dense(1, sigmoid) over [h - q, h, q, h * q], weighted
  sum pooling; Dense(128)+PReLU, Dense(64)+PReLU, Dense(1, sigmoid). Missing
  recent movies are masked to zero vectors.

  tf_peer.py SAMPLES.csv [--test TEST.csv] --seed S --batch B --numeric raw|standardize [--lr 0.001] [--model mlp|din] [--movies N]

Without --test, row i is test when i % 5 == 4.

Prints one JSON object: test metrics, training samples/s, 800-candidate latency.
"""
import argparse, csv, json, os, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np

GENRES = ['Film-Noir', 'Action', 'Adventure', 'Horror', 'Romance', 'War', 'Comedy', 'Western', 'Documentary', 'Sci-Fi', 'Drama', 'Thriller', 'Crime', 'Fantasy', 'Animation', 'IMAX', 'Mystery', 'Children', 'Musical']
GENRE_COLS = [f"userGenre{i}" for i in range(1, 6)] + [f"movieGenre{i}" for i in range(1, 4)]
NUMERIC = ["releaseYear", "movieRatingCount", "movieAvgRating", "movieRatingStddev", "userRatingCount", "userAvgRating", "userRatingStddev"]

RECENT = [f"userRatedMovie{i}" for i in range(1, 6)]

def load(path, movies=1001):
    rows = list(csv.DictReader(open(path)))
    g = {c: np.array([GENRES.index(r[c]) if r[c] in GENRES else -1 for r in rows], dtype=np.int32) for c in GENRE_COLS}
    def ident(c, n):
        return np.array([int(r[c]) if r[c].isdigit() and int(r[c]) < n else -1 for r in rows], dtype=np.int32)
    x = {**g, "movieId": ident("movieId", movies), "userId": ident("userId", 30001)}
    x["recent"] = np.stack([ident(c, movies) for c in RECENT], axis=1)
    num = np.array([[float(r[c]) if r[c] else 0.0 for c in NUMERIC] for r in rows], dtype=np.float32)
    y = np.array([float(r["label"]) for r in rows], dtype=np.float32)
    return x, num, y

def metrics(y, p):
    p = np.clip(p.astype(np.float64), 1e-7, 1 - 1e-7)
    logloss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    acc = float(np.mean((p >= 0.5) == (y > 0.5)))
    order = np.argsort(-p, kind="stable"); ps, ys = p[order], y[order]
    P, N = ys.sum(), len(ys) - ys.sum()
    auc = 0.0; ap = 0.0; tp = 0; fp = 0; i = 0
    while i < len(ps):
        j = i
        while j < len(ps) and ps[j] == ps[i]: j += 1
        gp = ys[i:j].sum(); gn = (j - i) - gp
        auc += gn * (tp + 0.5 * gp)
        prev = tp / P
        tp += gp; fp += gn
        if gp > 0: ap += (tp / P - prev) * tp / (tp + fp)
        i = j
    return {"roc_auc": float(auc / (P * N)), "pr_auc": float(ap), "logloss": logloss, "accuracy": acc}

def embedding(keras, n):
    return keras.layers.Embedding(n, 10, embeddings_initializer=keras.initializers.TruncatedNormal(stddev=1 / np.sqrt(10)))

def lookup(keras, table, ids):
    """Rows of `ids` (any shape), zero where an id is -1."""
    mask = keras.ops.cast(keras.ops.greater_equal(ids, 0), "float32")
    return table(keras.ops.maximum(ids, 0)) * keras.ops.expand_dims(mask, -1)

def din(keras, movies):
    user_num = keras.Input(shape=(3,), name="user_numeric"); movie_num = keras.Input(shape=(4,), name="movie_numeric")
    ids = {c: keras.Input(shape=(1,), dtype="int32", name=c) for c in ["userId", "userGenre1", "movieGenre1", "movieId"]}
    recent = keras.Input(shape=(5,), dtype="int32", name="recent")
    movie_table = embedding(keras, movies)
    flat = keras.layers.Flatten()
    user_profile = keras.layers.Concatenate()([flat(lookup(keras, embedding(keras, 30001), ids["userId"])),
                                               flat(lookup(keras, embedding(keras, 19), ids["userGenre1"])), user_num])
    context = keras.layers.Concatenate()([flat(lookup(keras, embedding(keras, 19), ids["movieGenre1"])), movie_num])
    q = flat(lookup(keras, movie_table, ids["movieId"]))                      # (B, 10)
    h = lookup(keras, movie_table, recent)                                    # (B, 5, 10)
    qs = keras.layers.RepeatVector(5)(q)
    unit = keras.layers.Concatenate(axis=-1)([keras.layers.Subtract()([h, qs]), h, qs, keras.layers.Multiply()([h, qs])])
    unit = keras.layers.PReLU()(keras.layers.Dense(32)(unit))
    weight = keras.layers.Dense(1, activation="sigmoid")(unit)               # (B, 5, 1)
    pooled = keras.ops.sum(h * weight, axis=1)
    z = keras.layers.Concatenate()([user_profile, pooled, q, context])
    z = keras.layers.PReLU()(keras.layers.Dense(128)(z))
    z = keras.layers.PReLU()(keras.layers.Dense(64)(z))
    out = keras.layers.Dense(1, activation="sigmoid")(z)
    return keras.Model([user_num, movie_num, recent] + list(ids.values()), out)

USER_NUMERIC = [NUMERIC.index(c) for c in ["userRatingCount", "userAvgRating", "userRatingStddev"]]
MOVIE_NUMERIC = [NUMERIC.index(c) for c in ["releaseYear", "movieRatingCount", "movieAvgRating", "movieRatingStddev"]]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("samples"); ap.add_argument("--seed", type=int, default=1); ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--numeric", default="raw"); ap.add_argument("--lr", type=float, default=0.001); ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--test"); ap.add_argument("--model", default="mlp", choices=["mlp", "din"]); ap.add_argument("--movies", type=int, default=1001)
    a = ap.parse_args()
    import tensorflow as tf
    import keras
    keras.utils.set_random_seed(a.seed)
    x, num, y = load(a.samples, a.movies)
    if a.test:
        tx, tnum, ty = load(a.test, a.movies)
        test = np.concatenate([np.zeros(len(y), bool), np.ones(len(ty), bool)]); train = ~test
        x = {c: np.concatenate([x[c], tx[c]]) for c in x}; num = np.concatenate([num, tnum]); y = np.concatenate([y, ty])
    else:
        idx = np.arange(len(y)); test = idx % 5 == 4; train = ~test
    if a.numeric == "standardize":
        mean, sd = num[train].mean(0), num[train].std(0) + 1e-12
        num = (num - mean) / sd
    if a.model == "din":
        model = din(keras, a.movies)
        model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(a.lr))
        def feed(mask):
            return {"user_numeric": num[mask][:, USER_NUMERIC], "movie_numeric": num[mask][:, MOVIE_NUMERIC], "recent": x["recent"][mask],
                    **{c: x[c][mask][:, None] for c in ["userId", "userGenre1", "movieGenre1", "movieId"]}}
        return fit_and_report(tf, model, feed, train, test, y, a)
    inputs, parts = [], []
    ni = keras.Input(shape=(len(NUMERIC),), name="numeric"); inputs.append(ni); parts.append(ni)
    for c, n in [(c, 19) for c in GENRE_COLS] + [("movieId", a.movies), ("userId", 30001)]:
        i = keras.Input(shape=(1,), dtype="int32", name=c); inputs.append(i)
        e = keras.layers.Embedding(n, 10, embeddings_initializer=keras.initializers.TruncatedNormal(stddev=1 / np.sqrt(10)))(keras.ops.maximum(i, 0))
        mask = keras.ops.cast(keras.ops.greater_equal(i, 0), "float32")
        parts.append(keras.layers.Flatten()(e * keras.ops.expand_dims(mask, -1)))
    h = keras.layers.Concatenate()(parts)
    h = keras.layers.Dense(128, activation="relu")(h)
    h = keras.layers.Dense(128, activation="relu")(h)
    out = keras.layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model(inputs, out)
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(a.lr))
    def feed(mask):
        return {"numeric": num[mask], **{c: x[c][mask][:, None] for c in x if c != "recent"}}
    fit_and_report(tf, model, feed, train, test, y, a)

def fit_and_report(tf, model, feed, train, test, y, a):
    t0 = time.time()
    model.fit(feed(train), y[train], batch_size=a.batch, epochs=a.epochs, shuffle=True, verbose=0)
    train_sps = train.sum() * a.epochs / (time.time() - t0)
    p = model.predict(feed(test), batch_size=1024, verbose=0)[:, 0]
    m = metrics(y[test], p)
    # 800 candidates for one user through a traced tf.function
    f = tf.function(lambda d: model(d, training=False))
    cand = {k: tf.constant(v[:800]) for k, v in feed(test).items()}
    for _ in range(10): f(cand)
    lat = []
    for _ in range(200):
        t = time.perf_counter(); f(cand).numpy(); lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    t = time.time(); model.predict(feed(test), batch_size=1024, verbose=0); infer = test.sum() / (time.time() - t)
    print(json.dumps({"test": m, "train_samples_per_s": float(train_sps), "infer_samples_per_s": float(infer), "train_rows": int(train.sum()),
                      "p50_800_ms": float(lat[100]), "p99_800_ms": float(lat[198]), "params": int(model.count_params())}))

if __name__ == "__main__":
    main()
