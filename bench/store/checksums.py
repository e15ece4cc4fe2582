#!/usr/bin/env python3
"""What the block checksums cost: the full scan (+ dot per row) over a store
written with checksums against one written by a baseline build without them,
each scanned by its own build, alternating, and the time `store verify` takes
to check every block (the CRC32C throughput).

  git worktree add /tmp/base <commit before checksums> && (cd /tmp/base && swift build -c release)
  .venv/bin/python bench/store/checksums.py --baseline /tmp/base/.build/release [--n 1000000] [--rounds 5]

Writes bench/results/checksums.{md,json}.
"""
import argparse, json, os, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OURS = os.path.join(ROOT, ".build/release")
DATA = os.path.join(ROOT, "bench/data")

def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

def scan_seconds(bindir, store):
    for line in run([os.path.join(bindir, "recsys-bench"), "store-reads", store, "base"]).splitlines():
        r = json.loads(line)
        if r["workload"].startswith("full scan"):
            return r["seconds"]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", required=True, help="directory holding the baseline build's recsys and recsys-bench")
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
    for _ in range(a.rounds):  # alternate, so drift on a shared VM hits both
        for name, (bindir, store) in stores.items():
            scans[name].append(scan_seconds(bindir, store))
    ours, base = statistics.median(scans["with checksums"]), statistics.median(scans["baseline"])
    t0 = time.time()
    run([os.path.join(OURS, "recsys"), "store", "verify", "--store", stores["with checksums"][1]])
    verify = time.time() - t0
    gb = a.n * 64 * 4 / 1e9
    result = {"n": a.n, "dim": 64, "rounds": a.rounds, "scan_seconds": scans, "median_ours": ours, "median_baseline": base,
              "slowdown": ours / base - 1, "verify_seconds": verify, "verify_gb_per_s": gb / verify}
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench/results/checksums.json"), "w") as f:
        json.dump(result, f, indent=1)
    with open(os.path.join(ROOT, "bench/results/checksums.md"), "w") as f:
        f.write(f"# Checksum cost ({time.strftime('%Y-%m-%d %H:%M')}, {a.n:,} x 64, {a.rounds} alternating rounds)\n\n")
        f.write("| workload | with checksums | baseline (no checksums) | change |\n|---|---|---|---|\n")
        f.write(f"| full scan + dot, median (s) | {ours:.4f} | {base:.4f} | {100 * (ours / base - 1):+.1f}% |\n")
        f.write(f"| `store verify`, whole command (s) | {verify:.2f} | - | {gb / verify:.2f} GB/s of vectors checked |\n\n")
        f.write("Each store is written and scanned by its own build. The scan does not verify (see BlockTrailer: checking every block it touches would cost several times the dot products, at the CRC rate above); the change is the trailer's layout plus this VM's noise. Target: under 5%.\n")
    print(open(os.path.join(ROOT, "bench/results/checksums.md")).read())

if __name__ == "__main__":
    main()
