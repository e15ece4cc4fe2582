#!/usr/bin/env bash
# Sets up and runs the recsys demo on the bundled SparrowRecSys sample data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product recsys 2>&1 | grep -Ev '^\[|^Building|^Compiling|unhandled' || true
recsys=.build/release/recsys
export RECSYS_STORE=./demo.lmdb
data=data/sparrowrecsys
rm -rf demo.lmdb

echo "== import item2vec and user vectors, and the movies"
$recsys embedding import $data/item2vecEmb.csv --table item2vec
$recsys embedding import $data/userEmb.csv --table user --kind user
$recsys items import $data/movies.csv

echo; echo "== tables"
$recsys embedding list

echo; echo "== a few vectors, with titles"
$recsys embedding get item2vec 1 2 3
