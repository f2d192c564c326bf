"""Query latency: p50/p95 of `Assistant.ask` after warm-up, against the bare encoder call.

Indexes the default corpus and a synthetic corpus (benchmarks/synthetic.py; --synthetic N, default
2000, --quick = 200, 0 skips it) into cache dirs under settings().cache_dir/bench (an unchanged
rebuild is a no-op, so repeated runs do not re-embed), warms up, then times every question of the
labelled files (tests/data/news_questions.jsonl + the shared dev set when present) for --rounds
rounds. The baseline, in the same process, is `embedder.encode([q])` alone: ask/encode shows the
overhead beyond the one encoder call. `retrieve` is timed too. Goals: ask p50 <= 30 ms, p95 <= 60 ms.
A script, not a test.

    python benchmarks/query_latency.py [--quick | --synthetic N] [--rounds 3] [--fusion weighted|rrf]
                                       [--torch-threads N] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import REPO, synthetic_corpus  # noqa: E402

from qa import Assistant, config, retrieve  # noqa: E402
from qa.build import build_index  # noqa: E402
from qa.embedder import load_embedder  # noqa: E402
from qa.eval_data import load_eval_set, percentile  # noqa: E402

QUESTION_FILES = [REPO / "tests" / "data" / "news_questions.jsonl", REPO.parent / "shared" / "dev_questions.jsonl"]


def questions() -> list[str]:
    return [q.question for f in QUESTION_FILES if f.exists() for q in load_eval_set(f).questions]


def _timed(fn, *args, **kwargs) -> float:
    t0 = time.perf_counter()
    fn(*args, **kwargs)
    return (time.perf_counter() - t0) * 1000


def measure(name: str, corpus_dir: Path, embedder, qs: list[str], rounds: int, fusion: str) -> dict:
    index_dir = config.settings().cache_dir / "bench" / f"{name.replace(' ', '-')}-{embedder.fingerprint[:12]}"
    build = build_index(corpus_dir, index_dir, embedder)
    assistant = Assistant.load(index_dir, model=embedder)
    assistant.fusion = fusion
    for q in qs[:5]:
        assistant.ask(q)  # warm-up (caches, first-call costs)
    ask, enc, ret = [], [], []
    for _ in range(rounds):
        for q in qs:
            enc.append(_timed(embedder.encode, [q]))
            ret.append(_timed(assistant.retrieve, q))
            ask.append(_timed(assistant.ask, q))
    row = {"corpus": name, "documents": build.documents, "chunks": build.chunks, "queries": len(ask)}
    for key, values in (("ask", ask), ("retrieve", ret), ("encode", enc)):
        row[f"{key}_p50_ms"], row[f"{key}_p95_ms"] = percentile(values, 50), percentile(values, 95)
    row["ask_over_encode_p50"] = row["ask_p50_ms"] / row["encode_p50_ms"]
    row["ask_over_encode_p95"] = row["ask_p95_ms"] / row["encode_p95_ms"]
    return row


def format_row(r: dict) -> str:
    ok = "meets" if r["ask_p50_ms"] <= 30 and r["ask_p95_ms"] <= 60 else "misses"
    return (f"[{r['corpus']}] {r['documents']} docs, {r['chunks']} chunks, {r['queries']} timed asks\n"
            f"  ask       p50 {r['ask_p50_ms']:7.1f} ms  p95 {r['ask_p95_ms']:7.1f} ms  ({ok} p50<=30 / p95<=60)\n"
            f"  retrieve  p50 {r['retrieve_p50_ms']:7.1f} ms  p95 {r['retrieve_p95_ms']:7.1f} ms\n"
            f"  encode    p50 {r['encode_p50_ms']:7.1f} ms  p95 {r['encode_p95_ms']:7.1f} ms  (baseline)\n"
            f"  ask/encode  p50 {r['ask_over_encode_p50']:.2f}x  p95 {r['ask_over_encode_p95']:.2f}x")


def _threads() -> int | str:
    try:
        import torch

        return torch.get_num_threads()
    except ImportError:
        return "n/a"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=2000, help="synthetic articles (0: skip)")
    parser.add_argument("--quick", action="store_true", help="synthetic corpus of 200 articles")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fusion", choices=("weighted", "rrf"), default=retrieve.DEFAULT_FUSION)
    parser.add_argument("--model", default=config.settings().model)
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch.set_num_threads(N) before timing (default: torch's own choice)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    n = 200 if args.quick else args.synthetic
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
    embedder, qs = load_embedder(args.model), questions()
    embedder.encode(qs[:8])
    rows = [measure("default corpus", REPO / "corpus", embedder, qs, args.rounds, args.fusion)]
    if n:
        with synthetic_corpus(n) as corpus_dir:
            rows.append(measure(f"synthetic {n}", corpus_dir, embedder, qs, args.rounds, args.fusion))
    print(json.dumps(rows, indent=1) if args.json else
          f"model {embedder.name}, fusion {args.fusion}, torch threads {_threads()}\n" + "\n".join(format_row(r) for r in rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
