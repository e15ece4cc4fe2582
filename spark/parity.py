#!/usr/bin/env python3
"""Parity of the Spark jobs with recsys, on demand (needs Java and pyspark):

  apt-get install -y openjdk-17-jre-headless && python3 -m venv .venv && .venv/bin/pip install pyspark
  .venv/bin/python spark/parity.py [--data ../shared/data/movielens-small]

1. `recsys samples build` and `spark/recsys_jobs.py samples` on the same log:
   every row of one is in the other (keyed by user, item, timestamp), equal
   as text. Events of one user with equal timestamps are ordered as in the
   file by both, so ties need no allowance.
2. `recsys train --samples DIR` trains on the Spark output directory.
3. `spark/recsys_jobs.py item2vec` (MLlib Word2Vec) imports as a table with
   `recsys embedding import DIR`, gets a recall index, and answers `recall item`.

Writes bench/results/spark-parity.{md,json}; exits non-zero on a mismatch.
"""
import argparse, csv, json, os, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RECSYS = os.path.join(ROOT, ".build/release/recsys")
sys.path.insert(0, os.path.join(ROOT, "bench/serve"))
from commit import build_commit  # noqa: E402


def run(*args, **kw):
    t0 = time.time()
    r = subprocess.run(list(args), capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{r.stderr[-3000:]}")
    return r.stdout, time.time() - t0


def rows(paths):
    out = {}
    for p in paths:
        with open(p, newline="") as f:
            for row in csv.DictReader(f):
                out.setdefault((row["userId"], row["movieId"], row["timestamp"]), []).append(row)
    return out


def compare(a, b):
    """(rows equal as text, differing rows with their differing fields, keys only in a, keys only in b)."""
    exact = 0
    differing, only_a, only_b = [], [], []
    for key in a.keys() | b.keys():
        ra, rb = a.get(key, []), b.get(key, [])
        for x, y in zip(ra, rb):
            if x == y:
                exact += 1
            else:
                differing.append((key, {c: (x[c], y[c]) for c in x if x[c] != y.get(c)}))
        only_a += [key] * max(0, len(ra) - len(rb))
        only_b += [key] * max(0, len(rb) - len(ra))
    return exact, differing, only_a, only_b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "movielens-small"))
    ap.add_argument("--python", default=sys.executable, help="a Python with pyspark")
    a = ap.parse_args()
    ratings, movies = os.path.join(a.data, "ratings.csv"), os.path.join(a.data, "movies.csv")
    work = tempfile.mkdtemp(prefix="recsys-spark-")
    failures = []
    try:
        jobs = [a.python, os.path.join(HERE, "recsys_jobs.py")]
        _, recsys_s = run(RECSYS, "samples", "build", "--ratings", ratings, "--movies", movies, "-o", f"{work}/recsys.csv")
        _, spark_s = run(*jobs, "samples", "--ratings", ratings, "--movies", movies, "--out", f"{work}/samples", "--master", "local[2]")
        parts = sorted(os.path.join(f"{work}/samples", p) for p in os.listdir(f"{work}/samples") if p.startswith("part-"))
        mine, theirs = rows([f"{work}/recsys.csv"]), rows(parts)
        exact, differing, only_recsys, only_spark = compare(mine, theirs)
        total = sum(len(v) for v in mine.values())
        if differing or only_recsys or only_spark:
            failures.append(f"{len(differing)} rows differ, {len(only_recsys)} only in recsys's, {len(only_spark)} only in Spark's")

        store = f"{work}/s.lmdb"
        train_out, train_s = run(RECSYS, "train", "--samples", f"{work}/samples", "--holdout-every", "5", "--epochs", "2", "--model", "spark", "--store", store, "--json")
        train = json.loads(train_out)
        _, w2v_s = run(*jobs, "item2vec", "--ratings", ratings, "--out", f"{work}/item2vec", "--master", "local[2]")
        imported, _ = run(RECSYS, "embedding", "import", f"{work}/item2vec", "--table", "item2vec_spark", "--store", store, "--json")
        imported = json.loads(imported)[0]
        run(RECSYS, "index", "build", "--table", "item2vec_spark", "--store", store)
        first = next(open(next(os.path.join(f"{work}/item2vec", p) for p in sorted(os.listdir(f"{work}/item2vec")) if p.startswith("part-") and os.path.getsize(os.path.join(f"{work}/item2vec", p)))))
        item = first.split(":", 1)[0]
        recalled, _ = run(RECSYS, "recall", "item", item, "-k", "5", "--table", "item2vec_spark", "--store", store, "--json")
        hits = json.loads(recalled)
        hits = hits.get("results", hits) if isinstance(hits, dict) else hits
        if len(hits) != 5:
            failures.append(f"recall item {item} on the Spark table gave {len(hits)} results, not 5")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    result = {"commit": build_commit(ROOT), "rows": total, "exact": exact, "differing": differing[:20],
              "only_recsys": only_recsys[:20], "only_spark": only_spark[:20], "recsys_samples_s": recsys_s, "spark_samples_s": spark_s,
              "spark_item2vec_s": w2v_s, "train": {k: train[k] for k in ("train", "test")}, "import": imported, "recall_item": item,
              "recall": hits, "failures": failures}
    with open(os.path.join(ROOT, "bench/results/spark-parity.json"), "w") as f:
        json.dump(result, f, indent=1)
    md = [f"# Spark jobs against recsys (commit {result['commit']})", "",
          "`.venv/bin/python spark/parity.py` on movielens-small (61k ratings, 400 users), Spark local[2].", "",
          "| check | result |", "|---|---|",
          f"| samples: rows | recsys {total}, Spark {sum(len(v) for v in theirs.values())} |",
          f"| samples: equal as text | {exact} |",
          f"| samples: differing, missing or extra rows | {len(differing) + len(only_recsys) + len(only_spark)} |",
          f"| samples build time | recsys {recsys_s:.1f} s, Spark {spark_s:.1f} s (JVM start included) |",
          f"| `recsys train --samples DIR --holdout-every 5 --epochs 2` on Spark's output | {train['train']['count']} train rows, {train['test']['count']} test rows, test AUC {train['test']['roc_auc']:.4f} |",
          f"| Spark MLlib Word2Vec item2vec (dim 10, window 5, 10 iterations, min count 5) | {w2v_s:.1f} s; `embedding import DIR`: {imported['rows']} rows x {imported['dimension']} ({imported['format']}) |",
          f"| `recall item {item} -k 5` on it | {', '.join(str(h.get('id', h)) if isinstance(h, dict) else str(h) for h in hits)} |",
          "", "Result: " + ("the same samples, row for row; the Spark table serves recall." if not failures else "FAILED: " + "; ".join(failures))]
    with open(os.path.join(ROOT, "bench/results/spark-parity.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))
    if failures:
        for d in differing[:5]:
            print(d, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
