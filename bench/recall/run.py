#!/usr/bin/env python3
"""Recall benchmark: recsys's multi-probe SimHash against faiss (exact,
IndexLSH+refine), hnswlib and FALCONN (when installed), single thread, one run.

  .venv/bin/python bench/recall/run.py [--sizes 100000,1000000] [--queries 1000]

Writes bench/results/recall.{md,json,png}. Needs the release build
(swift build -c release) and a virtualenv with numpy, faiss-cpu, hnswlib,
matplotlib (see bench/README.md).
"""
import argparse, json, os, subprocess, sys, time
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECSYS = os.path.join(ROOT, ".build/release/recsys")
DATA = os.path.join(ROOT, "bench/data")
GEN = os.path.join(ROOT, "bench", "gen_vectors.py")

def fvecs(path):
    a = np.fromfile(path, dtype=np.int32)
    d = a[0]
    return a.reshape(-1, d + 1)[:, 1:].view(np.float32).copy()

def ivecs(path):
    a = np.fromfile(path, dtype=np.int32)
    d = a[0]
    return a.reshape(-1, d + 1)[:, 1:].copy()

def recall_at(found, truth, k=10):
    return float(np.mean([len(set(f[:k]) & set(t[:k])) / k for f, t in zip(found, truth)]))

def timed_queries(fn, queries):
    t0 = time.process_time()
    found = [fn(q) for q in queries]
    return found, len(queries) / (time.process_time() - t0)

def run(cmd):
    env = dict(os.environ)
    return subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout

def ours(name, base_path, query_path, gt_path, n, build_args=(), rescores="0,8,16"):
    store = os.path.join(DATA, f"{name}.lmdb")
    subprocess.run(["rm", "-rf", store])
    run([RECSYS, "embedding", "import", base_path, "--table", "base", "--store", store])
    t0 = time.time()
    info = json.loads(run([RECSYS, "index", "build", "--table", "base", "--store", store, "--json", *build_args]))
    build = time.time() - t0
    points = []
    L = info["parameters"]["tables"]
    sweep = run([RECSYS, "recall", "eval", "--table", "base", "--queries", query_path, "--groundtruth", gt_path, "--store", store,
                 "--json", "--resident", "--probes", "1,2,3,4,6,8,12,16,24", "--rescore", rescores, "--tables", ",".join(str(t) for t in sorted({max(1, L // 2), L}))])
    for e in json.loads(sweep):
        points.append({"recall": e["recall"], "qps": e["queries_per_second"], "params": f"L={e['tables']} K={info['parameters']['bits']} probes={e['probes']} rescore={e['rescore']}", "candidates": e["candidates"], "gathered": e["gathered"]})
    return {"name": "recsys SimHash (multi-probe)", "build_s": build, "index_bytes": info["bytes"], "auto": info["parameters"],
            "auto_recall_at_build": info["recall_at_build"], "points": points}

def peers(base, queries, gt, k=10):
    out = []
    import faiss
    faiss.omp_set_num_threads(1)
    d = base.shape[1]
    # exact
    flat = faiss.IndexFlatIP(d); flat.add(base)
    found, qps = timed_queries(lambda q: flat.search(q[None], k)[1][0], queries)
    out.append({"name": "faiss IndexFlatIP (exact)", "build_s": 0, "index_bytes": base.nbytes, "points": [{"recall": recall_at(found, gt), "qps": qps, "params": "exact"}]})
    # LSH + exact refine
    pts = []
    t0 = time.time()
    lsh = faiss.IndexLSH(d, 256)
    ref = faiss.IndexRefineFlat(lsh)
    ref.add(base)
    build = time.time() - t0
    for kf in [1, 2, 4, 8, 16, 32, 64]:
        ref.k_factor = kf
        found, qps = timed_queries(lambda q: ref.search(q[None], k)[1][0], queries)
        pts.append({"recall": recall_at(found, gt), "qps": qps, "params": f"nbits=256 k_factor={kf}"})
    out.append({"name": "faiss IndexLSH+IndexRefineFlat", "build_s": build, "index_bytes": base.shape[0] * 32, "points": pts})
    out.append(hnswlib_sweep(base, queries, gt, k))
    try:
        import falconn
        t0 = time.time()
        p = falconn.get_default_parameters(base.shape[0], d)
        p.seed = 5
        falconn.compute_number_of_hash_functions(18 if base.shape[0] >= 1_000_000 else 16, p)
        table = falconn.LSHIndex(p); table.setup(base)
        build = time.time() - t0
        qo = table.construct_query_object()
        pts = []
        for probes in [p.l, 2 * p.l, 4 * p.l, 8 * p.l, 16 * p.l, 32 * p.l]:
            qo.set_num_probes(probes)
            found, qps = timed_queries(lambda q: qo.find_k_nearest_neighbors(q, k), queries)
            pts.append({"recall": recall_at(found, gt), "qps": qps, "params": f"cross-polytope L={p.l} probes={probes}"})
        out.append({"name": "FALCONN cross-polytope", "build_s": build, "index_bytes": None, "points": pts})
    except ImportError:
        out.append({"name": "FALCONN cross-polytope", "skipped": "not installed (pip install falconn failed to build here)", "points": []})
    return out

def hnswlib_sweep(base, queries, gt, k=10):
    """hnswlib (M=16, ef_construction=200, one thread) along its ef sweep."""
    import hnswlib
    t0 = time.time()
    h = hnswlib.Index(space="ip", dim=base.shape[1])
    h.init_index(max_elements=base.shape[0], M=16, ef_construction=200)
    h.set_num_threads(1)
    h.add_items(base)
    build = time.time() - t0
    pts = []
    for ef in [10, 16, 24, 32, 48, 64, 96, 128]:
        h.set_ef(ef)
        found, qps = timed_queries(lambda q: h.knn_query(q[None], k)[0][0], queries)
        pts.append({"recall": recall_at(found, gt), "qps": qps, "params": f"M=16 ef={ef}"})
    return {"name": "hnswlib HNSW", "build_s": build, "index_bytes": None, "points": pts}

def best_at(points, target=0.9):
    ok = [p for p in points if p["recall"] >= target]
    return max(ok, key=lambda p: p["qps"]) if ok else None

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--queries", type=int, default=1000)
    a = ap.parse_args()
    results = {"machine": os.uname().nodename, "date": time.strftime("%Y-%m-%d %H:%M"), "datasets": []}
    for n in [int(s) for s in a.sizes.split(",")]:
        name = f"n{n // 1000}k" if n < 1_000_000 else f"n{n // 1_000_000}m"
        out = os.path.join(DATA, name)
        if not os.path.exists(os.path.join(out, "groundtruth.ivecs")):
            run([sys.executable, GEN, "--n", str(n), "--dim", "64", "--queries", str(a.queries), "--out", out])
        base, queries, gt = fvecs(f"{out}/base.fvecs"), fvecs(f"{out}/query.fvecs"), ivecs(f"{out}/groundtruth.ivecs")
        systems = [ours(name, f"{out}/base.fvecs", f"{out}/query.fvecs", f"{out}/groundtruth.ivecs", n)] + peers(base, queries, gt)
        results["datasets"].append({"name": f"gen_vectors n={n} dim=64", "n": n, "systems": systems})
        print(f"done {name}", file=sys.stderr)
    # SparrowRecSys item2vec with userEmb as queries
    sp = os.path.join(ROOT, "data/sparrowrecsys")
    store = os.path.join(DATA, "sparrow.lmdb")
    subprocess.run(["rm", "-rf", store])
    run([RECSYS, "embedding", "import", f"{sp}/item2vecEmb.csv", "--table", "item2vec", "--store", store])
    info = json.loads(run([RECSYS, "index", "build", "--table", "item2vec", "--store", store, "--json"]))
    ev = json.loads(run([RECSYS, "recall", "eval", "--table", "item2vec", "--queries", f"{sp}/userEmb.csv", "--store", store, "--json", "--probes", "1,2,4,8"]))
    results["datasets"].append({"name": "SparrowRecSys item2vec (881 x 10), userEmb queries (29,776)", "n": 881, "systems": [
        {"name": "recsys SimHash (multi-probe)", "auto": info["parameters"], "index_bytes": info["bytes"], "build_s": info["build_seconds"],
         "points": [{"recall": e["recall"], "qps": e["queries_per_second"], "params": f"L={e['tables']} probes={e['probes']} rescore={e['rescore']}", "candidates": e["candidates"]} for e in ev]}]})
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench/results/recall.json"), "w") as f:
        json.dump(results, f, indent=1)
    lines = [f"# Recall benchmark ({results['date']}, single thread, recall@10 vs QPS; QPS from CPU time for peers, wall time for recsys)", ""]
    for ds in results["datasets"]:
        lines += [f"## {ds['name']}", "", "| system | best QPS at recall@10 >= 0.9 | recall there | params | build s | index MB |", "|---|---|---|---|---|---|"]
        for s in ds["systems"]:
            b = best_at(s["points"])
            mb = f"{s['index_bytes'] / 1e6:.1f}" if s.get("index_bytes") else "-"
            if s.get("skipped"):
                lines.append(f"| {s['name']} | skipped: {s['skipped']} | | | | |")
            elif b:
                lines.append(f"| {s['name']} | {b['qps']:,.0f} | {b['recall']:.3f} | {b['params']} | {s.get('build_s', 0):.1f} | {mb} |")
            else:
                lines.append(f"| {s['name']} | none reached 0.9 (best {max(p['recall'] for p in s['points']):.3f}) | | | {s.get('build_s', 0):.1f} | {mb} |")
        lines += ["", "All points:", "", "| system | params | recall@10 | QPS |", "|---|---|---|---|"]
        for s in ds["systems"]:
            for p in s["points"]:
                lines.append(f"| {s['name']} | {p['params']} | {p['recall']:.3f} | {p['qps']:,.0f} |")
        lines.append("")
    with open(os.path.join(ROOT, "bench/results/recall.md"), "w") as f:
        f.write("\n".join(lines))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        gens = [d for d in results["datasets"] if d["n"] >= 100000]
        fig, axes = plt.subplots(1, len(gens), figsize=(7 * len(gens), 5), squeeze=False)
        for ax, ds in zip(axes[0], gens):
            for s in ds["systems"]:
                pts = sorted(s["points"], key=lambda p: p["recall"])
                if pts:
                    ax.plot([p["recall"] for p in pts], [p["qps"] for p in pts], marker="o", label=s["name"])
            ax.set_yscale("log"); ax.set_xlabel("recall@10"); ax.set_ylabel("queries/s (log)"); ax.set_title(ds["name"]); ax.grid(True, which="both", alpha=0.3)
            ax.axvline(0.9, color="grey", linestyle=":")
            ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(ROOT, "bench/results/recall.png"), dpi=110)
    except Exception as e:
        print(f"no plot: {e}", file=sys.stderr)

if __name__ == "__main__":
    main()
