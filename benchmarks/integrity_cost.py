"""What the integrity checks cost: `Index.load` (manifest, sizes, every file's sha256, row counts)
against the same load without hashing (the baseline, same process), and `python -m qa check`'s full
verification (adds JSONL spans, vector norms, FAISS vs .npy, BM25) against the load.

Builds a synthetic corpus (benchmarks/synthetic.py) with the fake embedder at the real model's
dimension (384) in a temp dir; prints medians of --repeat runs and the ratios. A script, not a test.

    python benchmarks/integrity_cost.py [--n 2000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import generate  # noqa: E402

from qa import store  # noqa: E402
from qa.build import build_index  # noqa: E402
from qa.index import Index  # noqa: E402
from qa.integrity import check_index  # noqa: E402


def medians_s(fns: list, repeat: int) -> list[float]:
    """Median seconds of each function, run in turn `repeat` times (interleaved: a busy spell on this
    shared machine then hits all of them alike)."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, out in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qa-integrity-") as tmp:
        corpus, index = generate(Path(tmp) / "corpus", args.n), Path(tmp) / "index"
        build_index(corpus, index, "fake:384")
        gen = store.require_generation(index)
        size_mb = sum(p.stat().st_size for p in gen.rglob("*") if p.is_file()) / 1e6

        def unhashed():
            Index._read(gen, store.read_manifest(gen, verify=False))

        base, load, check = medians_s([unhashed, lambda: Index.load(index), lambda: check_index(index)],
                                      args.repeat)
        assert check_index(index) == []
    print(f"{args.n} articles, generation {size_mb:.1f} MB (fake embedder, dim 384)")
    print(f"load without hashing (baseline): {base * 1000:.0f} ms")
    print(f"Index.load with its checks:      {load * 1000:.0f} ms ({load / base:.2f}x the baseline)")
    print(f"python -m qa check (in-process): {check * 1000:.0f} ms ({check / load:.2f}x Index.load)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
