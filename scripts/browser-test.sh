#!/usr/bin/env bash
# Tests the web pages in headless Chromium: builds recsys, makes a store from
# the bundled SparrowRecSys data (items, item2vec, users, index, a recorded
# recall sweep, a trained ranker), serves it on a free loopback port and runs
# tests/browser/test_pages.py. Needs Debian's `chromium` and Playwright for
# Python (PYTHON, default .venv/bin/python if present):
#   apt-get install chromium && pip install playwright
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
swift build -c release --product recsys >/dev/null
recsys=.build/release/recsys
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
export RECSYS_STORE="$work/s.lmdb"
d=data/sparrowrecsys
echo "building a store from $d ..."
$recsys embedding import $d/item2vecEmb.csv --table item2vec >/dev/null
$recsys embedding import $d/userEmb.csv --table user --kind user >/dev/null
$recsys items import $d/movies.csv >/dev/null 2>&1
$recsys index build --table item2vec >/dev/null
$recsys recall eval --table item2vec --probes 1,2,4,8,16 >/dev/null
$recsys train --samples $d/testSamples.csv --holdout-every 5 --model default >/dev/null 2>&1
$recsys serve --port 0 > "$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do grep -q listening "$work/out" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/out")
[ -n "$url" ] || { echo "serve did not start:"; cat "$work/err"; exit 1; }
"$python" tests/browser/test_pages.py "$url"
