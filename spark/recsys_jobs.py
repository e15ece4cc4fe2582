#!/usr/bin/env python3
"""recsys's offline jobs on Spark, for logs too big for one machine.

  samples   ranking samples from an interaction log, the same rows as
            `recsys samples build` (no split, no sampled negatives)
  item2vec  item vectors with Spark MLlib's Word2Vec over each user's positively
            rated items in time order, as SparrowRecSys's Embedding job trains them

Both write Spark's usual output, a directory of part-* files with _SUCCESS, which
`recsys train --samples DIR` and `recsys embedding import DIR` read.

  spark-submit spark/recsys_jobs.py samples --ratings R.csv --movies M.csv --out DIR
  python3 spark/recsys_jobs.py item2vec --ratings R.csv --out DIR [--master local[2]]

The feature rules are `recsys samples build`'s (Sources/Offline/SampleBuilder.swift):
- label: rating >= --min-rating;
- item features over all of the item's events: release year (the title's
  trailing "(YYYY)", else 1990), its first three genres, rating count, mean and
  sample standard deviation (0 for one rating);
- user features from the user's --window events strictly before the row, in
  time order with ties of equal timestamps in file order; rows whose user has
  fewer than 2 earlier events are left out;
- averages and deviations carry 2 decimals; a missing string is written "".
"""
import argparse
import sys

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

HEADER = ["movieId", "userId", "rating", "timestamp", "label", "releaseYear", "movieGenre1", "movieGenre2", "movieGenre3",
          "movieRatingCount", "movieAvgRating", "movieRatingStddev",
          "userRatedMovie1", "userRatedMovie2", "userRatedMovie3", "userRatedMovie4", "userRatedMovie5",
          "userRatingCount", "userAvgReleaseYear", "userReleaseYearStddev", "userAvgRating", "userRatingStddev",
          "userGenre1", "userGenre2", "userGenre3", "userGenre4", "userGenre5"]
DEFAULT_YEAR = 1990


def read_ratings(spark, path):
    """The log with each event's position in the file (ties of equal timestamps keep it)."""
    log = spark.read.csv(path, header=True, schema="userId string, movieId string, rating float, timestamp long", mode="FAILFAST")
    # increasing in file order: partitions are read in file order and numbered in it
    return log.withColumn("line", F.monotonically_increasing_id())


def read_movies(spark, path):
    movies = spark.read.csv(path, header=True, schema="movieId string, title string, genres string", mode="FAILFAST")
    year = F.regexp_extract(F.rtrim("title"), r"\((\d{4})\)$", 1)
    return movies.select(
        "movieId",
        F.when(year == "", F.lit(DEFAULT_YEAR)).otherwise(year.cast("int")).alias("releaseYear"),
        F.when(F.coalesce(F.col("genres"), F.lit("")) == "", F.array().cast("array<string>")).otherwise(F.split("genres", r"\|")).alias("genreList"))


def fixed2(column):
    """Two decimals, as `recsys samples build` and SparrowRecSys write averages:
    format_number rounds the exact binary value half-even (as C's printf does;
    format_string's %.2f rounds the shortest decimal half-up: 2.675 -> 2.68),
    without its digit grouping."""
    return F.regexp_replace(F.format_number(column, 2), ",", "")


@F.udf(returnType=T.StructType([T.StructField("positives", T.ArrayType(T.StringType())), T.StructField("genres", T.ArrayType(T.StringType()))]))
def window_lists(events):
    """The last five positively rated items (most recent first) and the five
    genres most frequent among the positive events, equal counts in the order
    of their most recent sighting. `events` is the window, oldest first."""
    positives, counts, touched = [], {}, []
    for e in reversed(events or []):
        if not e["positive"]:
            continue
        if len(positives) < 5:
            positives.append(e["movieId"])
        for g in e["genreList"]:
            if g not in counts:
                counts[g] = 0
                touched.append(g)
            counts[g] += 1
    # a stable sort by count keeps the order of sighting among equal counts
    genres = sorted(touched, key=lambda g: -counts[g])[:5]
    return positives, genres


def samples(spark, a):
    log = read_ratings(spark, a.ratings)
    movies = read_movies(spark, a.movies)
    events = log.join(movies, "movieId", "left").withColumn("positive", F.col("rating") >= F.lit(a.min_rating))
    missing = events.filter(F.col("releaseYear").isNull()).select("movieId").first()
    if missing:
        sys.exit(f"{a.ratings}: item '{missing['movieId']}' is not in {a.movies}")

    items = events.groupBy("movieId").agg(
        F.count("*").alias("movieRatingCount"),
        F.avg("rating").alias("movieAvg"),
        F.coalesce(F.stddev_samp("rating"), F.lit(0.0)).alias("movieStddev"))
    by_time = Window.partitionBy("userId").orderBy("timestamp", "line")
    before = by_time.rowsBetween(-a.window, -1)
    rows = (events.join(items, "movieId")
            .withColumn("earlier", F.row_number().over(by_time) - 1)
            .withColumn("userRatingCount", F.count("*").over(before))
            .withColumn("userYearMean", F.avg("releaseYear").over(before))
            .withColumn("userYearStddev", F.coalesce(F.stddev_samp("releaseYear").over(before), F.lit(0.0)))
            .withColumn("userAvg", F.avg("rating").over(before))
            .withColumn("userStddev", F.coalesce(F.stddev_samp("rating").over(before), F.lit(0.0)))
            .withColumn("lists", window_lists(F.collect_list(F.struct("movieId", "positive", "genreList")).over(before)))
            .filter(F.col("earlier") >= 2))

    def nth(array, i):
        return F.coalesce(F.try_element_at(array, F.lit(i + 1)), F.lit(""))  # 1-based, null past the end
    out = rows.select(
        "movieId", "userId", F.col("rating").cast("string").alias("rating"), "timestamp",
        F.col("positive").cast("int").alias("label"), "releaseYear",
        *[nth(F.col("genreList"), k).alias(f"movieGenre{k + 1}") for k in range(3)],
        "movieRatingCount", fixed2("movieAvg").alias("movieAvgRating"), fixed2("movieStddev").alias("movieRatingStddev"),
        *[nth(F.col("lists.positives"), k).alias(f"userRatedMovie{k + 1}") for k in range(5)],
        "userRatingCount", F.col("userYearMean").cast("int").alias("userAvgReleaseYear"), fixed2("userYearStddev").alias("userReleaseYearStddev"),
        fixed2("userAvg").alias("userAvgRating"), fixed2("userStddev").alias("userRatingStddev"),
        *[nth(F.col("lists.genres"), k).alias(f"userGenre{k + 1}") for k in range(5)],
        "line")
    # grouped by user, each user's rows in time order (as `recsys samples build` writes them)
    out.orderBy("userId", "timestamp", "line").drop("line").select(HEADER) \
        .write.mode("errorifexists").option("header", True).option("emptyValue", '""').csv(a.out)


def item2vec(spark, a):
    from pyspark.ml.feature import Word2Vec
    from pyspark.ml.functions import vector_to_array
    log = read_ratings(spark, a.ratings).filter(F.col("rating") >= F.lit(a.min_rating))
    by_time = F.sort_array(F.collect_list(F.struct("timestamp", "line", "movieId")))
    sequences = log.groupBy("userId").agg(by_time.alias("events")).select(F.col("events.movieId").alias("items"))
    model = Word2Vec(vectorSize=a.dimension, windowSize=a.window_size, maxIter=a.iterations, minCount=a.min_count,
                     numPartitions=1, seed=a.seed, inputCol="items", outputCol="vector").fit(sequences)
    # SparrowRecSys's text format: movieId:v1 v2 ...
    vectors = model.getVectors().select(F.concat("word", F.lit(":"), F.array_join(vector_to_array("vector").cast("array<string>"), " ")).alias("line"))
    vectors.write.mode("errorifexists").text(a.out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("job", choices=["samples", "item2vec"])
    ap.add_argument("--ratings", required=True, help="userId,movieId,rating,timestamp with a header")
    ap.add_argument("--movies", help="movieId,title,genres with a header (samples)")
    ap.add_argument("--out", required=True, help="the output directory (must not exist)")
    ap.add_argument("--min-rating", type=float, default=3.5, help="ratings at or above it are positive")
    ap.add_argument("--window", type=int, default=100, help="samples: earlier events the user features look at")
    ap.add_argument("--dimension", type=int, default=10, help="item2vec: vector size")
    ap.add_argument("--window-size", type=int, default=5, help="item2vec: context window")
    ap.add_argument("--iterations", type=int, default=10, help="item2vec: passes over the sequences")
    ap.add_argument("--min-count", type=int, default=5, help="item2vec: items seen fewer times get no vector")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--master", help="Spark master when run with python3 (default: spark-submit's, or local[*])")
    a = ap.parse_args()
    if a.job == "samples" and not a.movies:
        ap.error("samples needs --movies")
    builder = SparkSession.builder.appName(f"recsys-{a.job}")
    if a.master:
        builder = builder.master(a.master)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    try:
        (samples if a.job == "samples" else item2vec)(spark, a)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
