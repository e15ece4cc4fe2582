#!/usr/bin/env bash
# Sets up and runs the recsys demo on the bundled SparrowRecSys sample data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "building (release; the first build takes a few minutes)..."
swift build -c release --product recsys 2>&1 | grep -E "error|warning: unre|Compiling recsys|Build" || true
recsys=.build/release/recsys
export RECSYS_STORE=./demo.lmdb
data=data/sparrowrecsys
rm -rf demo.lmdb

echo; echo "== import item2vec and user vectors, and the movies"
$recsys embedding import $data/item2vecEmb.csv --table item2vec
$recsys embedding import $data/userEmb.csv --table user --kind user
$recsys items import $data/movies.csv

echo; echo "== tables"
$recsys embedding list

echo; echo "== a few vectors, with titles"
$recsys embedding get item2vec 1 2 3

echo; echo "== recall index over item2vec (parameters chosen by measuring recall@10)"
$recsys index build --table item2vec

echo; echo "== movies most similar to Toy Story (1)"
$recsys recall item 1 -k 5

echo; echo "== train the Embedding+MLP ranker (SparrowRecSys samples, every 5th row held out)"
$recsys train --samples $data/testSamples.csv --holdout-every 5 --model default

echo; echo "== item neighbours (EASE^R) and histories from the samples' ratings: recommend's default sources"
$recsys neighbours build --ratings $data/testSamples.csv

echo; echo "== recommend for user 10292: neighbours of the history, item2vec and most popular merged, ranked by recency"
$recsys recommend user 10292 -k 10 --explain

echo; echo "== the embedding path instead: recall 800 by the user's vector, rank them with the trained model"
$recsys recommend user 10292 -k 10 --model default --explain
