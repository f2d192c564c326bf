"""Encoder variants side by side: texts/s and cosine agreement of onnx-int8 and onnx (fp32) with torch.

Over the default corpus's chunks and sentences (chunked as a build does), each variant encodes the same
texts `--rounds` times, interleaved with the torch baseline so that a busy machine slows all alike;
printed: the median texts/s, its ratio to torch in the same round, and the cosine of each variant's
vectors with torch's (min / mean). Also one question at a time (the query path). A script, not a test.

    python benchmarks/encoder_speed.py [--rounds 3] [--model PKG_OR_DIR] [--json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa import chunking, config  # noqa: E402
from qa.embedder import load_embedder  # noqa: E402
from qa.loader import load_corpus  # noqa: E402
from qa.model_info import split_spec  # noqa: E402

VARIANTS = ("torch", "onnx", "onnx-int8")
QUESTIONS = ["How many Patriot missiles are allies procuring?", "When did the Baltic states regain independence?",
             "Who is Russia's defence minister?", "Which Russian exclave borders Lithuania?"]


def texts_of_corpus(counter) -> dict[str, list[str]]:
    documents, _ = load_corpus(REPO / "corpus")
    chunks = [c for d in documents for c in chunking.chunk_document(d, counter)]
    sentences = sorted({c.text[s - c.start:e - c.start] for c in chunks for s, e in c.sentences})
    return {"chunks": [c.text for c in chunks], "sentences": sentences}


def _timed(fn, arg):
    t0 = time.perf_counter()
    out = fn(arg)
    return time.perf_counter() - t0, out


def measure(embedders: dict, texts: list[str], rounds: int, one_by_one: bool = False) -> dict:
    rates = {v: [] for v in embedders}
    vectors = {}
    for _ in range(rounds):
        for variant, emb in embedders.items():
            if one_by_one:
                seconds, vecs = _timed(lambda ts: [emb.encode([t])[0] for t in ts], texts)
                vectors[variant] = np.stack(vecs)
            else:
                seconds, vectors[variant] = _timed(emb.encode, texts)
            rates[variant].append(len(texts) / seconds)
    ref = vectors["torch"]
    return {v: {"texts_per_s": statistics.median(r),
                "vs_torch": statistics.median(a / b for a, b in zip(r, rates["torch"])),
                "cos_min": float((vectors[v] * ref).sum(axis=1).min()),
                "cos_mean": float((vectors[v] * ref).sum(axis=1).mean())} for v, r in rates.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", default=split_spec(config.settings().model)[1])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    embedders = {v: load_embedder(f"{v}:{args.model}") for v in VARIANTS}
    for emb in embedders.values():
        emb.encode(["warm-up sentence"] * 8)
        emb.encode(["warm-up question"])
    sets = texts_of_corpus(embedders["onnx"].count_tokens)
    rows = {name: measure(embedders, texts, args.rounds) for name, texts in sets.items()}
    rows["questions, one at a time"] = measure(embedders, QUESTIONS * 5, args.rounds, one_by_one=True)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    for name, row in rows.items():
        print(f"[{name}]")
        for v, r in row.items():
            print(f"  {v:10s} {r['texts_per_s']:8.1f} texts/s  {r['vs_torch']:5.2f}x torch  "
                  f"cosine with torch min {r['cos_min']:.4f} mean {r['cos_mean']:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
