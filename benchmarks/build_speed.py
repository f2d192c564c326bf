"""Index build speed: chunks/s of a full build and of a no-change rebuild, against a torch baseline.

For the default corpus and a synthetic corpus (benchmarks/synthetic.py; --synthetic N, default 2000,
--quick = 200, --synthetic 0 skips it) this builds a fresh index with `build_index(full=True)` in a
temp dir with the configured model spec (default: QA_ENCODER's variant, onnx-int8, and
QA_SENTENCE_VECTORS' method, standalone), then rebuilds with nothing changed (which must not load the encoder). Measured in
the same process after a warm-up, over the chunk texts of that index:
  * baseline: plain sentence-transformers (torch) `encode` with its defaults, the way chunks were
    encoded before; the full build's chunks/s is printed as a ratio of it (goal >= 1.5x);
  * the build's encoder alone (`encode` of the same chunks): its speed against the baseline.
Loading files counts as build time (it is part of every real build). A script, not a test; nothing is
kept on disk. Timings on a shared machine are noisy: compare ratios from one run, not across runs.

--lee N also builds N articles of real news sentences drawn from gensim's Lee corpus and projects the
time of 4,000 (goal <= 12 minutes on 2 cores).

    python benchmarks/build_speed.py [--quick | --synthetic N] [--lee N] [--model SPEC]
        [--sentences standalone|late-pooled|sentence-mean] [--baseline-sample K] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import REPO, lee_corpus, synthetic_corpus  # noqa: E402

from qa import config, vectors  # noqa: E402
from qa.build import build_index  # noqa: E402
from qa.embedder import load_embedder  # noqa: E402
from qa.index import Index  # noqa: E402
from qa.model_info import split_spec  # noqa: E402


def _rate(fn, texts: list[str]) -> float:
    t0 = time.perf_counter()
    fn(texts)
    return len(texts) / (time.perf_counter() - t0)


def measure(name: str, corpus_dir: Path, spec: str, encoder, torch_model, method: str,
            sample: int = 0) -> dict:
    with tempfile.TemporaryDirectory(prefix="qa-bench-index-") as tmp:
        t0 = time.perf_counter()
        full = build_index(corpus_dir, Path(tmp), spec, full=True, sentence_vectors=method)
        full_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = build_index(corpus_dir, Path(tmp), spec, sentence_vectors=method)
        again_s = time.perf_counter() - t0
        chunk_texts = [c.text for c in Index.load(Path(tmp)).chunks]
    if sample and len(chunk_texts) > sample:  # rates from an evenly spread sample: the baseline is slow
        chunk_texts = chunk_texts[::len(chunk_texts) // sample][:sample]
    base = _rate(lambda t: torch_model.encode(t), chunk_texts) if torch_model is not None else None
    own = _rate(lambda t: encoder.encode(t, batch_size=vectors.EMBED_BATCH), chunk_texts)
    row = {"corpus": name, "documents": full.documents, "chunks": full.chunks, "texts_embedded": full.embedded,
           "full_s": full_s, "full_chunks_per_s": full.chunks / full_s,
           "rebuild_s": again_s, "rebuild_chunks_per_s": full.chunks / again_s,
           "rebuild_unchanged": again.unchanged, "baseline_chunks_per_s": base, "encoder_chunks_per_s": own}
    row["rebuild_speedup"] = full_s / again_s
    row["ratio_vs_baseline"] = row["full_chunks_per_s"] / base if base else None
    row["encoder_vs_baseline"] = own / base if base else None
    return row


def format_row(r: dict) -> str:
    base = (f"baseline (plain torch ST encode of the chunks) {r['baseline_chunks_per_s']:.1f} chunks/s -> "
            f"full build = {r['ratio_vs_baseline']:.2f}x baseline (goal >= 1.5x)\n"
            f"  encoder alone  {r['encoder_chunks_per_s']:.1f} chunks/s = {r['encoder_vs_baseline']:.2f}x baseline"
            if r["baseline_chunks_per_s"] else "baseline: n/a for this embedder")
    return (f"[{r['corpus']}] {r['documents']} docs, {r['chunks']} chunks, {r['texts_embedded']} texts given vectors\n"
            f"  full build     {r['full_s']:8.2f} s  {r['full_chunks_per_s']:9.1f} chunks/s\n"
            f"  no-change      {r['rebuild_s']:8.2f} s  {r['rebuild_chunks_per_s']:9.1f} chunks/s "
            f"(unchanged={r['rebuild_unchanged']}; {r['rebuild_speedup']:.1f}x faster than full)\n  {base}"
            + (f"\n  projected full build of 4,000 such articles: {r['projected_4000_s'] / 60:.1f} min (goal <= 12)"
               if "projected_4000_s" in r else ""))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=2000, help="synthetic articles (0: skip)")
    parser.add_argument("--quick", action="store_true", help="synthetic corpus of 200 articles")
    parser.add_argument("--model", default=config.settings().model, help="[VARIANT:]MODEL")
    parser.add_argument("--sentences", choices=("standalone", "late-pooled", "sentence-mean"),
                        default=config.settings().sentence_vectors,
                        help="how sentence and chunk vectors are made (default: QA_SENTENCE_VECTORS)")
    parser.add_argument("--lee", type=int, default=0, metavar="N",
                        help="also build N articles drawn from the Lee news corpus (4000 for the issue's goal)")
    parser.add_argument("--baseline-sample", type=int, default=0, metavar="K",
                        help="measure the encoders' rates on K evenly spread chunks (0: all)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    n = 200 if args.quick else args.synthetic
    variant, model = split_spec(args.model)
    encoder = load_embedder(f"{variant}:{model}" if variant != "fake" else model)
    torch_model = getattr(load_embedder(f"torch:{model}"), "model", None) if variant != "fake" else None
    for warm in (encoder.encode, getattr(torch_model, "encode", None)):
        if warm:
            warm(["warm-up sentence"] * 8)  # model load and first-call costs stay out of the timings
    spec = encoder.spec
    run = dict(spec=spec, encoder=encoder, torch_model=torch_model, method=args.sentences,
               sample=args.baseline_sample)
    rows = [measure("default corpus", REPO / "corpus", **run)]
    if n:
        with synthetic_corpus(n) as corpus_dir:
            rows.append(measure(f"synthetic {n}", corpus_dir, **run))
    if args.lee:
        with lee_corpus(args.lee) as corpus_dir:
            rows.append(measure(f"Lee-drawn news {args.lee}", corpus_dir, **run))
            rows[-1]["projected_4000_s"] = rows[-1]["full_s"] * 4000 / args.lee
    print(json.dumps(rows, indent=1) if args.json else
          f"model {encoder.name}, encoder {encoder.encoder}, sentence vectors {args.sentences}\n"
          + "\n".join(format_row(r) for r in rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
