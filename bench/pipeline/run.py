#!/usr/bin/env python3
"""Pipeline benchmark: from a raw interaction log to ranking samples and a
trained ranker, on movielens-small (../shared/data/movielens-small, or
--data DIR), and samples build on a 1M-event log made by resampling its
users (each copy of a user gets a new id and the same events, times shifted
by a whole number of days so that copies interleave in time).

  python3 bench/pipeline/run.py [--data DIR] [--events 1000000]

Writes bench/results/pipeline.{md,json}. Needs the release build.
"""
import argparse, json, os, re, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECSYS = os.path.join(ROOT, ".build/release/recsys")
DATA = os.path.join(ROOT, "bench/data/pipeline")

def run(args, **kw):
    t0 = time.time()
    p = subprocess.run([RECSYS] + args, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        sys.exit(f"recsys {' '.join(args)} failed: {p.stderr}")
    return time.time() - t0, p.stdout

def resample(src, dst, events):
    with open(src) as f:
        header = f.readline()
        rows = [line.rstrip("\n").split(",") for line in f if line.strip()]
    with open(dst, "w") as out:
        out.write(header)
        written, copy = 0, 0
        while written < events:
            shift = copy * 86400
            for u, m, r, t in rows:
                if written >= events:
                    break
                out.write(f"{int(u) + copy * 100000},{m},{r},{int(t) + shift}\n")
                written += 1
            copy += 1
    return written

def sequences(ratings, min_rating=3.5, holdout_last=1):
    """Each user's positive events in time order (ties in file order), the last
    `holdout_last` left out: the sentences `recsys item2vec train --holdout-last` trains on."""
    by_user = {}
    with open(ratings) as f:
        f.readline()
        for n, line in enumerate(f):
            u, m, r, t = line.rstrip("\n").split(",")[:4]
            if float(r) >= min_rating:
                by_user.setdefault(u, []).append((int(t), n, m))
    out = []
    for events in by_user.values():
        events.sort()
        items = [m for _, _, m in events]
        out.append(items[:max(0, len(items) - holdout_last)])
    return out

MIN_COUNT, RECENT = 5, 3

def holdout(store, ratings, table):
    """Hit rates with the query the mean of all earlier positives, and of the last RECENT."""
    out = {}
    for name, extra in (("", []), ("recent_", ["--recent", str(RECENT)])):
        _, text = run(["recall", "holdout", "--ratings", ratings, "--table", table, "-k", "10,100", "--json", "--store", store] + extra)
        e = json.loads(text)
        get = lambda m, k: next(r["hit_rate"] for r in e["rows"] if r["method"] == m and r["k"] == k)
        out.update({f"{name}hit@10": get("exact", 10), f"{name}hit@100": get("exact", 100), "popular_hit@100": get("most popular", 100), "users": e["users"]})
    return out

def item2vec_vs_gensim(ratings):
    """recsys item2vec and gensim's Word2Vec (sg=1, the same dim, window,
    negative, epochs, no subsampling) on the same sentences, with 1 and 2
    threads: training seconds and hit rate of each user's held-out last
    positive event, both tables scored by `recsys recall holdout`."""
    out = []
    for threads in (1, 2):
        store = os.path.join(DATA, f"i2v{threads}.lmdb")
        subprocess.run(["rm", "-rf", store])
        _, text = run(["item2vec", "train", "--ratings", ratings, "--table", "ours", "--holdout-last", "1", "--min-count", str(MIN_COUNT), "--threads", str(threads), "--store", store])
        seconds = float(re.search(r"; ([0-9.]+) s,", text).group(1))
        out.append({"system": "recsys", "threads": threads, "train_s": seconds, **holdout(store, ratings, "ours")})
    try:
        from gensim.models import Word2Vec
    except ImportError:
        out.append({"system": "gensim", "skipped": "not installed (pip install gensim)"})
        return out
    sents = sequences(ratings)
    for threads in (1, 2):
        t0 = time.time()
        model = Word2Vec(sentences=sents, vector_size=10, window=5, negative=5, epochs=10, min_count=MIN_COUNT, sg=1, sample=0, workers=threads, seed=1)
        seconds = time.time() - t0
        vec = os.path.join(DATA, f"gensim{threads}.txt")
        model.wv.save_word2vec_format(vec)
        store = os.path.join(DATA, f"i2v{threads}.lmdb")
        run(["embedding", "import", vec, "--table", "gensim", "--format", "word2vec", "--store", store])
        out.append({"system": "gensim", "threads": threads, "train_s": seconds, **holdout(store, ratings, "gensim")})
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "movielens-small"))
    ap.add_argument("--events", type=int, default=1_000_000)
    a = ap.parse_args()
    os.makedirs(DATA, exist_ok=True)
    ratings, movies = os.path.join(a.data, "ratings.csv"), os.path.join(a.data, "movies.csv")
    res = {"date": time.strftime("%Y-%m-%d %H:%M"), "commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()}

    out = os.path.join(DATA, "ml.csv")
    seconds, text = run(["samples", "build", "--ratings", ratings, "--movies", movies, "-o", out, "--split", "time:0.2"])
    res["samples_small_s"] = seconds
    res["samples_small_line"] = text.strip().splitlines()[-1]
    store = os.path.join(DATA, "ml.lmdb")
    subprocess.run(["rm", "-rf", store])
    seconds, text = run(["train", "--samples", os.path.join(DATA, "ml-train.csv"), "--test", os.path.join(DATA, "ml-test.csv"),
                         "--model", "ml", "--store", store, "--json"])
    res["train_s"] = seconds
    res["train"] = json.loads(text[text.index("{"):])

    res["item2vec"] = item2vec_vs_gensim(ratings)

    p = subprocess.run(["bash", os.path.join(ROOT, "scripts/pipeline.sh"), ratings, movies, os.path.join(DATA, "pipeline.lmdb")],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"scripts/pipeline.sh failed: {p.stderr}")
    res["pipeline_stages"] = [line[3:] for line in p.stderr.splitlines() if line.startswith("== ")]

    big = os.path.join(DATA, "ratings-1m.csv")
    res["events_1m"] = resample(ratings, big, a.events)
    seconds, text = run(["samples", "build", "--ratings", big, "--movies", movies, "-o", os.path.join(DATA, "big.csv"), "--split", "time:0.2"])
    res["samples_1m_s"] = seconds
    res["samples_1m_line"] = text.strip().splitlines()[-1]

    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench/results/pipeline.json"), "w") as f:
        json.dump(res, f, indent=2)
    test = res["train"].get("test") or {}
    md = [f"# Pipeline benchmark ({res['date']}, commit {res['commit']})", "",
          "| stage | figure |", "|---|---|",
          f"| samples build, movielens-small (61k events, time split 0.2) | {res['samples_small_s']:.2f} s (whole command) |",
          f"| ranker trained on that split (default spec) | test ROC AUC {test.get('roc_auc', float('nan')):.4f}, {res['train_s']:.1f} s |",
          f"| samples build, {res['events_1m']:,} events (users of movielens-small resampled) | {res['samples_1m_s']:.2f} s (target < 10 s) |",
          "", f"item2vec on movielens-small (dim 10, window 5, negative 5, 10 epochs, min-count {MIN_COUNT}; each user's last positive event",
          "held out of training and used as the target (a target outside the table is a miss); hit rate of the target among the",
          f"10 / 100 nearest to the mean of all the user's earlier positives, or of the last {RECENT} (`--recent {RECENT}`), history excluded;",
          "gensim: Word2Vec sg=1, sample=0, on the same sentences; both scored by `recsys recall holdout`):", "",
          f"| system | threads | training s | hit@10 all | hit@100 all | hit@10 last {RECENT} | hit@100 last {RECENT} | most popular hit@100 |", "|---|---|---|---|---|---|---|---|"]
    for r in res["item2vec"]:
        if "skipped" in r:
            md.append(f"| {r['system']} | - | {r['skipped']} | | | | | |")
        else:
            md.append(f"| {r['system']} | {r['threads']} | {r['train_s']:.2f} | {r['hit@10']:.4f} | {r['hit@100']:.4f} | {r['recent_hit@10']:.4f} | {r['recent_hit@100']:.4f} | {r['popular_hit@100']:.4f} |")
    md += ["", "The whole path on movielens-small, `scripts/pipeline.sh` (target: under a minute):", "", "```"] + res["pipeline_stages"] + ["```"]
    md += ["", "Output lines:", "", "```", res["samples_small_line"], res["samples_1m_line"], "```"]
    with open(os.path.join(ROOT, "bench/results/pipeline.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))

if __name__ == "__main__":
    main()
