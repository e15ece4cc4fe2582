#!/usr/bin/env python3
"""Scale benchmark: 10M x 64 on one node, and 1M beside hnswlib.

10M (gen_vectors.py, clustered unit vectors with exact ground truth):
- import rate of `recsys embedding import base.fvecs` (wall time of the command);
- `recsys index build` time and index size against the vectors' size;
- recall@10 and queries/s (single thread, vectors resident as `serve` holds
  them) of the automatic index, a probe sweep around it, and exact search on
  the first --exact-queries queries;
- RSS of `recsys serve` before and after answering 1000 POST /v1/recall
  queries (recall@10 of the served answers too), on the store just built and
  on a `recsys snapshot` of it (what a replica serves), the file's pages in
  the page cache as a long-running service finds them.
1M, same run: recsys's sweep (bench/recall/run.py's) beside hnswlib (M=16,
ef_construction=200, one thread for build and queries, as recsys builds on one).

Targets (issue 26): 10M import + index build under 5 minutes; index no larger
than the vectors; at 1M, queries/s at recall@10 0.9 at least 0.8x hnswlib's
with a build at least 10x faster; serve RSS at 10M at most the vectors' size + 25%.

  OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/scale/run.py [--skip-1m]

Writes bench/results/scale.{md,json}. Data (about 3 GB) goes to bench/data/.
"""
import argparse, http.client, importlib.util, json, os, signal, struct, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench/serve"))
from commit import build_commit  # noqa: E402
# bench/recall/run.py: ours(), fvecs(), ivecs(), recall_at(), timed_queries(), best_at()
_spec = importlib.util.spec_from_file_location("recall_bench", os.path.join(ROOT, "bench/recall/run.py"))
recall_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(recall_bench)

RECSYS = os.path.join(ROOT, ".build/release/recsys")
DATA = os.path.join(ROOT, "bench/data")
GEN = os.path.join(ROOT, "bench/gen_vectors.py")


def sh(*args):
    return subprocess.run(list(args), check=True, capture_output=True, text=True).stdout


def timed(*args):
    t0 = time.time()
    out = sh(*args)
    return out, time.time() - t0


def dataset(n, queries=1000):
    out = os.path.join(DATA, f"n{n // 1_000_000}m")
    if not os.path.exists(os.path.join(out, "groundtruth.ivecs")):
        print(f"generating {n:,} vectors...", file=sys.stderr)
        sh(sys.executable, GEN, "--n", str(n), "--dim", "64", "--queries", str(queries), "--out", out)
    return out


def head_vecs(src, dst, rows):
    """The first `rows` records of an .fvecs/.ivecs file."""
    with open(src, "rb") as f:
        d = struct.unpack("<i", f.read(4))[0]
        f.seek(0)
        data = f.read(rows * 4 * (d + 1))
    with open(dst, "wb") as f:
        f.write(data)
    return dst


def memory_kb(pid):
    fields = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status"))
    return {k: int(fields[k].split()[0]) for k in ("VmRSS", "VmHWM", "RssAnon", "RssFile")}


def serve_rss(store, queries, truth, port=18480, extra=()):
    srv = subprocess.Popen([RECSYS, "serve", "--store", store, "--port", str(port), "--log-level", "warning", *extra],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        srv.stdout.readline()
        started = memory_kb(srv.pid)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        found = []
        t0 = time.time()
        for q in queries:
            conn.request("POST", "/v1/recall", json.dumps({"table": "base", "vector": [float(x) for x in q], "k": 10}), {"Content-Type": "application/json"})
            r = conn.getresponse()
            body = json.loads(r.read())
            if r.status != 200:
                sys.exit(f"POST /v1/recall: {r.status} {body}")
            found.append([int(h["id"]) for h in body["results"]])
        seconds = time.time() - t0
        answered = memory_kb(srv.pid)
        return {"started_kb": started, "answered_kb": answered, "queries": len(queries), "seconds": seconds,
                "recall_at_10": recall_bench.recall_at(found, truth)}
    finally:
        srv.send_signal(signal.SIGTERM)
        srv.wait(timeout=30)


def scale_10m(a):
    n = 10_000_000
    src = dataset(n)
    store = os.path.join(DATA, "scale10m.lmdb")
    sh("rm", "-rf", store)
    imported, import_s = timed(RECSYS, "embedding", "import", f"{src}/base.fvecs", "--table", "base", "--store", store, "--json")
    info_text, build_s = timed(RECSYS, "index", "build", "--table", "base", "--store", store, "--json")
    info = json.loads(info_text)
    vector_bytes = n * 64 * 4
    data_bytes = os.path.getsize(os.path.join(store, "data.mdb"))
    L = info["parameters"]["tables"]
    auto = json.loads(sh(RECSYS, "recall", "eval", "--table", "base", "--queries", f"{src}/query.fvecs", "--groundtruth", f"{src}/groundtruth.ivecs",
                         "--resident", "--no-record", "--json", "--store", store))[0]
    sweep = json.loads(sh(RECSYS, "recall", "eval", "--table", "base", "--queries", f"{src}/query.fvecs", "--groundtruth", f"{src}/groundtruth.ivecs",
                          "--resident", "--no-record", "--json", "--store", store, "--probes", "2,3,4,6,8,12", "--tables", f"{L}"))
    few_q = head_vecs(f"{src}/query.fvecs", os.path.join(DATA, "scale10m-q.fvecs"), a.exact_queries)
    few_gt = head_vecs(f"{src}/groundtruth.ivecs", os.path.join(DATA, "scale10m-gt.ivecs"), a.exact_queries)
    exact = json.loads(sh(RECSYS, "recall", "eval", "--table", "base", "--queries", few_q, "--groundtruth", few_gt, "--probes", str(auto["probes"]),
                          "--resident", "--no-record", "--with-exact", "--json", "--store", store))
    queries, truth = recall_bench.fvecs(f"{src}/query.fvecs"), recall_bench.ivecs(f"{src}/groundtruth.ivecs")
    rss = serve_rss(store, queries, truth)
    snap = os.path.join(DATA, "scale10m.snapshot")
    sh("rm", "-rf", snap)
    _, snapshot_s = timed(RECSYS, "snapshot", "--to", snap, "--store", store)
    replica = serve_rss(snap, queries, truth)
    sh("rm", "-rf", snap)
    # the same table with the 8-bit row copy: speed for memory
    q_text, q_build_s = timed(RECSYS, "index", "build", "--table", "base", "--store", store, "--quantize", "--json")
    q_auto = json.loads(sh(RECSYS, "recall", "eval", "--table", "base", "--queries", f"{src}/query.fvecs", "--groundtruth", f"{src}/groundtruth.ivecs",
                           "--resident", "--no-record", "--json", "--store", store))[0]
    q_serve = serve_rss(store, queries, truth)
    sh("rm", "-rf", store)
    quantized = {"index": json.loads(q_text), "build_s": q_build_s, "auto": q_auto, "serve": q_serve}
    return {"n": n, "import_s": import_s, "import": json.loads(imported)[0], "build_s": build_s, "index": info,
            "vector_bytes": vector_bytes, "data_file_bytes": data_bytes, "auto": auto, "sweep": sweep, "exact_vs_index": exact, "serve": rss, "snapshot_s": snapshot_s, "serve_snapshot": replica, "quantized": quantized}


def beside_hnswlib():
    src = dataset(1_000_000)
    base, queries, gt = recall_bench.fvecs(f"{src}/base.fvecs"), recall_bench.fvecs(f"{src}/query.fvecs"), recall_bench.ivecs(f"{src}/groundtruth.ivecs")
    ours = recall_bench.ours("scale1m", f"{src}/base.fvecs", f"{src}/query.fvecs", f"{src}/groundtruth.ivecs", 1_000_000)
    quantized = recall_bench.ours("scale1m", f"{src}/base.fvecs", f"{src}/query.fvecs", f"{src}/groundtruth.ivecs", 1_000_000,
                                  build_args=["--quantize"], rescores="0,2,3,4,8")
    sh("rm", "-rf", os.path.join(DATA, "scale1m.lmdb"))
    return {"n": 1_000_000, "systems": [ours, recall_bench.hnswlib_sweep(base, queries, gt), quantized]}


def quantized_rows(big, rss_row, gb):
    """Rows for the same table indexed with `--quantize` (absent in runs before it existed)."""
    q = big.get("quantized")
    if not q:
        return []
    p = q["index"]["parameters"]
    return [f"| `index build --quantize` (automatic: L={p['tables']} probes={p['probes']} rescore={p['rescore']}): build, index size / vectors' size | {q['build_s']:.1f} s, {q['index']['bytes'] / gb:.2f} GB / {big['vector_bytes'] / gb:.2f} GB = {q['index']['bytes'] / big['vector_bytes']:.2f} | |",
            f"| `--quantize` index: recall@10, queries/s (1000 queries, one thread) | {q['auto']['recall']:.3f}, {q['auto']['queries_per_second']:,.0f} | |",
            rss_row("the `--quantize` index (speed for memory: no RSS target meant for it)", q["serve"])]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exact-queries", type=int, default=100, help="queries for the exact-search row at 10M (each scans 10M vectors)")
    ap.add_argument("--skip-1m", action="store_true", help="only the 10M part")
    ap.add_argument("--skip-10m", action="store_true", help="only the 1M part (the 10M section is carried from the last run)")
    a = ap.parse_args()
    os.makedirs(DATA, exist_ok=True)
    recall_bench.DATA = DATA
    previous_path = os.path.join(ROOT, "bench/results/scale.json")
    if a.skip_10m:
        previous = json.load(open(previous_path))
        big = dict(previous["10m"], carried_from=previous["10m"].get("carried_from") or f"{previous['date']}, commit {previous['commit']}")
    else:
        big = scale_10m(a)
    one = beside_hnswlib() if not a.skip_1m else None
    if one is None and os.path.exists(os.path.join(ROOT, "bench/results/scale.json")):
        # one results file per benchmark: keep the last 1M run, saying so
        previous = json.load(open(os.path.join(ROOT, "bench/results/scale.json")))
        one = previous.get("1m") and dict(previous["1m"], carried_from=previous["1m"].get("carried_from") or f"{previous['date']}, commit {previous['commit']}")
    result = {"commit": build_commit(ROOT), "date": time.strftime("%Y-%m-%d %H:%M"), "10m": big, "1m": one}
    with open(os.path.join(ROOT, "bench/results/scale.json"), "w") as f:
        json.dump(result, f, indent=1)

    gb = 1e9
    idx_bytes = big["index"]["bytes"]
    target = 1.25 * big["vector_bytes"]

    def rss_row(what, served):
        kb = served["answered_kb"]
        rss = kb["VmRSS"] * 1024
        return (f"| `serve` RSS after 1000 POST /v1/recall, {what} (recall@10 {served['recall_at_10']:.3f}, {served['queries'] / served['seconds']:,.0f} q/s) "
                f"| {rss / gb:.2f} GB (anonymous {kb['RssAnon'] * 1024 / gb:.2f} GB, file {kb['RssFile'] * 1024 / gb:.2f} GB; at start {served['started_kb']['VmRSS'] * 1024 / gb:.2f} GB) "
                f"| <= {target / gb:.2f} GB: {'met' if rss <= target else 'missed'} |")
    total = big["import_s"] + big["build_s"]
    auto, ex = big["auto"], big["exact_vs_index"]
    md = [f"# Scale benchmark ({result['date']}, commit {result['commit']}, {os.cpu_count()} cores)", "",
          "`OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/scale/run.py` — gen_vectors.py clustered unit vectors, 64 dimensions.", "",
          "## 10M x 64" + (f" (from the run of {big['carried_from']}; this run used --skip-10m)" if big.get("carried_from") else ""), "",
          "| measure | value | target |", "|---|---:|---|",
          f"| import (fvecs, whole command) | {big['import_s']:.1f} s, {big['n'] / big['import_s']:,.0f} rows/s | |",
          f"| index build (automatic parameters: L={big['index']['parameters']['tables']} K={big['index']['parameters']['bits']} probes={big['index']['parameters']['probes']}) | {big['build_s']:.1f} s | |",
          f"| import + index build | {total:.0f} s | < 300 s: {'met' if total < 300 else 'missed'} |",
          f"| index size / vectors' size | {idx_bytes / gb:.2f} GB / {big['vector_bytes'] / gb:.2f} GB = {idx_bytes / big['vector_bytes']:.2f} | <= 1: {'met' if idx_bytes <= big['vector_bytes'] else 'missed'} |",
          f"| store file | {big['data_file_bytes'] / gb:.2f} GB | |",
          f"| automatic index: recall@10, queries/s (1000 queries, one thread) | {auto['recall']:.3f}, {auto['queries_per_second']:,.0f} | |",
          f"| exact search ({ex[-1]['queries']} queries): recall@10, queries/s | {ex[-1]['recall']:.3f}, {ex[-1]['queries_per_second']:,.1f} | |",
          f"| index against exact, same {ex[0]['queries']} queries | {ex[0]['queries_per_second'] / ex[-1]['queries_per_second']:,.0f}x the queries/s at recall {ex[0]['recall']:.3f} | |",
          rss_row("the store just built, its file in the page cache", big["serve"]),
          f"| `recsys snapshot` of the store (compacting copy, checked) | {big['snapshot_s']:.1f} s | |",
          rss_row("the snapshot, as a replica serves it (file in the page cache)", big["serve_snapshot"]),
          *quantized_rows(big, rss_row, gb),
          "", "Probe sweep at 10M (the index's tables):", "", "| probes | recall@10 | queries/s | candidates |", "|---:|---:|---:|---:|"]
    md += [f"| {e['probes']} | {e['recall']:.3f} | {e['queries_per_second']:,.0f} | {e['candidates']:,.0f} |" for e in big["sweep"]]
    if one:
        ours, h = one["systems"][:2]
        quantized = one["systems"][2] if len(one["systems"]) > 2 else None
        bo, bh = recall_bench.best_at(ours["points"]), recall_bench.best_at(h["points"])
        bq = recall_bench.best_at(quantized["points"]) if quantized else None
        carried = f" (from the run of {one['carried_from']}; this run used --skip-1m)" if one.get("carried_from") else ""
        md += ["", f"## 1M x 64 beside hnswlib (one thread each){carried}", "",
               "| system | best queries/s at recall@10 >= 0.9 | recall there | params | build s |", "|---|---:|---:|---|---:|",
               f"| recsys SimHash | {bo['qps']:,.0f} | {bo['recall']:.3f} | {bo['params']} | {ours['build_s']:.1f} |",
               f"| hnswlib HNSW | {bh['qps']:,.0f} | {bh['recall']:.3f} | {bh['params']} | {h['build_s']:.1f} |"]
        if bq:
            md += [f"| recsys SimHash, `index build --quantize` (8-bit row copy chooses what to re-score) | {bq['qps']:,.0f} | {bq['recall']:.3f} | {bq['params']} | {quantized['build_s']:.1f} |"]
        md += ["", f"recsys / hnswlib queries/s at 0.9: {bo['qps'] / bh['qps']:.2f}x by default"
               + (f", {bq['qps'] / bh['qps']:.2f}x with `--quantize`" if bq else "")
               + f" (target >= 0.8x: {'met' if max(bo['qps'], bq['qps'] if bq else 0) >= 0.8 * bh['qps'] else 'missed'}); "
               f"build {h['build_s'] / ours['build_s']:.1f}x faster" + (f" ({h['build_s'] / quantized['build_s']:.1f}x with `--quantize`)" if bq else "")
               + f" (target >= 10x: {'met' if h['build_s'] >= 10 * max(ours['build_s'], quantized['build_s'] if bq else 0) else 'missed'}). "
               "Index bytes per vector: " + f"{ours['index_bytes'] / 1e6:.0f} bytes" + (f", {quantized['index_bytes'] / 1e6:.0f} with `--quantize`" if bq else "")
               + " (hnswlib's graph at M=16: about 130, level-0 links and headers). "
               "QPS: wall time for recsys (`recall eval`), CPU time for hnswlib (bench/recall/run.py's convention)."]
    with open(os.path.join(ROOT, "bench/results/scale.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
