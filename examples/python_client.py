#!/usr/bin/env python3
"""A recsys client in a few lines of `requests`: vector search, batch reads,
and guarded writes. Usage: python_client.py BASE_URL [WRITE_TOKEN]"""
import sys
import requests

base = sys.argv[1].rstrip("/")
token = sys.argv[2] if len(sys.argv) > 2 else None

# Vectors for a few items in one request; unknown ids are listed, not an error.
got = requests.post(f"{base}/v1/embeddings/item2vec/batch-get", json={"ids": ["1", "2", "nope"]}, timeout=10)
got.raise_for_status()
vectors = {v["id"]: v["vector"] for v in got.json()["vectors"]}
print("fetched", sorted(vectors), "unknown", got.json()["unknown"])

# The nearest items to any vector (here: the mean of items 1 and 2), comedies only, 1 and 2 left out.
query = [(a + b) / 2 for a, b in zip(vectors["1"], vectors["2"])]
near = requests.post(f"{base}/v1/recall", json={"table": "item2vec", "vector": query, "k": 5,
                                                "where": {"genre": "Comedy"}, "exclude": ["1", "2"]}, timeout=10)
near.raise_for_status()
for hit in near.json()["results"]:
    print(f"{hit['id']:>6}  {hit['score']:.3f}  {hit.get('title', '')}")

# Errors are JSON with a status that says what was wrong.
bad = requests.post(f"{base}/v1/recall", json={"vector": [1, 2]}, timeout=10)
print(bad.status_code, bad.json()["error"])

if token:
    auth = {"Authorization": f"Bearer {token}"}
    put = requests.put(f"{base}/v1/embeddings/item2vec/my-new-item", json={"vector": query}, headers=auth, timeout=10)
    put.raise_for_status()
    print("upserted", put.json())
    print("read back", requests.get(f"{base}/v1/embeddings/item2vec/my-new-item", timeout=10).json()["vector"][:3], "...")
    requests.delete(f"{base}/v1/embeddings/item2vec/my-new-item", headers=auth, timeout=10).raise_for_status()
