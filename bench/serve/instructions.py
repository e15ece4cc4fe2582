#!/usr/bin/env python3
"""Instructions the service executes per request, counted by valgrind's
callgrind: a figure that does not move with the machine's load or its
neighbours, for comparing two builds of the serving path. Wall-clock
latency on a shared 2-core VM moved by 20% between identical runs; this
count repeats to within a fraction of a percent.

One event loop, one client on one keep-alive connection (sequential
requests), the demo store that bench/serve/run.py builds; counting starts
after a warm-up (per-snapshot caches filled) and covers N requests.
Instructions are not time (no cache misses, no SIMD width), and under
valgrind OpenBLAS runs a generic kernel, so recommend's count overstates
its sgemm. Writes bench/results/serve-instructions.{md,json}.

  python3 bench/serve/run.py          # once, to build bench/data/serve.lmdb
  python3 bench/serve/instructions.py [--binary .build/release/recsys] [--baseline OTHER_BUILD --baseline-label COMMIT]

With --baseline, the same requests are counted on a second build (say, the
previous commit's binary) in the same run, and the table gives the ratio.
"""
import argparse, glob, http.client, json, os, random, shutil, subprocess, sys, tempfile, time
from commit import build_commit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STORE = os.path.join(ROOT, "bench/data/serve.lmdb")
SP = os.path.join(ROOT, "data/sparrowrecsys")
LOADS = [("healthz", "/healthz?u=%s", 1000), ("recall", "/v1/recall/user/%s?k=100", 1000),
         ("recommend", "/v1/recommend/user/%s?k=20&candidates=800", 100)]

def requests(port, path, n, users, rng):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for _ in range(n):
        c.request("GET", path % rng.choice(users))
        r = c.getresponse(); r.read()
        if r.status != 200: sys.exit(f"{path}: status {r.status}")
    c.close()

def count(binary, path, n, users, port):
    out = tempfile.mkdtemp()
    env = dict(os.environ, RECSYS_NO_REEXEC="1", OPENBLAS_NUM_THREADS="1")
    srv = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/cg.out", "--instr-atstart=no",
                            binary, "serve", "--port", str(port), "--store", STORE, "--log-level", "warning", "--threads", "1"],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try: requests(port, "/healthz?u=%s", 1, users, random.Random(0)); break
            except OSError: time.sleep(1)
        rng = random.Random(11)
        requests(port, path, 50, users, rng)                       # warm-up, not instrumented
        ctl = lambda *a: subprocess.run(["callgrind_control", *a, str(srv.pid)], check=True, capture_output=True)
        ctl("-i", "on"); requests(port, path, 20, users, rng); ctl("-z")
        requests(port, path, n, users, rng)
        ctl("-i", "off"); ctl("-d")
        time.sleep(1)
        srv.terminate(); srv.wait(timeout=60)  # the dumps are complete once valgrind has exited
        total = 0
        for f in glob.glob(f"{out}/cg.out*"):
            for line in open(f):
                if line.startswith("totals:"): total += int(line.split()[1])
        return total / n
    finally:
        srv.terminate(); srv.wait(timeout=60); shutil.rmtree(out, ignore_errors=True)

def counts(binary, users):
    # valgrind 3.19 cannot read the DWARF 5 the Swift toolchain writes: count a copy without debug info
    stripped = os.path.join(tempfile.mkdtemp(), "recsys")
    subprocess.run(["strip", "-g", binary, "-o", stripped], check=True)
    out = {}
    for name, path, n in LOADS:
        out[name] = count(stripped, path, n, users, 18185)
        print(os.path.basename(binary), name, f"{out[name]:,.0f}", flush=True)
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build/release/recsys"))
    ap.add_argument("--baseline"); ap.add_argument("--baseline-label", default="baseline")
    a = ap.parse_args()
    if not os.path.isdir(STORE): sys.exit("no bench/data/serve.lmdb: run python3 bench/serve/run.py first")
    if not shutil.which("valgrind"): sys.exit("needs valgrind (apt-get install valgrind)")
    users = [l.split(":")[0] for l in open(f"{SP}/userEmb.csv")][:500]
    commit = build_commit(ROOT)
    res = {"date": time.strftime("%Y-%m-%d %H:%M"), "commit": commit, "loads": {name: {"path": path, "requests": n} for name, path, n in LOADS}}
    for name, v in counts(a.binary, users).items(): res["loads"][name]["instructions_per_request"] = v
    if a.baseline:
        res["baseline"] = a.baseline_label
        for name, v in counts(a.baseline, users).items(): res["loads"][name]["baseline_instructions_per_request"] = v
    with open(os.path.join(ROOT, "bench/results/serve-instructions.json"), "w") as f: json.dump(res, f, indent=1)
    lines = [f"# Service instructions per request ({res['date']}, commit {commit}): callgrind, one event loop, sequential keep-alive requests", ""]
    if a.baseline:
        lines += [f"| route | requests counted | {commit} | {a.baseline_label} | {commit} / {a.baseline_label} |", "|---|---|---|---|---|"]
        for r in res["loads"].values():
            lines.append(f"| `{r['path']}` | {r['requests']} | {r['instructions_per_request']:,.0f} | {r['baseline_instructions_per_request']:,.0f} | {r['instructions_per_request'] / r['baseline_instructions_per_request']:.3f} |")
    else:
        lines += ["| route | requests counted | instructions per request |", "|---|---|---|"]
        for r in res["loads"].values():
            lines.append(f"| `{r['path']}` | {r['requests']} | {r['instructions_per_request']:,.0f} |")
    lines += ["", "healthz is the HTTP stack's floor (hummingbird, NIO; the kernel's share is not counted: callgrind sees user space only).",
              "recommend runs OpenBLAS's generic kernel under valgrind, so its count overstates the sgemm share."]
    with open(os.path.join(ROOT, "bench/results/serve-instructions.md"), "w") as f: f.write("\n".join(lines) + "\n")
    print("\n".join(lines))

if __name__ == "__main__":
    main()
