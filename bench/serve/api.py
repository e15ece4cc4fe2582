#!/usr/bin/env python3
"""HTTP API benchmark: wrk -c16 against `recsys serve` on 127.0.0.1.

1. Recall by vector beside recall by id, in rounds in one run: POST /v1/recall
   with each user's stored vector as the body, and GET /v1/recall/user/{id}
   for the same users (k=100, table item2vec, the demo store). The id route
   also looks the user up and excludes the history; the vector route parses
   the vector from JSON.
2. A 95/5 mix: 95% GET /v1/recall/user/{id}?k=100, 5% PUT
   /v1/embeddings/item2vec/{new id} with a bearer token, ids numbered per wrk
   thread. Afterwards every id is read back with batch-get: every write
   must be there but for the last few still in flight when wrk stopped.
3. Title search over 100k items (the movies repeated with a suffix):
   GET /v1/items?q=... with random 3-5 letter parts of real titles.
Writes bench/results/serve-api.{md,json}.

  python3 bench/serve/api.py [--seconds 20] [--repeats 3]
"""
import argparse, csv, json, os, random, re, subprocess, sys, time, urllib.request
from commit import build_commit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECSYS = os.path.join(ROOT, ".build/release/recsys")
DATA = os.path.join(ROOT, "bench/data")
SP = os.path.join(ROOT, "data/sparrowrecsys")
TOKEN = "bench-write-token-0123456789abcdef"


def run_wrk(lua, port, seconds):
    out = subprocess.run(["wrk", "-t1", "-c16", f"-d{seconds}s", "--latency", "-s", lua, f"http://127.0.0.1:{port}"],
                         capture_output=True, text=True).stdout
    def ms(pattern):
        m = re.search(pattern, out)
        return float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3}[m.group(2)] if m else None
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    extra = dict(re.findall(r"^(\w+)=(\d+)$", out, re.M))
    return {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": ms(r"50%\s+([\d.]+)(us|ms|s)"), "p99_ms": ms(r"99%\s+([\d.]+)(us|ms|s)"),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0, "socket_errors": errors.group(1) if errors else None,
            **{k: int(v) for k, v in extra.items()}, "raw": out}


def lua_requests(path, requests):
    """A wrk script cycling through pre-formatted requests (formatted once, in init)."""
    with open(path, "w") as f:
        f.write("local raw = {" + ",".join(json.dumps(r) for r in requests) + "}\nlocal requests = {}\n")
        f.write("init = function(args)\n  for i, r in ipairs(raw) do requests[i] = r end\nend\n")
        f.write("math.randomseed(7)\nrequest = function()\n  return requests[math.random(#requests)]\nend\n")
    return path


def http(method, path, body, headers):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{k}: {v}" for k, v in headers.items()]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body.encode())}"]
    return "\r\n".join(lines) + "\r\n\r\n" + (body or "")


def start(store, port, *extra):
    srv = subprocess.Popen([RECSYS, "serve", "--port", str(port), "--store", store, "--log-level", "warning", *extra],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    srv.stdout.readline()
    return srv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    os.makedirs(DATA, exist_ok=True)
    store = os.path.join(DATA, "api.lmdb")
    subprocess.run(["rm", "-rf", store])
    def r(*args, s=store): subprocess.run([RECSYS, *args, "--store", s], check=True, capture_output=True)
    r("embedding", "import", f"{SP}/item2vecEmb.csv", "--table", "item2vec")
    r("embedding", "import", f"{SP}/userEmb.csv", "--table", "user", "--kind", "user")
    r("items", "import", f"{SP}/movies.csv")
    r("index", "build", "--table", "item2vec")
    r("train", "--samples", f"{SP}/testSamples.csv", "--model", "default", "--holdout-every", "5")
    vectors = {}
    for line in open(f"{SP}/userEmb.csv"):
        uid, _, v = line.strip().partition(":")
        vectors[uid] = [float(x) for x in v.replace(",", " ").split()]
    random.seed(3)
    users = random.sample(sorted(vectors)[:2000], 500)
    port = 18282
    token_file = os.path.join(DATA, "api-token")
    with open(token_file, "w") as f: f.write(TOKEN + "\n")
    srv = start(store, port, "--write-token-file", token_file)
    res = {"date": time.strftime("%Y-%m-%d %H:%M"), "commit": build_commit(ROOT), "seconds": a.seconds, "concurrency": 16, "repeats": a.repeats}

    by_id = lua_requests(os.path.join(DATA, "api-id.lua"), [http("GET", f"/v1/recall/user/{u}?k=100", None, {}) for u in users])
    by_vector = lua_requests(os.path.join(DATA, "api-vector.lua"),
                             [http("POST", "/v1/recall", json.dumps({"table": "item2vec", "vector": vectors[u], "k": 100}), {}) for u in users])
    for lua in (by_id, by_vector): run_wrk(lua, port, 3)  # warm-up
    runs = {"recall_by_id": [], "recall_by_vector": []}
    for _ in range(a.repeats):
        runs["recall_by_id"].append(run_wrk(by_id, port, a.seconds))
        runs["recall_by_vector"].append(run_wrk(by_vector, port, a.seconds))

    # 95/5 read/write mix; each thread numbers its writes (a global, which done() reads). No
    # response() callback: it made wrk copy every body into Lua, a tenth of the throughput.
    # Every completed write was 2xx (non-2xx is 0); those missing afterwards must be the last
    # ones, in flight when wrk stopped.
    mix = os.path.join(DATA, "api-mix.lua")
    with open(mix, "w") as f:
        f.write("local reads = {" + ",".join(json.dumps(http("GET", f"/v1/recall/user/{u}?k=100", None, {})) for u in users) + "}\n")
        f.write(f'local auth = "Bearer {TOKEN}"\nsent, n = 0, 0\nlocal threads = {{}}\n')
        f.write("setup = function(thread) table.insert(threads, thread) end\n")
        f.write("math.randomseed(11)\n")
        f.write("request = function()\n  n = n + 1\n  if n % 20 == 0 then\n"
                "    local id = \"mix-\" .. sent\n    sent = sent + 1\n"
                "    local v = {}\n    for i = 1, 10 do v[i] = string.format(\"%.4f\", math.random() * 2 - 1) end\n"
                "    return wrk.format(\"PUT\", \"/v1/embeddings/item2vec/\" .. id, {[\"Authorization\"] = auth, [\"Content-Type\"] = \"application/json\"},"
                " '{\"vector\": [' .. table.concat(v, \",\") .. ']}')\n"
                "  end\n  return reads[math.random(#reads)]\nend\n")
        f.write("done = function(summary, latency, requests)\n  local s = 0\n"
                "  for _, t in ipairs(threads) do s = s + t:get(\"sent\") end\n"
                "  io.write(\"writes_sent=\" .. s .. \"\\n\")\nend\n")
    m = run_wrk(mix, port, a.seconds)
    ids = [f"mix-{i}" for i in range(m["writes_sent"])]
    found = set()
    for i in range(0, len(ids), 5000):
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/embeddings/item2vec/batch-get", data=json.dumps({"ids": ids[i:i + 5000]}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        found |= {v["id"] for v in json.load(urllib.request.urlopen(req, timeout=60))["vectors"]}
    missing = [i for i, x in enumerate(ids) if x not in found]
    m.update({"writes_found": len(found), "missing_ids": missing[:20],
              # ids are sent in order: every missing one must be among the last (in flight at the end)
              "missing_only_at_tail": all(i >= len(ids) - 16 for i in missing)})
    runs["mix_95_5"] = [m]
    srv.terminate(); srv.wait(timeout=30)

    # title search over 100k items
    catalogue = os.path.join(DATA, "items-100k.csv")
    titles = [row[1] for row in list(csv.reader(open(f"{SP}/movies.csv", newline="")))[1:]]
    with open(catalogue, "w") as f:
        f.write("movieId,title,genres\n")
        for i in range(100_000):
            f.write(f'{i},"{titles[i % len(titles)].replace(chr(34), "")} #{i // len(titles)}",Drama\n')
    big = os.path.join(DATA, "api-100k.lmdb")
    subprocess.run(["rm", "-rf", big])
    r("items", "import", catalogue, s=big)
    r("embedding", "import", f"{SP}/item2vecEmb.csv", "--table", "item2vec", s=big)
    srv = start(big, port)
    words = [t.lower()[j:j + random.randint(3, 5)] for t in random.sample(titles, 200) for j in [random.randint(0, max(0, len(t) - 5))]]
    search = lua_requests(os.path.join(DATA, "api-search.lua"),
                          [http("GET", f"/v1/items?q={urllib.parse.quote(w)}&limit=20", None, {}) for w in words if w.strip()])
    run_wrk(search, port, 3)
    runs["search_100k"] = [run_wrk(search, port, a.seconds)]
    srv.terminate(); srv.wait(timeout=30)

    for name, rs in runs.items():
        res[name + "_runs"] = [{k: v for k, v in x.items() if k != "raw"} for x in rs]
        res[name] = sorted(res[name + "_runs"], key=lambda x: x["p99_ms"])[len(rs) // 2]
    ratio_rps = res["recall_by_vector"]["requests_per_s"] / res["recall_by_id"]["requests_per_s"]
    ratio_p99 = res["recall_by_vector"]["p99_ms"] / res["recall_by_id"]["p99_ms"]
    res["vector_vs_id_requests_ratio"], res["vector_vs_id_p99_ratio"] = ratio_rps, ratio_p99
    with open(os.path.join(ROOT, "bench/results/serve-api.json"), "w") as f: json.dump(res, f, indent=1)
    mix = res["mix_95_5"]
    lines = [f"# HTTP API benchmark ({res['date']}, commit {res['commit']}): wrk -t1 -c16 -d{a.seconds}s on 127.0.0.1", "",
             f"Recall loads ran {a.repeats} times each in alternating rounds; a row is the run with the median p99.", "",
             "| load | requests/s | p50 ms | p99 ms | non-2xx | p99 of each run ms |", "|---|---|---|---|---|---|"]
    for name, label in [("recall_by_id", "GET /v1/recall/user/{id}?k=100"), ("recall_by_vector", "POST /v1/recall (the same users' vectors), k=100"),
                        ("mix_95_5", "95% GET recall / 5% PUT embedding"), ("search_100k", "GET /v1/items?q= over 100k items")]:
        w = res[name]
        every = ", ".join(f"{x['p99_ms']:.2f}" for x in res[name + "_runs"])
        lines.append(f"| {label} | {w['requests_per_s']:,.0f} | {w['p50_ms']:.2f} | {w['p99_ms']:.2f} | {sum(x['non_2xx'] for x in res[name + '_runs'])} | {every} |")
    lines += ["", f"Vector recall against id recall: {ratio_rps:.2f}x the requests/s, {ratio_p99:.2f}x the p99 (target: within 10%).",
              f"Mix: {mix['writes_sent']} writes sent, {mix['writes_found']} read back with batch-get afterwards"
              f" ({'none lost' if mix['missing_only_at_tail'] else 'WRITES LOST'}; missing ids {mix['missing_ids'] or 'none'}: "
              "only writes still in flight when wrk stopped may be missing).",
              "Search: case-insensitive substring over 100,000 titles (3-5 letter parts of real titles), 20 results each."]
    with open(os.path.join(ROOT, "bench/results/serve-api.md"), "w") as f: f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    import urllib.parse
    main()
