#!/usr/bin/env python3
"""Ranker benchmark: recsys's Swift Embedding+MLP against TensorFlow/Keras on
SparrowRecSys testSamples.csv (row i is test when i % 5 == 4), 5 epochs,
3 seeds, (a) raw numerics batch 12, (b) standardised numerics batch 256, plus
recsys's tuned default spec. Writes bench/results/ranker.{md,json}.
"""
import json, os, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECSYS = os.path.join(ROOT, ".build/release/recsys")
BENCH = os.path.join(ROOT, ".build/release/recsys-bench")
SAMPLES = os.path.join(ROOT, "data/sparrowrecsys/testSamples.csv")
STORE = os.path.join(ROOT, "bench/data/ranker.lmdb")
SEEDS = [1, 2, 3]

def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

def ours(spec, numeric, batch, lr, seed, model="bench"):
    cmd = [RECSYS, "train", "--samples", SAMPLES, "--holdout-every", "5", "--model", model, "--spec", spec, "--batch-size", str(batch),
           "--learning-rate", str(lr), "--epochs", "5", "--seed", str(seed), "--store", STORE, "--json"]
    if numeric: cmd += ["--numeric", numeric]
    r = json.loads(run(cmd))
    return {"test": r["test"], "train_samples_per_s": statistics.mean(e["samples_per_second"] for e in r["epochs"])}

def summary(runs, key):
    v = [r["test"][key] for r in runs]
    return statistics.mean(v), (max(v) - min(v)) / 2

def main():
    subprocess.run(["rm", "-rf", STORE])
    run([RECSYS, "items", "import", os.path.join(ROOT, "data/sparrowrecsys/movies.csv"), "--store", STORE])
    run([RECSYS, "embedding", "import", os.path.join(ROOT, "data/sparrowrecsys/item2vecEmb.csv"), "--table", "item2vec", "--store", STORE])
    configs = [("(a) sparrow, raw numerics, batch 12", "sparrow", "raw", 12, 0.001, "raw"),
               ("(b) sparrow, standardised numerics, batch 256", "sparrow", "standardize", 256, 0.001, "standardize"),
               ("recsys default: sparrow-plus, batch 256, lr 0.001", "sparrow-plus", None, 256, 0.001, None)]
    results = {"date": time.strftime("%Y-%m-%d %H:%M"), "configs": []}
    for name, spec, numeric, batch, lr, tf_numeric in configs:
        entry = {"name": name, "recsys": [ours(spec, numeric, batch, lr, s) for s in SEEDS]}
        if tf_numeric:
            entry["tensorflow"] = [json.loads(run([sys.executable, os.path.join(ROOT, "bench/ranker/tf_peer.py"), SAMPLES, "--seed", str(s),
                                                   "--batch", str(batch), "--numeric", tf_numeric, "--lr", str(lr)]).strip().splitlines()[-1]) for s in SEEDS]
        results["configs"].append(entry)
        print(f"done {name}", file=sys.stderr)
    # serving latency: 800 candidates, features from the store, model from config (a)'s last run
    run([RECSYS, "train", "--samples", SAMPLES, "--holdout-every", "5", "--model", "sparrow", "--spec", "sparrow", "--batch-size", "12",
         "--learning-rate", "0.001", "--store", STORE])
    lat = json.loads(run([BENCH, "rank-latency", STORE, "sparrow", "10292", "item2vec", "200"]).strip())
    results["latency"] = lat
    with open(os.path.join(ROOT, "bench/results/ranker.json"), "w") as f: json.dump(results, f, indent=1)
    lines = [f"# Ranker benchmark ({results['date']}): SparrowRecSys testSamples.csv, row i test when i % 5 == 4, 5 epochs, seeds {SEEDS}", "",
             "| config | system | test ROC AUC (mean ± half-range) | PR AUC | logloss | accuracy | train samples/s | ratio vs TF |", "|---|---|---|---|---|---|---|---|"]
    for c in results["configs"]:
        tf_sps = statistics.mean(r["train_samples_per_s"] for r in c["tensorflow"]) if "tensorflow" in c else None
        for system in ["recsys", "tensorflow"]:
            if system not in c: continue
            runs = c[system]
            auc, spread = summary(runs, "roc_auc")
            sps = statistics.mean(r["train_samples_per_s"] for r in runs)
            ratio = f"{sps / tf_sps:.1f}x" if tf_sps and system == "recsys" else ""
            lines.append(f"| {c['name']} | {system} | {auc:.4f} ± {spread:.4f} | {summary(runs, 'pr_auc')[0]:.4f} | {summary(runs, 'logloss')[0]:.4f} | {summary(runs, 'accuracy')[0]:.4f} | {sps:,.0f} | {ratio} |")
    tfl = results["configs"][0]["tensorflow"]
    lines += ["", "Scoring 800 candidates for one user:", "",
              f"- recsys (features looked up from the store, model loaded once): p50 {lat['p50_ms']:.3f} ms, p99 {lat['p99_ms']:.3f} ms ({800 / lat['p50_ms'] * 1000:,.0f} samples/s)",
              f"- TensorFlow traced tf.function (features already in tensors): p50 {statistics.mean(r['p50_800_ms'] for r in tfl):.3f} ms, p99 {statistics.mean(r['p99_800_ms'] for r in tfl):.3f} ms; "
              f"predict() over the test set {statistics.mean(r['infer_samples_per_s'] for r in tfl):,.0f} samples/s"]
    with open(os.path.join(ROOT, "bench/results/ranker.md"), "w") as f: f.write("\n".join(lines) + "\n")
    print("\n".join(lines))

if __name__ == "__main__":
    main()
