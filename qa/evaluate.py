"""`qa eval`: score retrieval, answers, citations, abstention and latency on labelled questions.

What it does: asks every question once (`Assistant.ask`, timed) and retrieves once more with k=10,
then reports recall@1/5/10 and MRR of the gold sources (`also_in` copies count), answer hit rate,
SQuAD-normalised short-answer EM/F1, citation validity, right-source rate, abstention
precision/recall/F1 (positive class = unanswerable) and ask latency p50/p95. Each answer carries
its `confidence`, so an abstention curve over thresholds is computed by re-applying each threshold
to the stored confidences. To know the answer text of questions the live threshold would abstain
on, ask() runs with a copy of its settings whose `abstain_below` is -inf, and the live threshold is re-applied
afterwards (every metric reports the live threshold); an Assistant without settings is asked
as it is, and the curve below its threshold is then a lower bound (the report says so).
The metrics and the report's text and JSON are qa.eval_report's.
What it does not do: change the default index (it is built only if missing; SQuAD files get their
own cached paragraph index, see qa.eval_data), tune anything, or call an LLM.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

from .abstention import live_threshold
from .errors import QAError
from .eval_data import (  # noqa: F401
    EvalSet,
    LabelledQuestion,
    answer_in_text,
    ensure_squad_index,
    exact_match,
    f1_score,
    load_eval_set,
    mean,
    normalize_answer,
    percentile,
    precision_recall_f1,
    recall_at_k,
    reciprocal_rank,
)
from .eval_report import THRESHOLDS, EvalReport, QResult, abstention_curve, summarize


# ---- one question ----
def evaluate_question(assistant, q: LabelledQuestion, k: int, threshold: float) -> QResult:
    t0 = time.perf_counter()
    try:
        ans = assistant.ask(q.question, k=k)
    except QAError as exc:
        error = f"{type(exc).__name__}: {exc}"
        return _result(
            q,
            ranked=[],
            answer="",
            short_answer=None,
            confidence=0.0,
            no_answer=True,
            hit_text=False,
            cited_docs=[],
            citations_ok=0,
            citations_total=0,
            latency_ms=(time.perf_counter() - t0) * 1000,
            error=error,
            abstained=True,
        )
    latency = (time.perf_counter() - t0) * 1000
    ranked = [[p.doc_id] + [d["doc_id"] for d in p.also_in] for p in assistant.retrieve(q.question, k=max(10, k))]
    ok = sum(_quote_ok(assistant, c) for c in ans.citations)
    res = _result(
        q,
        ranked=ranked,
        answer=ans.text,
        short_answer=ans.short_answer,
        confidence=float(ans.confidence),
        no_answer=ans.abstained,
        hit_text=not ans.abstained and answer_in_text(ans.text, q.answers),
        cited_docs=sorted({c.doc_id for c in ans.citations}),
        citations_ok=ok,
        citations_total=len(ans.citations),
        latency_ms=latency,
        features=dict(ans.features),
    )
    res.abstained = not res.answered_at(threshold)
    return res


def _result(q: LabelledQuestion, **outcome: Any) -> QResult:
    return QResult(
        id=q.id, question=q.question, unanswerable=q.unanswerable, sources=list(q.sources), type=q.type, **outcome
    )


def _quote_ok(assistant, c) -> bool:
    try:
        return c.quote == assistant.document(c.doc_id).text[c.start : c.end]
    except KeyError:
        return False


# ---- running ----
@contextlib.contextmanager
def _unthresholded(assistant):
    """While active, ask() answers even below the abstention threshold; yields whether that worked."""
    live = getattr(assistant, "settings", None)
    if live is None:
        yield False
        return
    assistant.settings = dataclasses.replace(live, abstain_below=float("-inf"))
    try:
        yield True
    finally:
        assistant.settings = live


def _assistant(eval_set: EvalSet, index_dir, model, settings):
    from .api import Assistant

    if eval_set.documents is None:
        return Assistant.load(index_dir, model=model, build_if_missing=True, settings=settings)
    from . import config
    from .embedder import load_embedder

    embedder = load_embedder(model or config.settings().model)
    target, _ = ensure_squad_index(eval_set, embedder, index_dir)
    assistant = Assistant.load(target, model=embedder, settings=settings)
    assistant.index.check_embedder(embedder)  # Assistant.load does not check an Embedder object
    return assistant


def run_eval(
    path,
    k: int = 5,
    index_dir=None,
    model=None,
    fusion: str | None = None,
    thresholds=None,
    limit: int | None = None,
    settings=None,
) -> EvalReport:
    """Evaluate the questions in `path` (JSONL or SQuAD 2.0 JSON); see the module docstring."""
    from tqdm import tqdm

    from . import config

    settings = settings or config.settings()
    if fusion is not None:
        settings = dataclasses.replace(settings, fusion=fusion)
    eval_set = load_eval_set(path)
    questions = eval_set.questions[:limit] if limit else eval_set.questions
    assistant = _assistant(eval_set, index_dir, model, settings)
    threshold = live_threshold(settings.abstain, settings.abstain_below)
    assistant.ask(questions[0].question, k=k)  # warm-up: loads the embedder outside the timings
    with _unthresholded(assistant) as exact:
        results = [
            evaluate_question(assistant, q, k, threshold)
            for q in tqdm(questions, desc="Evaluating", unit="q", disable=None, leave=False)
        ]
    cfg = {
        "path": str(path),
        "kind": eval_set.kind,
        "fusion": settings.fusion,
        "k": k,
        "abstain": settings.abstain,
        "threshold": threshold,
        "model": assistant.embedder.name,
        "index": str(assistant.index.path),
        "curve_exact": exact,
    }
    return EvalReport(
        eval_set.name, cfg, summarize(results, questions), abstention_curve(results, thresholds or THRESHOLDS), results
    )


def add_arguments(parser: argparse.ArgumentParser, settings_flags: bool = True) -> argparse.ArgumentParser:
    parser.add_argument("path", metavar="FILE", help="labelled questions: JSONL (dev format) or SQuAD 2.0 JSON")
    parser.add_argument("--k", type=int, default=5, help="passages per answer (default 5)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    if settings_flags:  # --index, --model, --fusion, ... from qa.config (qa.cli adds them to `qa eval`)
        from .cli import add_setting_flags

        add_setting_flags(parser, "eval")
    return parser


def main(args=None) -> int:
    """Entry point for `qa eval`: `args` is an argv list or an argparse.Namespace."""
    if args is None or isinstance(args, (list, tuple)):
        args = add_arguments(argparse.ArgumentParser(prog="qa eval", description=__doc__.splitlines()[0])).parse_args(
            args
        )
    from .cli import settings_from_args

    settings = settings_from_args(args)
    # only an explicit --index: a SQuAD file otherwise gets its own cached index (qa.eval_data)
    report = run_eval(
        Path(args.path), k=args.k, index_dir=args.index_dir, model=args.model, limit=args.limit, settings=settings
    )
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1) if args.json else report.format())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
