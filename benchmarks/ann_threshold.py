"""Where exact dense search stops paying: latency of an exact scan vs an HNSW graph, and HNSW recall.

For each size, synthetic 384-d chunk vectors (benchmarks/scale_data.py: sums of random word vectors
with topic structure) and questions made of 6 words of a random chunk. Times one-question searches
(as `Assistant.ask` makes them) of FAISS IndexFlatIP and of IndexHNSWFlat (M, efConstruction from
qa.backends.faiss_dense) at several efSearch values, with recall@10 against the exact result, and
the HNSW build time. The numbers chose qa.backends.EXACT_MAX_ROWS and HNSW_DEFAULTS. A script, not a test.

    python benchmarks/ann_threshold.py [--sizes 10000 50000 100000] [--queries 200] [--ef 32 64 128 256 | --ef]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale_data as sd  # noqa: E402

from qa.backends import faiss_dense  # noqa: E402
from qa.eval_data import percentile  # noqa: E402


def questions(ids: np.ndarray, embedder, n: int, seed: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    flat = ids.reshape(len(ids), -1)
    rows = rng.choice(len(ids), n, replace=False)
    picks = np.stack([rng.choice(flat[r], 6, replace=False) for r in rows])
    return embedder.encode_ids(picks)


def time_search(search, queries: np.ndarray) -> tuple[float, float, list[np.ndarray]]:
    times, results = [], []
    for q in queries:
        t0 = time.perf_counter()
        results.append(search(q))
        times.append((time.perf_counter() - t0) * 1000)
    return percentile(times, 50), percentile(times, 95), results


def measure(n: int, n_queries: int, efs: list[int], embedder) -> dict:
    ids = sd.word_ids(n)
    x = embedder.encode_ids(ids.reshape(n, -1))
    qs = questions(ids, embedder, n_queries)
    flat = faiss_dense.FaissDense.create(x.shape[1], "flat")
    flat.add(x)
    p50, p95, exact = time_search(lambda q: flat.search(q, 10)[0], qs)
    row = {"n": n, "flat_p50_ms": p50, "flat_p95_ms": p95, "hnsw": []}
    if not efs:
        return row
    t0 = time.perf_counter()
    hnsw = faiss_dense.FaissDense.create(x.shape[1], "hnsw")
    hnsw.add(x)
    row["hnsw_build_s"] = time.perf_counter() - t0
    for ef in efs:
        hnsw.params["efSearch"] = ef
        p50, p95, got = time_search(lambda q: hnsw.search(q, 10)[0], qs)
        recall = float(np.mean([len(set(a.tolist()) & set(b.tolist())) / 10 for a, b in zip(got, exact)]))
        row["hnsw"].append({"efSearch": ef, "p50_ms": p50, "p95_ms": p95, "recall_at_10": recall})
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ef", type=int, nargs="*", default=[32, 64, 128, 256],
                        help="efSearch values to try; none: time the exact scan only (no graph built)")
    args = parser.parse_args(argv)
    embedder = sd.WordSumEmbedder(sd.vocabulary())
    print(f"HNSW {faiss_dense.HNSW_DEFAULTS}; one question at a time; 2 cores shared with other work")
    for n in args.sizes:
        row = measure(n, args.queries, args.ef, embedder)
        print(f"[{n} vectors] flat p50 {row['flat_p50_ms']:.2f} ms p95 {row['flat_p95_ms']:.2f} ms"
              + (f"; hnsw build {row['hnsw_build_s']:.1f} s" if row["hnsw"] else ""))
        for h in row["hnsw"]:
            print(f"   efSearch {h['efSearch']:4d}: p50 {h['p50_ms']:.2f} ms p95 {h['p95_ms']:.2f} ms "
                  f"recall@10 {h['recall_at_10']:.3f}")
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
