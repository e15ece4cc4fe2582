#!/usr/bin/env bash
# Prints the README's command tour as markdown, with the real output of each
# command run against a fresh ./tour.lmdb (keeps the README honest).
set -uo pipefail
cd "$(dirname "$0")/.."
recsys=.build/release/recsys
export RECSYS_STORE=./tour.lmdb
rm -rf tour.lmdb
d=data/sparrowrecsys
show() {
  echo '```console'
  echo "\$ recsys $*"
  $recsys "$@" 2>&1 | head -n "${LINES_MAX:-14}" | sed 's/[[:space:]]*$//'
  echo '```'
  echo
}
show embedding import $d/item2vecEmb.csv --table item2vec
show embedding import $d/userEmb.csv --table user --kind user
show items import $d/movies.csv
show embedding list
show embedding info item2vec
show embedding get item2vec 1 2 --tsv
show embedding export --table item2vec --format word2vec -o /tmp/item2vec.vec
printf '1:1 2 3\n2:1 x 3\n' > /tmp/bad.txt
show embedding import /tmp/bad.txt --table item2vec
show index build --table item2vec
show recall item 1 -k 5
show recall user 10292 -k 5
show recall user --history 1,2,3 --from history -k 5 --where genre=Comedy
show recall eval --table item2vec --queries $d/userEmb.csv --probes 1,2,4
LINES_MAX=12 show train --samples $d/testSamples.csv --holdout-every 5 --model default
show rank --model default --user 10292 1 2 3 318 858
LINES_MAX=16 show recommend user 10292 -k 8 --model default --explain
show neighbours build --ratings $d/testSamples.csv
show neighbours list
LINES_MAX=16 show recommend user 10292 -k 8 --explain
printf '1:0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 1.0\n' > /tmp/v2.txt
show embedding import /tmp/v2.txt --table item2vec
show embedding rollback item2vec
show embedding upsert item2vec 99999 --vector 0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0
printf 'userId,movieId,rating,timestamp\n7,1,5.0,100\n7,2,2.0,200\n7,32,4.5,300\n' > /tmp/ratings.csv
show history import /tmp/ratings.csv
show history show 7
show recall user 7 --from history -k 3
rm -rf tour.lmdb
