"""Labelled question sets for `qa eval`: reading them, and the index each one is evaluated against.

Two formats, told apart by content (not by file name):
  * JSONL, one question per line: {"id", "question", "answers": [...], "sources": [doc_id, ...],
    "unanswerable": true?} - evaluated against the default index (settings, or --index), unless
    its rows carry `"corpus": "lee"` (see qa.eval_corpora): then against an index of that public
    corpus, built once into the same cache as SQuAD's, keyed by model fingerprint and corpus hash.
  * SQuAD 2.0 JSON ({"version", "data": [{"title", "paragraphs": [{"context", "qas": [...]}]}]}) -
    every paragraph becomes a Document ("Normans#p3", 0-based paragraph number), the gold source
    of a question is the paragraph that holds it, and the index is built once into a cache directory
    keyed by the model fingerprint and the file's hash, so repeated evaluations do not re-embed.
Also the metric functions `qa eval` scores with (pure: SQuAD EM/F1, answer-in-text, recall@k,
reciprocal rank, precision/recall/F1, percentiles). It does not run questions (see qa.evaluate)
and never edits the default index.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import string
from dataclasses import dataclass, field
from pathlib import Path

from . import config
from .errors import QAError
from .eval_corpora import corpus_hash, corpus_of_rows, load_corpus_documents
from .types import Document

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation)


@dataclass(frozen=True)
class LabelledQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    sources: tuple[str, ...]
    unanswerable: bool = False
    type: str = ""  # the row's own question type label ("who", "how-many", ...), if it has one


@dataclass
class EvalSet:
    name: str
    questions: list[LabelledQuestion]
    documents: list[Document] | None = None  # None: evaluate against the default index
    file_hash: str = ""
    kind: str = "jsonl"  # or "squad"
    extra: dict = field(default_factory=dict)


def load_eval_set(path: Path | str) -> EvalSet:
    """Read a JSONL question file or a SQuAD 2.0 JSON file (detected by its content)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise QAError(f"cannot read question file {path}: {exc.strerror or exc}") from exc
    text = raw.decode("utf-8-sig")
    digest = hashlib.sha256(raw).hexdigest()
    data = _whole_json(text)
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        questions, documents = parse_squad(data)
        return EvalSet(path.name, questions, documents, digest, "squad")
    questions = parse_jsonl(text, path.name)
    corpus = corpus_of_rows(text, path.name)
    if corpus:  # the index is keyed by the corpus, so every file asked against it shares one index
        documents = load_corpus_documents(corpus)
        return EvalSet(path.name, questions, documents, corpus_hash(documents), "jsonl", {"corpus": corpus})
    return EvalSet(path.name, questions, None, digest, "jsonl")


def _whole_json(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None  # JSONL (several lines) is not one JSON value


def parse_jsonl(text: str, name: str = "<questions>") -> list[LabelledQuestion]:
    questions = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            answers = tuple(str(a) for a in row.get("answers") or ())
            unanswerable = bool(row.get("unanswerable")) or not answers
            questions.append(
                LabelledQuestion(
                    str(row.get("id", lineno)),
                    str(row["question"]),
                    answers,
                    tuple(str(s) for s in row.get("sources") or ()),
                    unanswerable,
                    str(row.get("type") or ""),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise QAError(f"{name} line {lineno}: not a labelled question ({exc})") from exc
    if not questions:
        raise QAError(f"{name}: no questions")
    return questions


def parse_squad(data: dict) -> tuple[list[LabelledQuestion], list[Document]]:
    """Questions and one Document per paragraph from a SQuAD 2.0 JSON object."""
    questions, documents = [], []
    for article in data["data"]:
        title = str(article.get("title", "untitled"))
        for p_no, para in enumerate(article.get("paragraphs", ())):
            doc_id = f"{title}#p{p_no}"
            context = para["context"]
            documents.append(
                Document(
                    doc_id=doc_id,
                    title=title.replace("_", " "),
                    date=None,
                    source=f"squad:{doc_id}",
                    text=context,
                    content_hash=hashlib.sha256(context.encode()).hexdigest(),
                    path=doc_id,
                )
            )
            for qa in para.get("qas", ()):
                answers = tuple(dict.fromkeys(a["text"] for a in qa.get("answers") or ()))
                impossible = bool(qa.get("is_impossible")) or not answers
                questions.append(
                    LabelledQuestion(
                        str(qa["id"]),
                        qa["question"],
                        () if impossible else answers,
                        () if impossible else (doc_id,),
                        impossible,
                    )
                )
    return questions, documents


def squad_index_dir(eval_set: EvalSet, embedder, base: Path | None = None) -> Path:
    """Where this set's paragraphs are indexed: one directory per (model, file or named corpus) pair."""
    base = Path(base) if base else config.settings().cache_dir / "eval"
    name = eval_set.extra.get("corpus") or Path(eval_set.name).stem
    return base / f"{name}-{embedder.fingerprint[:12]}-{eval_set.file_hash[:12]}"


def ensure_squad_index(eval_set: EvalSet, embedder, index_dir: Path | None = None):
    """Build (or reuse: an unchanged build is a no-op) the index of the set's paragraphs."""
    from .build import build_from_documents

    if eval_set.documents is None:  # a caller's bug: such a set is evaluated against the default index
        raise ValueError(f"{eval_set.name} has no documents of its own to index")
    target = Path(index_dir) if index_dir else squad_index_dir(eval_set, embedder)
    report = build_from_documents(eval_set.documents, target, embedder)
    return target, report


# ---- metrics (pure functions) ----
def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, drop punctuation and articles, collapse whitespace."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str | None, golds) -> float:
    if prediction is None or not golds:
        return 0.0
    return float(max(normalize_answer(prediction) == normalize_answer(g) for g in golds))


def _f1(pred_tokens: list[str], gold_tokens: list[str]) -> float:
    if not pred_tokens or not gold_tokens:
        return float(pred_tokens == gold_tokens)
    common = sum(min(pred_tokens.count(t), gold_tokens.count(t)) for t in set(pred_tokens))
    if common == 0:
        return 0.0
    precision, recall = common / len(pred_tokens), common / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def f1_score(prediction: str | None, golds) -> float:
    if prediction is None or not golds:
        return 0.0
    pred = normalize_answer(prediction).split()
    return max(_f1(pred, normalize_answer(g).split()) for g in golds)


def answer_in_text(text: str, golds) -> bool:
    """Any gold answer appears in `text` (case-insensitive, whitespace-normalised)."""
    haystack = " ".join(text.lower().split())
    return any(" ".join(g.lower().split()) in haystack for g in golds if g.strip())


def recall_at_k(ranked: list[list[str]], gold, k: int) -> float:
    """1.0 if a gold doc_id is among the doc_ids of the first `k` ranks (each rank may hold several)."""
    gold = set(gold)
    return float(any(gold & set(ids) for ids in ranked[:k]))


def reciprocal_rank(ranked: list[list[str]], gold) -> float:
    gold = set(gold)
    return next((1.0 / r for r, ids in enumerate(ranked, start=1) if gold & set(ids)), 0.0)


def precision_recall_f1(predicted: list[bool], actual: list[bool]) -> tuple:
    """(precision, recall, f1) of the positive class; None where the denominator is empty."""
    tp = sum(p and a for p, a in zip(predicted, actual, strict=True))
    n_pred, n_true = sum(predicted), sum(actual)
    precision = tp / n_pred if n_pred else None
    recall = tp / n_true if n_true else None
    if precision is None or recall is None:
        return precision, recall, None
    return precision, recall, (2 * precision * recall / (precision + recall) if tp else 0.0)


def percentile(values, q: float) -> float | None:
    """Linear-interpolation percentile (numpy's default method); None for no values."""
    data = sorted(values)
    if not data:
        return None
    pos = (len(data) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def mean(values) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None
