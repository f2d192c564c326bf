"""HNSW search breadth on a kept scale archive: recall@10 against an exact scan, and milliseconds per
search, for each efSearch, on benchmarks/scale.py's questions (6 words of a random chunk, embedded
by WordSumEmbedder). The figures chose qa.backends.faiss_dense.EF_SEARCH_BY_ROWS at 1M chunks.
`--graph FILE --m M` searches another HNSW graph over the same chunk vectors instead (built into FILE
with M links per node when FILE does not exist; one segment only). A script, not a test; it does not
change the index.

    python benchmarks/scale.py --_generate DIR 1000000 auto      # keep a 1M-chunk archive in DIR
    python benchmarks/ef_sweep.py DIR [--ef 256 384 512 768 1024] [--seeds 7 33 44] [--questions 105]
                                      [--graph FILE --m 16]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402
import scale_data as sd  # noqa: E402

from qa.eval_data import percentile  # noqa: E402
from qa.index import Index  # noqa: E402


def other_graph(index, path: Path, m: int):
    """An HNSW graph with `m` links per node over the index's chunk vectors, built once into `path`."""
    from qa.backends import faiss_dense

    params = {**faiss_dense.hnsw_params(len(index.chunks)), "M": m}
    if not path.exists():
        dense = faiss_dense.FaissDense.create(index.chunk_vectors.shape[1], "hnsw", params)
        t0 = time.perf_counter()
        for lo in range(0, len(index.chunks), 100_000):
            dense.add(index.chunk_vectors[lo : lo + 100_000])
        print(f"built M={m} in {time.perf_counter() - t0:.0f} s", flush=True)
        faiss_dense.faiss.write_index(dense.index, str(path))
    return faiss_dense.FaissDense.load(path.parent, {"kind": "hnsw", "params": params}, path.name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index_dir", type=Path)
    parser.add_argument("--ef", type=int, nargs="+", default=[256, 384, 512, 768, 1024])
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 33, 44])
    parser.add_argument("--questions", type=int, default=105)
    parser.add_argument("--graph", type=Path, help="another HNSW file over the same vectors (built if missing)")
    parser.add_argument("--m", type=int, default=16, help="links per node of the --graph built")
    args = parser.parse_args(argv)
    index = Index.load(args.index_dir)
    if args.graph:
        index.dense = other_graph(index, args.graph, args.m)
    embedder = sd.WordSumEmbedder(sd.vocabulary())
    qs = [q for seed in args.seeds for q in scale.make_questions(index, args.questions, seed)]
    qvecs = embedder.encode(qs)
    exact = scale.exact_top(index, qvecs)
    dense = index.dense
    print(f"{len(index.chunks)} chunks, {len(qs)} questions, dense {dense.describe()}")
    parts = getattr(dense, "parts", None)
    backends = [p.backend for p in parts] if parts else [dense]
    warm = False
    for ef in [max(args.ef), *args.ef]:  # the first pass, untimed, brings the pages it reads into the cache
        for b in backends:
            if b.kind == "hnsw":
                b.params["efSearch"] = ef
        got, times = [], []
        for q in qvecs:
            t0 = time.perf_counter()
            got.append(dense.search(q, 10)[0])
            times.append((time.perf_counter() - t0) * 1000)
        if ef == max(args.ef) and not warm:
            warm = True
            continue
        n = args.questions
        per_seed = [scale.recall(got[i : i + n], exact[i : i + n]) for i in range(0, len(qs), n)]
        print(
            f"efSearch {ef:5d}: recall@10 {scale.recall(got, exact):.3f} (by seed "
            f"{' / '.join(f'{r:.3f}' for r in per_seed)}), search p50 {percentile(times, 50):.1f} ms, "
            f"p95 {percentile(times, 95):.1f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
