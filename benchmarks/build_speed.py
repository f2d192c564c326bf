"""Index build speed: chunks/s of a full build and of a no-change rebuild, against a baseline.

For the default corpus and a synthetic corpus (benchmarks/synthetic.py; --synthetic N, default 2000,
--quick = 200, --synthetic 0 skips it) this builds a fresh index with `build_index(full=True)` in a
temp dir, then rebuilds with nothing changed. The baseline, measured in the same process after a
warm-up, is the plain sentence-transformers `encode` (its defaults) over the same chunk texts: our
full-build chunks/s is printed as a ratio of it (goal for later: >= 2.5x). Loading files counts as
build time (it is part of every real build). A script, not a test; nothing is kept on disk.

    python benchmarks/build_speed.py [--quick | --synthetic N] [--model SPEC] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import REPO, synthetic_corpus  # noqa: E402

from qa import config  # noqa: E402
from qa.build import build_index  # noqa: E402
from qa.embedder import load_embedder  # noqa: E402
from qa.index import Index  # noqa: E402


def baseline_chunks_per_s(embedder, texts: list[str]) -> float | None:
    """Plain sentence-transformers encode over `texts`; None for an embedder without a torch model."""
    model = getattr(embedder, "model", None)
    if model is None:
        return None
    t0 = time.perf_counter()
    model.encode(texts)
    return len(texts) / (time.perf_counter() - t0)


def measure(name: str, corpus_dir: Path, embedder) -> dict:
    with tempfile.TemporaryDirectory(prefix="qa-bench-index-") as tmp:
        t0 = time.perf_counter()
        full = build_index(corpus_dir, Path(tmp), embedder, full=True)
        full_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = build_index(corpus_dir, Path(tmp), embedder)
        again_s = time.perf_counter() - t0
        chunk_texts = [c.text for c in Index.load(Path(tmp)).chunks]
    base = baseline_chunks_per_s(embedder, chunk_texts)
    row = {"corpus": name, "documents": full.documents, "chunks": full.chunks, "texts_embedded": full.embedded,
           "full_s": full_s, "full_chunks_per_s": full.chunks / full_s,
           "rebuild_s": again_s, "rebuild_chunks_per_s": full.chunks / again_s,
           "rebuild_unchanged": again.unchanged, "baseline_chunks_per_s": base}
    row["rebuild_speedup"] = full_s / again_s
    row["ratio_vs_baseline"] = row["full_chunks_per_s"] / base if base else None
    return row


def format_row(r: dict) -> str:
    base = (f"baseline (plain ST encode of the chunks) {r['baseline_chunks_per_s']:.1f} chunks/s -> "
            f"full build = {r['ratio_vs_baseline']:.2f}x baseline (goal >= 2.5x)"
            if r["baseline_chunks_per_s"] else "baseline: n/a for this embedder")
    return (f"[{r['corpus']}] {r['documents']} docs, {r['chunks']} chunks, {r['texts_embedded']} texts embedded\n"
            f"  full build     {r['full_s']:8.2f} s  {r['full_chunks_per_s']:9.1f} chunks/s\n"
            f"  no-change      {r['rebuild_s']:8.2f} s  {r['rebuild_chunks_per_s']:9.1f} chunks/s "
            f"(unchanged={r['rebuild_unchanged']}; {r['rebuild_speedup']:.1f}x faster than full)\n  {base}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=2000, help="synthetic articles (0: skip)")
    parser.add_argument("--quick", action="store_true", help="synthetic corpus of 200 articles")
    parser.add_argument("--model", default=config.settings().model)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    n = 200 if args.quick else args.synthetic
    embedder = load_embedder(args.model)
    embedder.encode(["warm-up sentence"] * 8)  # model load and first-call costs stay out of the timings
    rows = [measure("default corpus", REPO / "corpus", embedder)]
    if n:
        with synthetic_corpus(n) as corpus_dir:
            rows.append(measure(f"synthetic {n}", corpus_dir, embedder))
    print(json.dumps(rows, indent=1) if args.json else
          f"model {embedder.name}\n" + "\n".join(format_row(r) for r in rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
