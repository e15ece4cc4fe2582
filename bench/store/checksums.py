#!/usr/bin/env python3
"""What the checksums cost: the full scan (+ dot per row) and random point
gets (each reads an id's sealed row value) over a store written by this
build against one written by a baseline build (the commit before the
checksums measured), each read by its own build, alternating, and the time
`store verify` takes to check everything (the CRC32C throughput).

  git worktree add /tmp/base <commit before the checksums> && (cd /tmp/base && swift build -c release --product recsys --product recsys-bench)
  .venv/bin/python bench/store/checksums.py --baseline /tmp/base/.build/release [--n 1000000] [--rounds 5]

Writes bench/results/checksums.{md,json}.
"""
import argparse, json, os, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OURS = os.path.join(ROOT, ".build/release")
DATA = os.path.join(ROOT, "bench/data")

def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

def reads(bindir, store):
    """(full scan seconds, point get ns) from one store-reads run."""
    scan = get = None
    for line in run([os.path.join(bindir, "recsys-bench"), "store-reads", store, "base"]).splitlines():
        r = json.loads(line)
        if r["workload"].startswith("full scan"):
            scan = r["seconds"]
        elif r["workload"].startswith("point get"):
            get = r["ns_per_op"]
    return scan, get

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", required=True, help="directory holding the baseline build's recsys and recsys-bench")
    ap.add_argument("--label", default="sealed id values and table records", help="what this build adds over the baseline")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    out = os.path.join(DATA, "n1m" if a.n == 1_000_000 else f"n{a.n}")
    if not os.path.exists(f"{out}/base.fvecs"):
        run([sys.executable, os.path.join(ROOT, "bench", "gen_vectors.py"), "--n", str(a.n), "--dim", "64", "--queries", "10", "--out", out])
    fv = f"{out}/base.fvecs"
    stores = {}
    for name, bindir in [("with checksums", OURS), ("baseline", a.baseline)]:
        store = os.path.join(DATA, f"checksums-{'ours' if bindir == OURS else 'base'}.lmdb")
        subprocess.run(["rm", "-rf", store])
        run([os.path.join(bindir, "recsys"), "embedding", "import", fv, "--table", "base", "--store", store])
        stores[name] = (bindir, store)
    scans = {name: [] for name in stores}
    gets = {name: [] for name in stores}
    for _ in range(a.rounds):  # alternate, so drift on a shared VM hits both
        for name, (bindir, store) in stores.items():
            s, g = reads(bindir, store)
            scans[name].append(s)
            gets[name].append(g)
    ours, base = statistics.median(scans["with checksums"]), statistics.median(scans["baseline"])
    gets_ours, gets_base = statistics.median(gets["with checksums"]), statistics.median(gets["baseline"])
    t0 = time.time()
    run([os.path.join(OURS, "recsys"), "store", "verify", "--store", stores["with checksums"][1]])
    verify = time.time() - t0
    gb = a.n * 64 * 4 / 1e9
    result = {"n": a.n, "dim": 64, "rounds": a.rounds, "label": a.label, "scan_seconds": scans, "median_ours": ours, "median_baseline": base,
              "slowdown": ours / base - 1, "point_get_ns": gets, "point_get_slowdown": gets_ours / gets_base - 1,
              "verify_seconds": verify, "verify_gb_per_s": gb / verify}
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench/results/checksums.json"), "w") as f:
        json.dump(result, f, indent=1)
    with open(os.path.join(ROOT, "bench/results/checksums.md"), "w") as f:
        f.write(f"# Checksum cost ({time.strftime('%Y-%m-%d %H:%M')}, {a.n:,} x 64, {a.rounds} alternating rounds)\n\n")
        f.write(f"This build adds: {a.label}.\n\n")
        f.write("| workload | this build | baseline | change | target |\n|---|---|---|---|---|\n")
        f.write(f"| full scan + dot, median (s) | {ours:.4f} | {base:.4f} | {100 * (ours / base - 1):+.1f}% | within 5% |\n")
        f.write(f"| point get, median (ns) | {gets_ours:,.0f} | {gets_base:,.0f} | {100 * (gets_ours / gets_base - 1):+.1f}% | within 10% |\n")
        f.write(f"| `store verify`, whole command (s) | {verify:.2f} | - | {gb / verify:.2f} GB/s of vectors checked | |\n\n")
        f.write("Each store is written and read by its own build. The scan does not verify vector blocks (see BlockTrailer: checking every block it touches would cost several times the dot products, at the CRC rate above); a point get checks its id's row value (a CRC32C over ~20 bytes).\n")
    print(open(os.path.join(ROOT, "bench/results/checksums.md")).read())

if __name__ == "__main__":
    main()
