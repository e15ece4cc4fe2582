#!/usr/bin/env bash
# Runs examples/python_client.py against a fresh store of the bundled data:
# builds recsys, imports item2vec and movies, serves with a write token.
# Needs Python with `requests` (pip install requests). On demand, not in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
recsys=.build/release/recsys
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
$recsys --store "$work/s.lmdb" embedding import data/sparrowrecsys/item2vecEmb.csv --table item2vec >/dev/null
$recsys --store "$work/s.lmdb" items import data/sparrowrecsys/movies.csv >/dev/null 2>&1
openssl rand -hex 32 > "$work/token" 2>/dev/null || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/token"
$recsys --store "$work/s.lmdb" serve --port 0 --write-token-file "$work/token" > "$work/out" 2>/dev/null &
pid=$!
for _ in $(seq 100); do grep -q listening "$work/out" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/out")
${PYTHON:-python3} examples/python_client.py "$url" "$(cat "$work/token")"
