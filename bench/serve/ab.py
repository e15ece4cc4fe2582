#!/usr/bin/env python3
"""What a change costs the service: this build's `recsys serve` against a
baseline build's, same demo store contents (each build writes its own
copy), same users, wrk -c16 one thread, recall and recommend, in
alternating rounds so drift on this shared VM lands on both. Reports each
side's median requests/s and p99 and the ratios.

  git worktree add /tmp/base <commit before the change> && (cd /tmp/base && swift build -c release --product recsys)
  python3 bench/serve/ab.py --baseline /tmp/base/.build/release [--seconds 20] [--rounds 3] [--label "..."]

Writes bench/results/serve-ab.{md,json}.
"""
import argparse, json, os, random, statistics, subprocess, time
from commit import build_commit
from run import wrk, ROOT, DATA, SP

OURS = os.path.join(ROOT, ".build/release")


def demo_store(bindir, store):
    subprocess.run(["rm", "-rf", store])
    def r(*args): subprocess.run([os.path.join(bindir, "recsys"), *args, "--store", store], check=True, capture_output=True)
    r("embedding", "import", f"{SP}/item2vecEmb.csv", "--table", "item2vec")
    r("embedding", "import", f"{SP}/userEmb.csv", "--table", "user", "--kind", "user")
    r("items", "import", f"{SP}/movies.csv")
    r("index", "build", "--table", "item2vec")
    r("train", "--samples", f"{SP}/testSamples.csv", "--model", "default", "--holdout-every", "5")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", required=True, help="directory holding the baseline build's recsys")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--label", default="read-your-writes (a view labelled by its own read transaction) and the checksums on id values, table records and items")
    a = ap.parse_args()
    os.makedirs(DATA, exist_ok=True)
    users = [l.split(":")[0] for l in open(f"{SP}/userEmb.csv")][:2000]
    random.seed(3); users = random.sample(users, 500)
    sides = {"this build": (OURS, 18191), "baseline": (a.baseline, 18192)}
    servers = {}
    for name, (bindir, port) in sides.items():
        store = os.path.join(DATA, f"serve-ab-{port}.lmdb")
        demo_store(bindir, store)
        srv = subprocess.Popen([os.path.join(bindir, "recsys"), "serve", "--port", str(port), "--store", store, "--log-level", "warning"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        srv.stdout.readline()
        servers[name] = srv
    loads = [("recommend", "/v1/recommend/user/%s?k=20&candidates=800"), ("recall", "/v1/recall/user/%s?k=100")]
    try:
        for name, (_, port) in sides.items():
            for _, path in loads: wrk(path, users, 3, port)  # warm up
        runs = {(s, l): [] for s in sides for l, _ in loads}
        for _ in range(a.rounds):
            for load, path in loads:
                for side, (_, port) in sides.items():
                    runs[(side, load)].append(wrk(path, users, a.seconds, port, 1, servers[side].pid))
    finally:
        for srv in servers.values(): srv.terminate()
    rows, result = [], {"date": time.strftime("%Y-%m-%d %H:%M"), "commit": build_commit(ROOT), "label": a.label, "seconds": a.seconds, "rounds": a.rounds, "loads": {}}
    for load, _ in loads:
        med = {s: (statistics.median(r["requests_per_s"] for r in runs[(s, load)]), statistics.median(r["p99_ms"] for r in runs[(s, load)])) for s in sides}
        ours, base = med["this build"], med["baseline"]
        result["loads"][load] = {"this_build": {"requests_per_s": ours[0], "p99_ms": ours[1]}, "baseline": {"requests_per_s": base[0], "p99_ms": base[1]},
                                 "throughput_ratio": ours[0] / base[0], "p99_ratio": ours[1] / base[1],
                                 "runs": {s: [(r["requests_per_s"], r["p99_ms"]) for r in runs[(s, load)]] for s in sides}}
        rows.append(f"| {load} | {ours[0]:,.0f} | {base[0]:,.0f} | {ours[0] / base[0]:.3f} | {ours[1]:.2f} | {base[1]:.2f} | {ours[1] / base[1]:.3f} |")
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    json.dump(result, open(os.path.join(ROOT, "bench/results/serve-ab.json"), "w"), indent=1)
    text = (f"# Service A/B ({result['date']}, commit {result['commit']}): wrk -c16 -t1, {a.seconds} s, {a.rounds} alternating rounds, demo store\n\n"
            f"This build adds: {a.label}. Baseline: `{a.baseline}`.\n\n"
            "| load | req/s this build | req/s baseline | ratio | p99 ms this build | p99 ms baseline | ratio |\n|---|---|---|---|---|---|---|\n"
            + "\n".join(rows) + "\n\nMedians over the rounds; each round runs both services back to back on the same users. Target: throughput and p99 within 5%.\n")
    open(os.path.join(ROOT, "bench/results/serve-ab.md"), "w").write(text)
    print(text)


if __name__ == "__main__":
    main()
