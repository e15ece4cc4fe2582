#!/usr/bin/env python3
"""Ranker benchmark: recsys's Swift ranker against TensorFlow/Keras with the
same architectures, 5 epochs, batch 256, learning rate 0.001, seeds 1-3, on
two data sets:

- sparrow: SparrowRecSys testSamples.csv, row i test when i % 5 == 4;
  pretrained vectors: the course's item2vecEmb.csv (trained on all of its
  ratings, test rows' events included).
- movielens: `recsys samples build --split time:0.2` on movielens-small (the
  latest 20% of events are test); pretrained vectors: `recsys item2vec train`
  on the training period's ratings, the ranker's own training events
  included. Movie ids go to 193609, so the presets are printed with
  `recsys spec` and their movie tables widened.
- movielens, item2vec before the window: the same test rows; item2vec learns
  from the earlier half of the training period and the ranker trains on the
  later half, so the pretrained vectors never saw a training label.

Besides the 5-epoch figures, each recsys configuration's test AUC after one
epoch shows how fast it converges. Two ablations say where din's gain comes
from: din as it was before (a user id column, no regularisation) and
sparrow-plus given only din's two changes (no user id column, mini-batch
aware regularisation).

Writes bench/results/ranker.{md,json}.
"""
import csv, json, os, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECSYS = os.path.join(ROOT, ".build/release/recsys")
BENCH = os.path.join(ROOT, ".build/release/recsys-bench")
SHARED = os.path.join(os.path.dirname(ROOT), "shared/data/movielens-small")
WORK = os.path.join(ROOT, "bench/data/ranker")
SEEDS = [1, 2, 3]
PY = sys.executable

def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

def prepare_sparrow():
    store = os.path.join(WORK, "sparrow.lmdb")
    run([RECSYS, "embedding", "import", os.path.join(ROOT, "data/sparrowrecsys/item2vecEmb.csv"), "--table", "item2vec", "--store", store])
    samples = os.path.join(ROOT, "data/sparrowrecsys/testSamples.csv")
    return {"name": "sparrow", "store": store, "split": ["--holdout-every", "5"], "samples": samples, "tf": [samples], "movies": 1001,
            "specs": write_specs("sp", 1001), "user": "10292"}

def write_specs(prefix, movies):
    """The presets and two ablations as spec files, movie tables widened to `movies` rows."""
    printed = {p: json.loads(run([RECSYS, "spec", p])) for p in ["sparrow-plus", "sparrow-history", "din"]}
    user_id = next(c for c in printed["sparrow-plus"]["categorical"] if c["name"] == "userId")
    # last round's din: a user id column, no regularisation
    printed["din-user-id"] = dict(printed["din"], categorical=printed["din"]["categorical"] + [user_id], embeddingL2=None)
    # sparrow-plus given din's two changes but not its attention or bags
    printed["sparrow-plus-no-user-id"] = dict(printed["sparrow-plus"], categorical=[c for c in printed["sparrow-plus"]["categorical"] if c["name"] != "userId"],
                                              embeddingL2=printed["din"]["embeddingL2"])
    specs = {}
    for name, spec in printed.items():
        for c in spec["categorical"]:
            if c.get("identity") == 1001: c["identity"] = movies
        specs[name] = os.path.join(WORK, f"{prefix}-{name}.json")
        json.dump(spec, open(specs[name], "w"))
    return specs

def prepare_movielens():
    store = os.path.join(WORK, "movielens.lmdb")
    out = os.path.join(WORK, "ml-samples.csv")
    run([RECSYS, "samples", "build", "--ratings", os.path.join(SHARED, "ratings.csv"), "--movies", os.path.join(SHARED, "movies.csv"),
         "-o", out, "--split", "time:0.2"])
    train, test = out.replace(".csv", "-train.csv"), out.replace(".csv", "-test.csv")
    ratings = os.path.join(WORK, "ml-ratings-train.csv")
    with open(ratings, "w") as f:
        f.write("userId,movieId,rating,timestamp\n")
        for r in csv.DictReader(open(train)):
            f.write(f"{r['userId']},{r['movieId']},{r['rating']},{r['timestamp']}\n")
    run([RECSYS, "item2vec", "train", "--ratings", ratings, "--store", store])
    movies = max(int(r["movieId"]) for r in csv.DictReader(open(os.path.join(SHARED, "movies.csv")))) + 1
    specs = write_specs("ml", movies)
    full = {"name": "movielens", "store": store, "split": ["--test", test], "samples": train, "tf": [train, "--test", test], "movies": movies,
            "specs": specs, "user": "1"}
    # the later half of the training period for the ranker, the earlier half for item2vec
    lines = open(train).read().splitlines()
    times = [int(r["timestamp"]) for r in csv.DictReader(lines)]
    cut = sorted(times)[len(times) // 2]
    late = os.path.join(WORK, "ml-samples-late.csv")
    with open(late, "w") as f:
        f.write(lines[0] + "\n" + "".join(line + "\n" for line, t in zip(lines[1:], times) if t >= cut))
    early_store = os.path.join(WORK, "movielens-early.lmdb")
    run([RECSYS, "item2vec", "train", "--ratings", ratings, "--before", str(cut), "--store", early_store])
    before = dict(full, name="movielens, item2vec before the window", store=early_store, samples=late, tf=None)
    return [full, before]

def ours(data, preset, seed, extra=(), model="bench", epochs=5):
    cmd = [RECSYS, "train", "--samples", data["samples"], *data["split"], "--model", model, "--spec", data["specs"][preset],
           "--batch-size", "256", "--learning-rate", "0.001", "--epochs", str(epochs), "--seed", str(seed), "--store", data["store"], "--json", *extra]
    r = json.loads(run(cmd))
    out = {"test": r["test"], "train_samples_per_s": statistics.mean(e["samples_per_second"] for e in r["epochs"])}
    if epochs > 1:
        out["one_epoch_auc"] = ours(data, preset, seed, extra, model, epochs=1)["test"]["roc_auc"]
    return out

def tensorflow(data, model, seed):
    out = run([PY, os.path.join(ROOT, "bench/ranker/tf_peer.py"), *data["tf"], "--seed", str(seed), "--batch", "256", "--numeric", "standardize",
               "--lr", "0.001", "--model", model, "--movies", str(data["movies"])])
    return json.loads(out.strip().splitlines()[-1])

INIT = ["--init", "movieId=item2vec"]
CONFIGS = [  # (name, system, preset or TF model, extra flags)
    ("sparrow-plus (previous default)", "recsys", "sparrow-plus", []),
    ("sparrow-plus, --init movieId=item2vec", "recsys", "sparrow-plus", INIT),
    ("sparrow-history (recent movies, mean bag)", "recsys", "sparrow-history", []),
    ("din (default)", "recsys", "din", []),
    ("din, --init movieId=item2vec", "recsys", "din", INIT),
    ("din, --init movieId=item2vec --freeze movieId", "recsys", "din", INIT + ["--freeze", "movieId"]),
    ("ablation: din with a user id column, unregularised (last round's din)", "recsys", "din-user-id", []),
    ("ablation: sparrow-plus without its user id column, regularised as din", "recsys", "sparrow-plus-no-user-id", []),
    ("EmbeddingMLP.py, standardised numerics", "tensorflow", "mlp", None),
    ("DIN.py, standardised numerics", "tensorflow", "din", None),
]

def summary(runs, key):
    v = [r["test"][key] for r in runs]
    return statistics.mean(v), (max(v) - min(v)) / 2

def main():
    subprocess.run(["rm", "-rf", WORK])
    os.makedirs(WORK)
    results = {"date": time.strftime("%Y-%m-%d %H:%M"), "seeds": SEEDS, "datasets": []}
    for data in [prepare_sparrow(), *prepare_movielens()]:
        entry = {"name": data["name"], "configs": []}
        for name, system, what, extra in CONFIGS:
            if system == "tensorflow" and not data["tf"]: continue
            runs = [ours(data, what, s, extra) if system == "recsys" else tensorflow(data, what, s) for s in SEEDS]
            entry["configs"].append({"name": name, "system": system, "runs": runs})
            print(f"{data['name']}: {name}: {summary(runs, 'roc_auc')[0]:.4f}", file=sys.stderr)
        if data["tf"]:
            lat = {}
            for preset in ["sparrow-plus", "din"]:
                ours(data, preset, 1, model=preset, epochs=1)
                lat[preset] = json.loads(run([BENCH, "rank-latency", data["store"], preset, data["user"], "item2vec", "300"]).strip())
            entry["latency"] = lat
        results["datasets"].append(entry)
    with open(os.path.join(ROOT, "bench/results/ranker.json"), "w") as f: json.dump(results, f, indent=1)
    lines = [f"# Ranker benchmark ({results['date']}): 5 epochs, batch 256, lr 0.001, seeds {SEEDS}", "",
             "sparrow: SparrowRecSys testSamples.csv, row i test when i % 5 == 4 (item2vec: the course's vectors, trained on all ratings). "
             "movielens: movielens-small, `samples build --split time:0.2` (item2vec: trained on the training period only).", ""]
    for d in results["datasets"]:
        base = next(c for c in d["configs"] if c["name"].startswith("sparrow-plus (previous default)"))
        tf_din = next((c for c in d["configs"] if c["system"] == "tensorflow" and c["name"].startswith("DIN")), None)
        base_auc = summary(base["runs"], "roc_auc")[0]
        tf_sps = statistics.mean(r["train_samples_per_s"] for r in tf_din["runs"]) if tf_din else None
        lines += [f"## {d['name']}", "", "| config | system | test ROC AUC (mean ± half-range) | vs sparrow-plus | after 1 epoch | PR AUC | logloss | train samples/s | vs TF DIN samples/s |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for c in d["configs"]:
            auc, spread = summary(c["runs"], "roc_auc")
            sps = statistics.mean(r["train_samples_per_s"] for r in c["runs"])
            first = f"{statistics.mean(r['one_epoch_auc'] for r in c['runs']):.4f}" if "one_epoch_auc" in c["runs"][0] else ""
            lines.append(f"| {c['name']} | {c['system']} | {auc:.4f} ± {spread:.4f} | {auc - base_auc:+.4f} | {first} | {summary(c['runs'], 'pr_auc')[0]:.4f} | "
                         f"{summary(c['runs'], 'logloss')[0]:.4f} | {sps:,.0f} | {f'{sps / tf_sps:.1f}x' if tf_sps else ''} |")
        if "latency" in d:
            lines += ["", "Scoring 800 random candidates for one user, features from the store, model loaded once: " +
                      ", ".join(f"{p} p50 {l['p50_ms']:.3f} ms, p99 {l['p99_ms']:.3f} ms" for p, l in d["latency"].items()) +
                      f"; TensorFlow DIN (traced tf.function, features already in tensors) p50 {statistics.mean(r['p50_800_ms'] for r in tf_din['runs']):.3f} ms."]
        lines.append("")
    with open(os.path.join(ROOT, "bench/results/ranker.md"), "w") as f: f.write("\n".join(lines))
    print("\n".join(lines))

if __name__ == "__main__":
    main()
