"""The `qa eval` report: one question's result (`QResult`), the summary metrics, the abstention curve,
and the report as text or JSON (`EvalReport`).

It only computes and formats: qa.evaluate asks the questions; the metric functions (recall@k, MRR,
SQuAD EM/F1, precision/recall/F1) live in qa.eval_data. Every metric is at the live threshold; the
curve re-applies each threshold to the stored confidences.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .eval_data import (
    LabelledQuestion,
    exact_match,
    f1_score,
    mean,
    percentile,
    precision_recall_f1,
    recall_at_k,
    reciprocal_rank,
)

THRESHOLDS = tuple(round(0.20 + 0.02 * i, 2) for i in range(26))  # 0.20 .. 0.70


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
    features: dict = field(default_factory=dict)  # the abstain decision's evidence (qa.abstention), for refitting
    type: str = ""  # the question file's type label, if any (the report breaks figures down by it)

    def answered_at(self, threshold: float) -> bool:
        return not self.no_answer and self.confidence >= threshold


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
        "by_type": by_type(results),
    }


def by_type(results: list[QResult]) -> dict:
    """Per question-type label (rows that carry one): answerable, hit, wrongly abstained, unanswerable,
    abstained, as counts, so misses can be told by kind without reading any question."""
    out: dict[str, dict[str, int]] = {}
    for r in results:
        if not r.type:
            continue
        row = out.setdefault(r.type, dict.fromkeys(_TYPE_COLUMNS, 0))
        if r.unanswerable:
            row["unanswerable"] += 1
            row["abstained"] += r.abstained
        else:
            row["answerable"] += 1
            row["hit"] += not r.abstained and r.hit_text
            row["wrongly_abstained"] += r.abstained
    return dict(sorted(out.items()))


_TYPE_COLUMNS = ("answerable", "hit", "wrongly_abstained", "unanswerable", "abstained")


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


def _type_cell(row: dict) -> str:
    """ "hit/answerable (wrongly abstained) abstained/unanswerable", e.g. "9/12 (1) 3/4"."""
    return f"{row['hit']}/{row['answerable']} ({row['wrongly_abstained']}) {row['abstained']}/{row['unanswerable']}"


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
            f"abstain={c.get('abstain', 'rule')} threshold={c['threshold']} model={c['model']}",
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
        if m.get("by_type"):
            cells = "  ".join(f"{t} {_type_cell(row)}" for t, row in m["by_type"].items())
            lines.insert(-1, "by type     hit/answerable (wrongly abstained) abstained/unanswerable: " + cells)
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
