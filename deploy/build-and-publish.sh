#!/usr/bin/env bash
# The builder's job (recsys-builder.service): import the offline jobs' latest
# outputs into the builder's store, rebuild the recall index, retrain the
# ranker, then snapshot the store and publish it; replicas switch to it.
#
# Rules:
# - Every step is atomic in the store: a failed step leaves the previous
#   version, and `set -e` stops before anything is published.
# - Spark outputs (directories of part-* files) are read only when their
#   _SUCCESS marker is there; recsys refuses the directory otherwise.
# - The newest $KEEP snapshots are kept; the one published is never removed.
#   Replicas still reading an older one keep their mapping until they switch.
set -euo pipefail
RECSYS=${RECSYS:-/usr/local/bin/recsys}
STATE=${RECSYS_STATE:-/var/lib/recsys}
INPUT=${RECSYS_INPUT:-/srv/recsys-input}
KEEP=${KEEP:-3}
export RECSYS_STORE="$STATE/builder.lmdb"

"$RECSYS" embedding import "$INPUT/item2vec" --table item2vec
"$RECSYS" items import "$INPUT/movies.csv"
"$RECSYS" index build --table item2vec
"$RECSYS" train --samples "$INPUT/samples" --model default
"$RECSYS" store verify

mkdir -p "$STATE/snapshots"
snap="$STATE/snapshots/$(date -u +%Y%m%dT%H%M%SZ)"
"$RECSYS" snapshot --to "$snap" --publish "$STATE/current"

current=$(readlink -f "$STATE/current")
ls -1d "$STATE"/snapshots/*/ 2>/dev/null | sed 's:/$::' | sort -r | tail -n +$((KEEP + 1)) | while read -r old; do
  [ "$(readlink -f "$old")" = "$current" ] || rm -rf -- "$old"
done
