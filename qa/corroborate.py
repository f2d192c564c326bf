"""Corroboration: sentences in other articles that report what the quoted sentence reports.

What it does: `corroborating_rows` takes the answer's sentence and returns up to CORROBORATE_MAX sentences
of other articles that are close to it in meaning and, when the answer has a short span, repeat its number
or name. It looks only at a bounded candidate set (qa.retrieve.similar_sentences), never at every
sentence. It does not score or choose the answer (qa.answer does).
"""

from __future__ import annotations

import re

from . import retrieve
from .index import Index

CORROBORATE_COSINE = 0.72  # another article's sentence this close (and agreeing on the span) corroborates
CORROBORATE_MAX = 3


def corroborating_rows(index: Index, row: int, span: tuple[int, int] | None) -> list[int]:
    """Sentences in other articles than `row`'s that report the same thing (and the same short answer, if
    any), at most one per article."""
    # a bounded candidate set (the chunks nearest the sentence), never a scan of every sentence
    rows, sims = retrieve.similar_sentences(index, row, 50)
    span_text = _norm(index.sentence_text(row)[span[0] : span[1]]) if span else None
    # articles compared by document key, not doc_id: no metadata read per candidate (at 1M chunks the
    # doc_id lookups were ~46 SQLite queries per answered question)
    out, docs = [], {index.document_key(row)}
    for other, sim in zip(rows.tolist(), sims.tolist(), strict=True):
        if sim < CORROBORATE_COSINE:
            break  # best first: the rest are further still
        doc = index.document_key(other)
        if doc in docs:
            continue
        if span_text and not _shares_number_or_name(span_text, _norm(index.sentence_text(other))):
            continue
        out.append(int(other))
        docs.add(doc)
        if len(out) == CORROBORATE_MAX:
            break
    return out


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _shares_number_or_name(span: str, other: str) -> bool:
    key = [w for w in span.split() if w.isdigit() or len(w) > 3] or span.split()
    return all(re.search(rf"\b{re.escape(w)}\b", other) for w in key)
