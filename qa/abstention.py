"""Answer or abstain: the evidence the extractive answerer has about its best sentence, and the decision.

What it does: `features` turns the answerer's scores for the best sentence (dense similarity, IDF-weighted
overlap, type fit, question names missing from its article, office conflict, year agreement), its margins
to the runner-up sentence and to the best sentence of another article, the retrieval score and how much of
the question its article covers into named numbers. `decide` compares either the hand-set confidence
(`rule`) or a logistic model's probability that the question is answerable (`model`, coefficients in
qa.abstention_model, fitted by tools/fit_abstention.py on labelled sets) with a threshold.
What it does not do: pick the sentence or the short answer (qa.answer), or fit anything at run time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import abstention_model, lexical, qtype

FEATURES = (
    "rule",  # the hand-set confidence (qa.answer.confidence)
    "dense",  # cosine similarity of the best sentence to the question
    "lex",  # IDF²-weighted share of the question's words in the sentence (and a little its neighbours)
    "fit",  # type fit of its answer candidate, 0..1
    "absent",  # how far the fit falls below qa.answer.WEAK_FIT (1: nothing of the asked-for kind)
    "missing",  # question names its article never mentions (at most 2)
    "conflict",  # it gives the office asked about to another owner
    "other_time",  # its article is dated another year than the question names
    "span",  # a short answer was found
    "margin",  # its ranking score minus the runner-up sentence's
    "doc_margin",  # its ranking score minus the best sentence's of any other article
    "passage",  # the fused retrieval score of its passage
    "passage_gap",  # the first passage's fused score minus the second's
    "article_recall",  # IDF²-weighted share of the question's words anywhere in its article
    "typed",  # share of the read sentences holding an answer of the asked-for kind (fit >= 0.6)
    "no_type",  # the question asks for no particular kind of answer ("why", "what did X say")
)


def collect(extractor, question: str, scored: list, passages: list, rule: float, absent: float) -> dict[str, float]:
    """The evidence about the best of `scored` (qa.answer.Scored, ranked) that the decision reads.
    `extractor` is qa.answer's Extractor (its index, IDF table and token caches); `rule` and `absent` are
    qa.answer's confidence and type-fit shortfall of the best sentence."""
    best, sent_doc = scored[0], extractor.index.sent_doc
    doc = sent_doc[best.row]
    others = [s.score for s in scored[1:] if sent_doc[s.row] != doc]
    scores = [p.score for p in passages]
    idf = {t: extractor.idf.get(t, extractor.default_idf) for t in set(lexical.tokenize(question))}
    total = sum(idf.values()) or 1.0
    holder = best.helper or best
    raw = {
        "rule": rule,
        "dense": best.dense,
        "lex": best.lex,
        "fit": best.fit,
        "absent": absent,
        "missing": min(best.missing, 2),
        "conflict": float(best.conflict),
        "other_time": float(best.when == "other"),
        "span": float(holder.span is not None),
        "margin": best.score - scored[1].score if len(scored) > 1 else 1.0,
        "doc_margin": best.score - others[0] if others else 1.0,
        "passage": scores[best.passage] if scores else 0.0,
        "passage_gap": scores[0] - scores[1] if len(scores) > 1 else 1.0,
        "article_recall": sum(v for t, v in idf.items() if t in extractor.article_tokens(doc)) / total,
        "typed": sum(s.fit >= 0.6 for s in scored) / len(scored),
        "no_type": float(qtype.question_type(question) == qtype.OTHER),
    }
    # rounded: they are dumped by `qa eval --json` and refitted from there
    return {name: round(float(raw[name]), 5) for name in FEATURES}


@dataclass(frozen=True)
class Model:
    """Logistic regression on standardised features: P(answered well) = σ(b + Σ w·(x − mean)/scale)."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float  # abstain below this probability (chosen on the training sets)

    def probability(self, feats: dict[str, float]) -> float:
        z = self.intercept + sum(
            w * (feats.get(n, 0.0) - m) / s
            for n, m, s, w in zip(self.names, self.mean, self.scale, self.coef, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def model_from(data: dict) -> Model:
    return Model(
        tuple(data["features"]),
        tuple(data["mean"]),
        tuple(data["scale"]),
        tuple(data["coef"]),
        float(data["intercept"]),
        float(data["threshold"]),
    )


MODEL = model_from(abstention_model.MODEL)


def live_threshold(method: str, abstain_below: float) -> float:
    """What `confidence` is compared with: `abstain_below` for `rule`; the model's own threshold for
    `model` (its confidence is a probability), except that -inf never abstains in either."""
    return MODEL.threshold if method == "model" and abstain_below != -math.inf else abstain_below


def confidence(feats: dict[str, float], method: str) -> float:
    return MODEL.probability(feats) if method == "model" else feats["rule"]
