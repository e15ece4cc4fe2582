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
          "", "Output lines:", "", "```", res["samples_small_line"], res["samples_1m_line"], "```"]
    with open(os.path.join(ROOT, "bench/results/pipeline.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))

if __name__ == "__main__":
    main()
