#!/usr/bin/env python3
"""Store benchmark: recsys's EmbedStore against py-lmdb, lmdb-embeddings and a
C loop over liblmdb (the limit), one run, 1M x 64 from gen_vectors.py.

  .venv/bin/python bench/store/run.py [--n 1000000]

Writes bench/results/store.{md,json}.
"""
import argparse, json, os, pickle, random, struct, subprocess, sys, time
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECSYS = os.path.join(ROOT, ".build/release/recsys")
BENCH = os.path.join(ROOT, ".build/release/recsys-bench")
DATA = os.path.join(ROOT, "bench/data")

def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

def timed(cmd):
    t0 = time.time(); run(cmd); return time.time() - t0

def main():
    ap = argparse.ArgumentParser(); ap.add_argument("--n", type=int, default=1_000_000); a = ap.parse_args()
    n = a.n
    out = os.path.join(DATA, "n1m" if n == 1_000_000 else f"n{n}")
    if not os.path.exists(f"{out}/base.fvecs"):
        run([sys.executable, os.path.join(ROOT, "bench", "gen_vectors.py"), "--n", str(n), "--dim", "64", "--queries", "10", "--out", out])
    fv = f"{out}/base.fvecs"
    raw = np.fromfile(fv, dtype=np.int32); d = raw[0]; base = raw.reshape(-1, d + 1)[:, 1:].view(np.float32).copy(); n = base.shape[0]
    rows = {}
    # recsys
    store = os.path.join(DATA, "store-bench.lmdb")
    # median of three imports, each into a fresh store (the C loop's synced import does the same)
    times = []
    for _ in range(3):
        subprocess.run(["rm", "-rf", store])
        times.append(timed([RECSYS, "embedding", "import", fv, "--table", "base", "--store", store]))
    rows["import fvecs"] = {"recsys": n / sorted(times)[1]}
    txt = os.path.join(DATA, "base.sparrow.txt")
    t = timed([RECSYS, "embedding", "export", "--table", "base", "-o", txt, "--store", store])
    size_mb = os.path.getsize(txt) / 1e6
    rows["export SparrowRecSys text"] = {"recsys": n / t, "note": f"{size_mb / t:.0f} MB/s of text"}
    t = timed([RECSYS, "embedding", "import", txt, "--table", "text", "--store", store])
    rows["import SparrowRecSys text"] = {"recsys": n / t, "note": f"{size_mb / t:.0f} MB/s of text"}
    for line in run([BENCH, "store-reads", store, "base"]).splitlines():
        r = json.loads(line)
        if r["workload"].startswith("point"): rows["point get (ns)"] = {"recsys": r["ns_per_op"]}
        elif r["workload"].startswith("batch"): rows["batch of 800 (us)"] = {"recsys": r["us_per_batch"]}
        else: rows["full scan + dot (s)"] = {"recsys": r["seconds"]}
    # C loop
    cbin = os.path.join(DATA, "c_loop")
    run(["gcc", "-O2", "-march=native", "-o", cbin, os.path.join(ROOT, "bench/store/c_loop.c"), "-llmdb"])
    cdb = os.path.join(DATA, "c-loop.lmdb"); subprocess.run(["rm", "-rf", cdb]); os.makedirs(cdb)
    for line in run([cbin, fv, cdb]).splitlines():
        r = json.loads(line)
        if r["workload"] == "import from the file, synced": rows["import fvecs"]["C loop"] = r["rows_per_second"]
        elif r["workload"] == "import": rows["import fvecs"]["note"] = f"C loop from memory without fsync: {r['rows_per_second']:,.0f} rows/s"
        elif r["workload"] == "point get": rows["point get (ns)"]["C loop"] = r["ns_per_op"]
        elif "cursor" in r["workload"]: rows["full scan + dot (s)"]["C loop"] = r["seconds"]
        else: rows["full scan + dot (s)"]["C contiguous array (no store)"] = r["seconds"]
    # py-lmdb
    import lmdb
    pdb = os.path.join(DATA, "py-lmdb.lmdb"); subprocess.run(["rm", "-rf", pdb])
    env = lmdb.open(pdb, map_size=1 << 34, sync=False)
    t0 = time.time()
    with env.begin(write=True) as txn:
        for i in range(n): txn.put(struct.pack(">I", i), base[i].tobytes(), append=True)
    rows["import fvecs"]["py-lmdb"] = n / (time.time() - t0)
    keys = [struct.pack(">I", random.randrange(n)) for _ in range(1_000_000)]
    with env.begin() as txn:
        t0 = time.time(); s = 0.0
        for k in keys: s += np.frombuffer(txn.get(k), dtype=np.float32)[0]
        rows["point get (ns)"]["py-lmdb"] = (time.time() - t0) / len(keys) * 1e9
        t0 = time.time()
        for b in range(2000):
            batch = keys[b * 800 % 999200: b * 800 % 999200 + 800]
            m = np.stack([np.frombuffer(txn.get(k), dtype=np.float32) for k in batch])
        rows["batch of 800 (us)"]["py-lmdb"] = (time.time() - t0) / 2000 * 1e6
        q = np.full(d, 0.125, dtype=np.float32); t0 = time.time(); best = -1e30
        for _, v in txn.cursor():
            best = max(best, float(np.frombuffer(v, dtype=np.float32) @ q))
        rows["full scan + dot (s)"]["py-lmdb"] = time.time() - t0
    env.close()
    # lmdb-embeddings (pickle and msgpack), on a 200k subset: it commits every 1024 rows
    from lmdb_embeddings.writer import LmdbEmbeddingsWriter
    from lmdb_embeddings.reader import LmdbEmbeddingsReader
    from lmdb_embeddings.serializers import PickleSerializer, MsgpackSerializer
    sub = min(n, 200_000)
    for name, ser, deser in [("lmdb-embeddings (pickle)", PickleSerializer.serialize, PickleSerializer.unserialize),
                             ("lmdb-embeddings (msgpack)", MsgpackSerializer.serialize, MsgpackSerializer().unserialize)]:
        p = os.path.join(DATA, "lmdb-emb.lmdb"); subprocess.run(["rm", "-rf", p])
        t0 = time.time()
        LmdbEmbeddingsWriter(((str(i), base[i]) for i in range(sub)), serializer=ser).write(p)
        rows["import fvecs"][name] = sub / (time.time() - t0)
        reader = LmdbEmbeddingsReader(p, unserializer=deser)
        ids = [str(random.randrange(sub)) for _ in range(200_000)]
        t0 = time.time()
        for i in ids: reader.get_word_vector(i)
        rows["point get (ns)"][name] = (time.time() - t0) / len(ids) * 1e9
    results = {"n": n, "dim": int(d), "date": time.strftime("%Y-%m-%d %H:%M"), "rows": rows}
    with open(os.path.join(ROOT, "bench/results/store.json"), "w") as f: json.dump(results, f, indent=1)
    def fmt(k, v):
        if "(ns)" in k or "(us)" in k: return f"{v:,.0f}"
        if "(s)" in k: return f"{v:.4f}"
        return f"{v:,.0f} rows/s"
    lines = [f"# Store benchmark ({results['date']}, {n:,} x {d}, one run)", "",
             "Rates in rows/s (higher is better), latencies in ns/us/s (lower is better). Ratio: C loop's figure relative to the row's (for rates: ours / C; for times: C / ours), so 1.0 means as fast as the C loop.", "",
             "| workload | recsys | C loop (liblmdb, key per vector) | ratio vs C | py-lmdb | lmdb-embeddings pickle | lmdb-embeddings msgpack | notes |", "|---|---|---|---|---|---|---|---|"]
    for k, v in rows.items():
        c = v.get("C loop")
        ours = v["recsys"]
        ratio = "" if c is None else (f"{ours / c:.2f}" if "rows/s" in fmt(k, 1) else f"{c / ours:.2f}")
        extra = f"C contiguous array: {v['C contiguous array (no store)']:.4f}" if "C contiguous array (no store)" in v else v.get("note", "")
        lines.append(f"| {k} | {fmt(k, ours)} | {fmt(k, c) if c else '-'} | {ratio} | {fmt(k, v['py-lmdb']) if 'py-lmdb' in v else '-'} | "
                     f"{fmt(k, v['lmdb-embeddings (pickle)']) if 'lmdb-embeddings (pickle)' in v else '-'} | {fmt(k, v['lmdb-embeddings (msgpack)']) if 'lmdb-embeddings (msgpack)' in v else '-'} | {extra} |")
    lines += ["", f"lmdb-embeddings rows are on the first {sub:,} vectors (it commits every 1,024 puts). Import times are wall time of the whole command (recsys: parse, id index, blocks, one commit)."]
    lines += ["fvecs import: the median of three, each into a fresh store, for recsys and for the C loop, both reading the file and committing with fsync",
              "(the C loop's puts from memory without fsync in the notes: that figure was the ratio's basis in runs before 2026-12-03). py-lmdb puts from memory without fsync."]
    with open(os.path.join(ROOT, "bench/results/store.md"), "w") as f: f.write("\n".join(lines) + "\n")
    print("\n".join(lines))

if __name__ == "__main__":
    main()
