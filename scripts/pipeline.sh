#!/usr/bin/env bash
# From a raw interaction log to a store that answers `recsys recommend`:
# ranking samples, item2vec and user vectors (with histories), items, the
# recall index, the ranker and the item neighbours behind recommend's
# default, each stage timed.
#
#   scripts/pipeline.sh RATINGS.csv MOVIES.csv [STORE] [USER]
#
# RATINGS: userId,movieId,rating,timestamp with a header; MOVIES:
# movieId,title,genres. STORE defaults to ./pipeline.lmdb (replaced), USER
# to the first user of the log. Needs the release build (swift build -c release).
set -euo pipefail
ratings=${1:?usage: scripts/pipeline.sh RATINGS.csv MOVIES.csv [STORE] [USER]}
movies=${2:?usage: scripts/pipeline.sh RATINGS.csv MOVIES.csv [STORE] [USER]}
store=${3:-./pipeline.lmdb}
user=${4:-$(sed -n 2p "$ratings" | cut -d, -f1)}
recsys="$(cd "$(dirname "$0")/.." && pwd)/.build/release/recsys"
[ -x "$recsys" ] || { echo "error: build first: swift build -c release" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$store"
export RECSYS_STORE=$store
start=$(date +%s%N)
stage() {
  local name=$1; shift
  local t0; t0=$(date +%s%N)
  "$@"
  awk -v n="$name" -v t="$(( $(date +%s%N) - t0 ))" 'BEGIN { printf "== %-28s %6.2f s\n", n, t / 1e9 }' >&2
}
stage "samples (time split 0.2)" "$recsys" samples build --ratings "$ratings" --movies "$movies" -o "$work/samples.csv" --split time:0.2
# min-count 5 and user vectors from the last 3 positives: on movielens-small's
# held-out next positives these beat the most-popular baseline (bench/results/pipeline.md)
stage "item2vec + user vectors" "$recsys" item2vec train --ratings "$ratings" --table item2vec --user-table user --min-count 5 --user-recent 3
stage "items" "$recsys" items import "$movies"
stage "recall index" "$recsys" index build --table item2vec
stage "ranker" "$recsys" train --samples "$work/samples-train.csv" --test "$work/samples-test.csv" --model default
stage "neighbours (EASE^R)" "$recsys" neighbours build --ratings "$ratings"
stage "recommend user $user" "$recsys" recommend user "$user" -k 10 --explain
awk -v t="$(( $(date +%s%N) - start ))" 'BEGIN { printf "== %-28s %6.2f s\n", "total", t / 1e9 }' >&2
