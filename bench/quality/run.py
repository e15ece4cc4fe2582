#!/usr/bin/env python3
"""Top-N quality, side by side in one run: recsys's sources (recsys evaluate)
beside most popular, item-item cosine kNN, EASE^R and implicit's ALS and BPR,
on one split of one log, full ranking (all items, the user's training items
excluded), HR/NDCG/Recall/MRR at K.

The split is recsys evaluate's: positives are ratings >= --min-rating in time
order; `last` holds out each user's last positive, `time:F` the positives
after the F quantile of event times. The peers are trained on exactly the
training positives recsys uses. Each peer gets a small grid tuned on a
validation split cut from training (each user's second-to-last positive);
recsys is tuned the same way (neighbours kept per item, EASE^R's lambda and
the ranking's recency decay, by recommend's NDCG@10) and no more. recsys's rows are
`recsys evaluate`'s sources: `recommend` is the default final list,
`merged` the candidates it ranks.

Usage: bench/quality/run.py [--ratings FILE] [--protocol last|time:0.8] [--min-rating 3.5] [-o bench/results/quality.md]
"""
import argparse, json, os, subprocess, sys, tempfile, time
import numpy as np
import scipy.sparse as sp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECSYS = os.path.join(ROOT, ".build", "release", "recsys")
KS = [10, 50, 100, 800]


def load(path, min_rating):
    import csv
    rows = []
    with open(path) as f:
        r = csv.reader(f)
        next(r)
        for i, row in enumerate(r):
            rows.append((row[0], row[1], float(row[2]), float(row[3]), i))
    items = {}
    for u, m, *_ in rows:
        items.setdefault(m, len(items))
    by_user = {}
    # recsys's order: by user, then time, then file order
    for u, m, rating, t, i in sorted(rows, key=lambda x: (x[3], x[4])):
        by_user.setdefault(u, []).append((items[m], rating, t))
    return rows, items, by_user


def split(by_user, min_rating, protocol, holdout_extra=0, times=None):
    """history and targets per user, as recsys evaluate builds them."""
    hist, targ = {}, {}
    if protocol == "last":
        for u, ev in by_user.items():
            pos = [i for i, r, t in ev if r >= min_rating]
            cut = max(0, len(pos) - 1 - holdout_extra)
            h, tg = pos[:cut], pos[cut:cut + 1]
            if h and tg:
                hist[u], targ[u] = h, set(tg)
    else:
        f = float(protocol[5:])
        s = sorted(times)
        cut = s[min(len(s) - 1, int(len(s) * f))]
        # every user's events before the cut train (as recsys evaluate's do); users with targets are scored
        for u, ev in by_user.items():
            h = [i for i, r, t in ev if r >= min_rating and t < cut]
            seen = set(h)
            tg = {i for i, r, t in ev if r >= min_rating and t >= cut and i not in seen}
            if h:
                hist[u] = h
            if h and tg:
                targ[u] = tg
    return hist, targ


def metrics(lists, targ, n_items):
    out = {}
    for k in KS:
        hr = nd = rc = mrr = 0.0
        cov = set()
        for u, ranked in lists.items():
            t = targ[u]
            top = ranked[:k]
            cov.update(top)
            hits = [i for i, x in enumerate(top) if x in t]
            if hits:
                hr += 1
                mrr += 1 / (hits[0] + 1)
            rc += len(hits) / len(t)
            ideal = sum(1 / np.log2(i + 2) for i in range(min(len(t), k)))
            nd += sum(1 / np.log2(i + 2) for i in hits) / ideal
        n = max(1, len(lists))
        out[k] = dict(hr=hr / n, ndcg=nd / n, recall=rc / n, mrr=mrr / n, coverage=len(cov) / n_items)
    return out


def matrix(hist, users, n_items):
    r, c = [], []
    for ui, u in enumerate(users):
        for i in set(hist[u]):
            r.append(ui); c.append(i)
    return sp.csr_matrix((np.ones(len(r), dtype=np.float32), (r, c)), shape=(len(users), n_items))


def top_from_scores(scores, X, k):
    scores = np.asarray(scores, dtype=np.float32).copy()
    scores[X.nonzero()] = -np.inf
    idx = np.argpartition(-scores, k, axis=1)[:, :k]
    part = np.take_along_axis(scores, idx, 1)
    order = np.argsort(-part, axis=1)
    return np.take_along_axis(idx, order, 1)


def popular(X, k, **_):
    s = np.asarray(X.sum(0)).ravel()
    return top_from_scores(np.tile(s, (X.shape[0], 1)), X, k)


def itemknn(X, k, neighbours=100, **_):
    Xc = X.tocsc()
    n = np.sqrt(np.asarray(X.sum(0)).ravel()) + 1e-9
    S = (X.T @ X).toarray().astype(np.float32)
    np.fill_diagonal(S, 0)
    S /= n[:, None] * n[None, :]
    if neighbours < S.shape[0]:
        cut = np.partition(S, -neighbours, axis=1)[:, -neighbours][:, None]
        S[S < cut] = 0
    return top_from_scores(X @ S, X, k)


def ease(X, k, lam=500.0, **_):
    G = (X.T @ X).toarray().astype(np.float64)
    G[np.diag_indices_from(G)] += lam
    P = np.linalg.inv(G)
    B = P / (-np.diag(P))
    B[np.diag_indices_from(B)] = 0
    return top_from_scores(X @ B, X, k)


def als(X, k, factors=64, reg=0.05, alpha=10.0, iterations=15, **_):
    from implicit.als import AlternatingLeastSquares
    m = AlternatingLeastSquares(factors=factors, regularization=reg, alpha=alpha, iterations=iterations, random_state=1)
    m.fit(X, show_progress=False)
    ids, _ = m.recommend(np.arange(X.shape[0]), X, N=k, filter_already_liked_items=True)
    return ids


def bpr(X, k, factors=64, lr=0.01, reg=0.01, iterations=100, **_):
    from implicit.bpr import BayesianPersonalizedRanking
    m = BayesianPersonalizedRanking(factors=factors, learning_rate=lr, regularization=reg, iterations=iterations, random_state=1)
    m.fit(X, show_progress=False)
    ids, _ = m.recommend(np.arange(X.shape[0]), X, N=k, filter_already_liked_items=True)
    return ids


GRIDS = {
    "most popular": (popular, [{}]),
    "item kNN (cosine)": (itemknn, [{"neighbours": n} for n in (50, 100, 200, 10_000)]),
    "EASE^R": (ease, [{"lam": l} for l in (50.0, 100.0, 300.0, 500.0, 2000.0)]),
    "implicit ALS": (als, [{"factors": f, "reg": r, "alpha": a} for f in (32, 64, 128) for r in (0.01, 0.1) for a in (1.0, 10.0)]),
    "implicit BPR": (bpr, [{"factors": f, "lr": lr} for f in (32, 64) for lr in (0.01, 0.05)]),
}


def run_peer(fn, params, hist, targ, n_items, k):
    users = sorted(hist)
    X = matrix(hist, users, n_items)
    t0 = time.perf_counter()
    ids = fn(X, k, **params)
    dt = time.perf_counter() - t0
    lists = {u: [int(x) for x in ids[ui]] for ui, u in enumerate(users) if u in targ}
    return metrics(lists, targ, n_items), dt


def recsys(args, store, *extra):
    return subprocess.run([RECSYS] + list(args) + ["--store", store] + list(extra), check=True, capture_output=True, text=True).stdout


def run_recsys(ratings, protocol, min_rating, params, work, validation=False):
    """recsys evaluate on this split: item2vec trained without the targets (and,
    for validation, without the validation item); the neighbours are learned
    by evaluate itself from the same training positives."""
    store = os.path.join(work, f"s-{validation}.lmdb")
    if store not in I2V_SECONDS:
        hold = 2 if validation else 1
        t0 = time.perf_counter()
        if protocol == "last":
            recsys(["item2vec", "train", "--ratings", ratings, "--table", "item2vec", "--min-count", "5", "--holdout-last", str(hold), "--min-rating", str(min_rating)], store)
        else:
            cut = time_cut(ratings, float(protocol[5:]))
            recsys(["item2vec", "train", "--ratings", ratings, "--table", "item2vec", "--min-count", "5", "--before", str(cut), "--min-rating", str(min_rating)], store)
        I2V_SECONDS[store] = time.perf_counter() - t0
    path = os.path.join(work, "validation.csv") if validation else ratings
    args = ["evaluate", "--ratings", path, "--protocol", protocol, "--min-rating", str(min_rating), "--json"]
    for k, v in params.items():
        args += [f"--{k}", str(v)]
    out = json.loads(recsys(args, store))
    return out, I2V_SECONDS[store]


I2V_SECONDS = {}  # item2vec's training time per store (trained once, counted in every row that uses it)


def time_cut(path, f):
    import csv
    with open(path) as fh:
        r = csv.reader(fh); next(r)
        t = sorted(float(x[3]) for x in r)
    return int(t[min(len(t) - 1, int(len(t) * f))])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ratings", default=os.path.join(ROOT, "..", "shared", "data", "movielens-small", "ratings.csv"))
    ap.add_argument("--protocol", default="last")
    ap.add_argument("--min-rating", type=float, default=3.5)
    ap.add_argument("--implicit", action="store_true", help="drop the rating column: every event is a positive (a purchase-log shape)")
    ap.add_argument("-o", "--output")
    a = ap.parse_args()
    if a.implicit:
        a.min_rating = float("-inf")
    rows, items, by_user = load(a.ratings, a.min_rating)
    n_items = len(items)
    times = [r[3] for r in rows]
    hist, targ = split(by_user, a.min_rating, a.protocol, times=times)
    # validation: for `last`, each user's second-to-last positive, from the training part only
    vh, vt = split(by_user, a.min_rating, "last", holdout_extra=1) if a.protocol == "last" else split(by_user, a.min_rating, a.protocol, times=[t for t in times if t < sorted(times)[int(len(times) * float(a.protocol[5:]))]])
    work = tempfile.mkdtemp(prefix="recsys-quality-")
    # recsys reads the log itself; --implicit gives it one without ratings
    log = a.ratings
    if a.implicit:
        log = os.path.join(work, "implicit.csv")
        with open(log, "w") as fh:
            fh.write("userId,movieId,timestamp\n")
            for u, m, r, t, i in rows:
                fh.write(f"{u},{m},{int(t) if t == int(t) else t}\n")
    # the validation log for recsys: each user's events up to the validation target (later ones dropped)
    if a.protocol == "last":
        keep = set()
        pos_rank = {}
        for u, ev in by_user.items():
            pos = [t for i, r, t in ev if r >= a.min_rating]
            if len(pos) >= 2:
                pos_rank[u] = pos[-2]
        import csv
        with open(os.path.join(work, "validation.csv"), "w") as fh:
            fh.write("userId,movieId,timestamp\n" if a.implicit else "userId,movieId,rating,timestamp\n")
            for u, m, r, t, i in rows:
                if u in pos_rank and t <= pos_rank[u]:
                    fh.write(f"{u},{m},{int(t) if t == int(t) else t}\n" if a.implicit else f"{u},{m},{r},{int(t) if t == int(t) else t}\n")
    results = []
    for name, (fn, grid) in GRIDS.items():
        best = None
        for params in grid:
            try:
                m, _ = run_peer(fn, params, vh, vt, n_items, max(KS))
            except Exception as e:
                print(f"{name} {params}: {e}", file=sys.stderr)
                continue
            if best is None or m[10]["ndcg"] > best[0]:
                best = (m[10]["ndcg"], params)
        if best is None:
            continue
        m, dt = run_peer(fn, best[1], hist, targ, n_items, max(KS))
        results.append((name, best[1], m, dt))
        print(f"{name} {best[1]}: ndcg@10 {m[10]['ndcg']:.4f} hr@10 {m[10]['hr']:.4f} recall@800 {m[800]['recall']:.4f} ({dt:.2f} s)", file=sys.stderr)
    # recsys: the same kind of grid on the same validation split (protocol `last`;
    # the time split keeps the defaults), chosen by recommend's NDCG@10
    best = (None, {})
    if a.protocol == "last":
        for nb, decay, lam in [(n, d, l) for n in (100, 200, 400) for d in (0.7, 0.8, 0.9) for l in (50, 300)]:
            params = {"neighbours": nb, "decay": decay, "lambda": lam}
            out, _ = run_recsys(log, a.protocol, a.min_rating, params, work, validation=True)
            src = {s["source"]: s for s in out["sources"]}
            score = src["recommend"]["rows"][0]["ndcg"]
            print(f"recsys validation {params}: recommend ndcg@10 {score:.4f}", file=sys.stderr)
            if best[0] is None or score > best[0]:
                best = (score, params)
    # the defaults, untuned, then the tuned choice (when there was a validation grid)
    for label, params in [("defaults", {})] + ([("tuned", best[1])] if best[1] else []):
        out, t_i2v = run_recsys(log, a.protocol, a.min_rating, params, work)
        # the whole system's time: item2vec, the neighbours, every user's lists
        total = t_i2v + out["training_seconds"] + out["seconds"]
        for s in out["sources"]:
            if label == "tuned" and s["source"] not in ("merged", "recommend"):
                continue
            m = {r["k"]: r for r in s["rows"]}
            results.append((f"recsys {s['source']}", params or "defaults", m, total))
    shape = "implicit (rating column dropped: every event positive)" if a.implicit else f"positives rating >= {a.min_rating}"
    lines = [f"# Top-N quality: {os.path.basename(a.ratings)}, protocol {a.protocol}, {shape}", "",
             f"Users scored: {len(targ)}; items: {n_items}; full ranking, training items excluded. "
             f"Generated by `bench/quality/run.py --protocol {a.protocol} {'--implicit' if a.implicit else f'--min-rating {a.min_rating}'}` at commit "
             f"{subprocess.run(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()}.", "",
             "| system | tuned | HR@10 | NDCG@10 | HR@50 | NDCG@100 | Recall@100 | Recall@800 | MRR@10 | coverage@10 | seconds (train + all lists) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, params, m, dt in results:
        lines.append(f"| {name} | {params} | {m[10]['hr']:.4f} | {m[10]['ndcg']:.4f} | {m[50]['hr']:.4f} | {m[100]['ndcg']:.4f} | {m[100]['recall']:.4f} | {m[800]['recall']:.4f} | {m[10]['mrr']:.4f} | {m[10]['coverage']:.4f} | {dt:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if a.output:
        open(a.output, "w").write(text)


if __name__ == "__main__":
    main()
