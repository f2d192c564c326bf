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
What it does not do: change the default index (it is built only if missing; SQuAD files get their
own cached paragraph index, see qa.eval_data), tune anything, or call an LLM.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

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

THRESHOLDS = tuple(round(0.20 + 0.02 * i, 2) for i in range(26))  # 0.20 .. 0.70


# ---- one question ----
@dataclass
class QResult:
    id: str
    question: str
    unanswerable: bool
    sources: list[str]
    ranked: list[list[str]]  # doc_ids per retrieval rank (the passage's own, then its also_in)
    answer: str  # the answer text with the threshold removed (see `abstained` for the live outcome)
    short_answer: str | None
    confidence: float
    no_answer: bool  # abstained even with the threshold removed (or an error)
    hit_text: bool  # a gold answer appears in the (unthresholded) answer text
    cited_docs: list[str]
    citations_ok: int
    citations_total: int
    latency_ms: float
    error: str = ""
    abstained: bool = field(default=False)  # at the live threshold

    def answered_at(self, threshold: float) -> bool:
        return not self.no_answer and self.confidence >= threshold


def evaluate_question(assistant, q: LabelledQuestion, k: int, threshold: float) -> QResult:
    t0 = time.perf_counter()
    try:
        ans = assistant.ask(q.question, k=k)
    except QAError as exc:
        return QResult(
            q.id,
            q.question,
            q.unanswerable,
            list(q.sources),
            [],
            "",
            None,
            0.0,
            True,
            False,
            [],
            0,
            0,
            (time.perf_counter() - t0) * 1000,
            f"{type(exc).__name__}: {exc}",
            True,
        )
    latency = (time.perf_counter() - t0) * 1000
    ranked = [[p.doc_id] + [d["doc_id"] for d in p.also_in] for p in assistant.retrieve(q.question, k=max(10, k))]
    ok = sum(_quote_ok(assistant, c) for c in ans.citations)
    res = QResult(
        q.id,
        q.question,
        q.unanswerable,
        list(q.sources),
        ranked,
        ans.text,
        ans.short_answer,
        float(ans.confidence),
        ans.abstained,
        not ans.abstained and answer_in_text(ans.text, q.answers),
        sorted({c.doc_id for c in ans.citations}),
        ok,
        len(ans.citations),
        latency,
    )
    res.abstained = not res.answered_at(threshold)
    return res


def _quote_ok(assistant, c) -> bool:
    try:
        return c.quote == assistant.document(c.doc_id).text[c.start : c.end]
    except KeyError:
        return False


# ---- the report ----
def summarize(results: list[QResult], questions: list[LabelledQuestion]) -> dict:
    gold = {q.id: q for q in questions}
    ans = [r for r in results if not r.unanswerable]
    with_src = [r for r in ans if r.sources]
    answered = [r for r in ans if not r.abstained]
    cites = sum(r.citations_total for r in results)
    p, rc, f = precision_recall_f1([r.abstained for r in results], [r.unanswerable for r in results])
    lat = [r.latency_ms for r in results if not r.error]
    return {
        "questions": len(results),
        "answerable": len(ans),
        "unanswerable": len(results) - len(ans),
        **{f"recall@{k}": mean(recall_at_k(r.ranked, r.sources, k) for r in with_src) for k in (1, 5, 10)},
        "mrr": mean(reciprocal_rank(r.ranked, r.sources) for r in with_src),
        "answer_hit": mean(not r.abstained and r.hit_text for r in ans),
        "em": mean(exact_match(None if r.abstained else r.short_answer, gold[r.id].answers) for r in ans),
        "f1": mean(f1_score(None if r.abstained else r.short_answer, gold[r.id].answers) for r in ans),
        "citation_validity": sum(r.citations_ok for r in results) / cites if cites else None,
        "citations": cites,
        "right_source": mean(not r.abstained and bool(set(r.cited_docs) & set(r.sources)) for r in with_src),
        "answered": len(answered) / len(ans) if ans else None,
        "abstain_precision": p,
        "abstain_recall": rc,
        "abstain_f1": f,
        "latency_p50_ms": percentile(lat, 50),
        "latency_p95_ms": percentile(lat, 95),
        "errors": sum(bool(r.error) for r in results),
    }


def abstention_curve(results: list[QResult], thresholds=THRESHOLDS) -> list[dict]:
    ans = [r for r in results if not r.unanswerable]
    una = [r for r in results if r.unanswerable]
    return [
        {
            "threshold": t,
            "answer_hit": mean(r.answered_at(t) and r.hit_text for r in ans),
            "abstain_recall": mean(not r.answered_at(t) for r in una),
            "answered": mean(r.answered_at(t) for r in ans),
        }
        for t in thresholds
    ]


def _fmt(value, pct: bool = True) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:.1f}%" if pct else f"{value:.1f}"


@dataclass
class EvalReport:
    name: str
    config: dict
    metrics: dict
    curve: list[dict]
    results: list[QResult]

    def to_dict(self, per_question: bool = True) -> dict:
        out = {"name": self.name, "config": self.config, "metrics": self.metrics, "curve": self.curve}
        return out | ({"results": [asdict(r) for r in self.results]} if per_question else {})

    def format(self) -> str:
        m, c = self.metrics, self.config
        lines = [
            f"{self.name}: {m['questions']} questions ({m['answerable']} answerable, "
            f"{m['unanswerable']} unanswerable) | fusion={c['fusion']} k={c['k']} "
            f"threshold={c['threshold']} model={c['model']}",
            "retrieval   "
            + "  ".join(f"{key} {_fmt(m[key])}" for key in ("recall@1", "recall@5", "recall@10"))
            + f"  MRR {'n/a' if m['mrr'] is None else format(m['mrr'], '.3f')}",
            f"answers     hit {_fmt(m['answer_hit'])}  EM {_fmt(m['em'])}  F1 {_fmt(m['f1'])}  "
            f"right-source {_fmt(m['right_source'])}  answered {_fmt(m['answered'])}",
            f"citations   valid {_fmt(m['citation_validity'])} of {m['citations']}",
            f"abstention  P {_fmt(m['abstain_precision'])}  R {_fmt(m['abstain_recall'])}  F1 {_fmt(m['abstain_f1'])}",
            f"latency     ask p50 {_fmt(m['latency_p50_ms'], False)} ms  p95 {_fmt(m['latency_p95_ms'], False)} ms"
            + (f"  ({m['errors']} errors)" if m["errors"] else ""),
            "abstention curve, % (hit = answerable answered with gold in text; abstR = unanswerable abstained)"
            + ("" if c["curve_exact"] else " [below the live threshold: lower bound]"),
        ]
        missed = [r.id for r in self.results if not r.unanswerable and (r.abstained or not r.hit_text)]
        wrong = [r.id for r in self.results if r.unanswerable and not r.abstained]
        for label, ids in (("missed (answerable, no hit)", missed), ("answered but unanswerable", wrong)):
            if ids:
                lines.append(f"{label}: " + " ".join(ids[:15]) + (f" ... (+{len(ids) - 15})" if len(ids) > 15 else ""))
        for lo in range(0, len(self.curve), 13):
            block = self.curve[lo : lo + 13]
            lines.append("  thr   " + " ".join(f"{p['threshold']:5.2f}" for p in block))
            lines.append("  hit   " + " ".join(f"{_fmt(p['answer_hit'])[:-1]:>5}" for p in block))
            lines.append("  abstR " + " ".join(f"{_fmt(p['abstain_recall'])[:-1]:>5}" for p in block))
        return "\n".join(lines)


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
    threshold = settings.abstain_below
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
