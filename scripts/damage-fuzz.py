#!/usr/bin/env python3
"""Fuzz of damaged stores: byte flips, zeroed and copied pages, truncation.

Builds a small store (item2vec, user vectors, items, an index, a trained
model), then for each of N seeded mutations of a copy runs the read commands
and `store verify`, and counts:
  - signals (exit codes beyond 1, or a kill by signal): must be 0;
  - hangs (a command past its timeout): must be 0;
  - silent differences: a command exited 0 with output unlike the undamaged
    store's while `store verify` passed: must be 0;
  - wrong answers: the same while `store verify` failed: a command reading a
    damaged value must say so (exit 1), so this too must be 0.
Usage: scripts/damage-fuzz.py [--cases N] [--seed S] [--binary PATH]
"""
import argparse, os, random, shutil, subprocess, sys, tempfile, json

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "data", "sparrowrecsys")
COMMANDS = [
    ["embedding", "list", "--json"],
    ["embedding", "get", "item2vec", "1", "2", "318", "--json"],
    ["embedding", "export", "--table", "user", "-o", "-"],
    ["items", "get", "1", "2", "--json"],
    ["recall", "item", "1", "-k", "5", "--json"],
    ["recall", "user", "10292", "-k", "20", "--json"],
    ["rank", "--model", "m", "--user", "10292", "1", "2", "318", "--json"],
    ["recommend", "user", "10292", "-k", "5", "--json"],
    ["recommend", "user", "10292", "-k", "5", "--model", "m", "--json"],
    ["neighbours", "list", "--json"],
]


def run(binary, store, args, timeout=60):
    try:
        p = subprocess.run([binary] + args + ["--store", store], capture_output=True, timeout=timeout)
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired:
        return "hang", b""


def normalise(out):
    """Drops timings, which differ between runs."""
    try:
        j = json.loads(out)
    except Exception:
        return out
    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if "ms" not in k and k != "timings"}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x
    return json.dumps(strip(j), sort_keys=True).encode()


def build(binary, store):
    steps = [["embedding", "import", DATA + "/item2vecEmb.csv", "--table", "item2vec"],
             ["embedding", "import", DATA + "/userEmb.csv", "--table", "user", "--kind", "user"],
             ["items", "import", DATA + "/movies.csv"],
             ["index", "build", "--table", "item2vec"],
             ["train", "--samples", DATA + "/testSamples.csv", "--holdout-every", "5", "--model", "m", "--epochs", "1"],
             ["neighbours", "build", "--ratings", DATA + "/testSamples.csv"]]
    for s in steps:
        subprocess.run([binary] + s + ["--store", store], check=True, capture_output=True)


NEEDLES = [b'"dimension"', b'"rowsPerBlock"', b'"generation"', b'Toy Story', b'Jumanji', b'items-versions',
           b'items-stamp', b'movieId', b'history\x01', b'RCK1', b'neighbours\x01',
           # id keys of the first tables' first versions: their row values follow the key
           b'\x00\x00\x00\x01\x00\x00\x00\x01i', b'\x00\x00\x00\x02\x00\x00\x00\x01i']


def aimed_offsets(data):
    """Offsets near the structures a uniform flip rarely hits: table records,
    items, meta values, checksummed trailers, page headers."""
    out = []
    for n in NEEDLES:
        i = data.find(n)
        while i >= 0:
            out.append(i)
            i = data.find(n, i + 1)
    return out


def mutate(data, rng, aimed, page=4096):
    data = bytearray(data)
    kind = rng.choice(["flip", "aimed", "aimed", "aimed", "page-header", "flips", "zero-page", "copy-page", "truncate"])
    pages = len(data) // page
    if kind == "aimed":
        i = min(len(data) - 1, max(2 * page, rng.choice(aimed) + rng.randrange(-48, 48)))
        data[i] ^= 1 << rng.randrange(8)
    elif kind == "page-header":
        p = rng.randrange(2, pages)
        data[p * page + rng.randrange(16)] ^= 1 << rng.randrange(8)
    elif kind == "flip":
        i = rng.randrange(2 * page, len(data))
        data[i] ^= 1 << rng.randrange(8)
    elif kind == "flips":
        for _ in range(rng.randrange(2, 16)):
            i = rng.randrange(2 * page, len(data))
            data[i] = rng.randrange(256)
    elif kind == "zero-page":
        p = rng.randrange(2, pages)
        data[p * page:(p + 1) * page] = bytes(page)
    elif kind == "copy-page":
        a, b = rng.randrange(2, pages), rng.randrange(2, pages)
        data[b * page:(b + 1) * page] = data[a * page:(a + 1) * page]
    else:
        data = data[:rng.randrange(2 * page, len(data))]
    return bytes(data), kind


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "recsys"))
    ap.add_argument("--keep", type=int, help="stop after this case and keep its damaged store (path printed) to reproduce a finding")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="recsys-fuzz-")
    base = os.path.join(work, "base")
    build(a.binary, base)
    expected = {tuple(c): normalise(run(a.binary, base, c)[1]) for c in COMMANDS}
    original = open(os.path.join(base, "data.mdb"), "rb").read()
    aimed = aimed_offsets(original)
    signals, hangs, silent, wrong, errors, commands = [], [], [], [], 0, 0
    for case in range(a.cases):
        store = os.path.join(work, "c")
        shutil.rmtree(store, ignore_errors=True)
        os.makedirs(store)
        damaged, kind = mutate(original, rng, aimed)
        open(os.path.join(store, "data.mdb"), "wb").write(damaged)
        if a.keep is not None and case < a.keep:
            continue
        if a.keep is not None:
            print(f"case {case} ({kind}): {store}")
            return 0
        vrc, _ = run(a.binary, store, ["store", "verify"])
        commands += 1
        if vrc == "hang" or (isinstance(vrc, int) and vrc not in (0, 1)):
            (hangs if vrc == "hang" else signals).append((case, kind, "store verify", vrc))
        for c in COMMANDS:
            rc, out = run(a.binary, store, c)
            commands += 1
            if rc == "hang":
                hangs.append((case, kind, " ".join(c), rc))
            elif rc not in (0, 1):
                signals.append((case, kind, " ".join(c), rc))
            elif rc == 1:
                errors += 1
            elif normalise(out) != expected[tuple(c)]:
                (silent if vrc == 0 else wrong).append((case, kind, " ".join(c)))
    shutil.rmtree(work, ignore_errors=True)
    print(f"cases {a.cases}, commands {commands}, errors (exit 1) {errors}, signals {len(signals)}, hangs {len(hangs)}, "
          f"silent differences with verify passing {len(silent)}, "
          f"wrong answers (exit 0) that verify caught {len(wrong)}")
    for s in signals[:20]: print("signal", s)
    for s in hangs[:20]: print("hang", s)
    for s in silent[:20]: print("silent", s)
    for s in wrong[:20]: print("wrong", s)
    return 1 if signals or hangs or silent or wrong else 0


if __name__ == "__main__":
    sys.exit(main())
