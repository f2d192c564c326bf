"""Grounded answering with a local model: prompt, stream, verify, then compose or fall back.

The model sees the retrieved passages numbered [1]..[k] (qa.llm.prompt); its tokens are passed to
`on_token` as they arrive; the finished text is checked sentence by sentence (qa.llm.verify).
Policy, applied the same way everywhere:
  * a sentence no passage supports is REMOVED from the answer (never shown with a warning mark),
    and the note says how many were removed;
  * markers naming no passage (e.g. [9] with 5 passages) are dropped;
  * kept sentences get fresh markers [1]..[m], one per distinct supporting sentence, whose
    Citation.quote is that sentence, a verbatim slice of the document;
  * if nothing supported remains, the extractive answer is returned (mode "extractive") with a note.
Model output is treated as plain text: HTML tags and markdown images/links are stripped before
checking, so nothing it names is ever rendered or fetched. It does not retrieve passages, load
models or choose the backend (qa.api and qa.llm.backends do).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import numpy as np

from ..types import Answer, Citation, Document, Passage
from .backends import LLMBackend
from .prompt import NOT_FOUND, build_prompt, stop_sequences
from .verify import ClaimCheck, check_answer

FALLBACK_NOTE = "The local model's answer had no claim supported by the articles; showing the extractive answer."
NOT_FOUND_NOTE = "The local model found no answer in the articles; showing the extractive answer."
NO_PASSAGES_NOTE = "No article passage matched the question, so the local model was not asked."

_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\]\n]*[^\d\s,;\-–\]][^\]\n]*)\]\([^)\n]*\)")  # [text](url), not a bare [n]
_TAG = re.compile(r"</?[A-Za-z_][^<>\n]{0,200}>|<\|[^|>\n]{0,40}\|>")
_URL = re.compile(r"\(?\b(?:https?|ftp|file|data|javascript):[^\s)]*\)?", re.I)  # never shown, never fetched


def clean_output(text: str) -> str:
    """Plain text only: no HTML tags, markdown images or links, URLs, or chat control tokens."""
    text = _IMAGE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(lambda m: m.group(1), text)
    return _URL.sub(" ", _TAG.sub(" ", text))


def generate(
    backend: LLMBackend, prompt, max_tokens: int, stop: list[str] | None, on_token: Callable[[str], None] | None
) -> str:
    """Stream the model's answer, forwarding each delta, and return the whole text."""
    parts: list[str] = []
    for delta in backend.stream(prompt, max_tokens, stop or None):
        parts.append(delta)
        if on_token is not None:
            on_token(delta)
    return "".join(parts)


def _with_markers(sentence: str, numbers: list[int]) -> str:
    """'It opened on Monday.' + [1, 2] -> 'It opened on Monday [1][2].'"""
    marks = "".join(f"[{n}]" for n in numbers)
    if sentence and sentence[-1] in ".!?":
        return f"{sentence[:-1].rstrip()} {marks}{sentence[-1]}"
    if sentence and sentence[-1] in "\"'”’)":  # ends inside a quotation: mark after it
        return f"{sentence} {marks}"
    return f"{sentence} {marks}."


def _citations(kept: list[ClaimCheck], passages: list[Passage], documents: Mapping[str, Document]):
    """Renumbered citations (one per distinct supporting sentence) and each claim's new numbers."""
    numbering: dict[tuple[str, int, int], int] = {}
    citations: list[Citation] = []
    per_claim: list[list[int]] = []
    for check in kept:
        mine = []
        for n, start, end in check.sources:
            p = passages[n - 1]
            key = (p.doc_id, start, end)
            if key not in numbering:
                numbering[key] = len(citations) + 1
                doc = documents[p.doc_id]
                citations.append(
                    Citation(
                        n=numbering[key],
                        doc_id=p.doc_id,
                        title=doc.title,
                        source=doc.source,
                        date=doc.date,
                        quote=doc.text[start:end],
                        start=start,
                        end=end,
                    )
                )
            mine.append(numbering[key])
        per_claim.append(list(dict.fromkeys(mine)))
    return citations, per_claim


def _note(checks: list[ClaimCheck], kept: list[ClaimCheck]) -> str:
    """What the verifier changed, in one line (empty when it changed nothing)."""
    parts = []
    removed = sum(not c.supported for c in checks)
    if removed:
        parts.append(f"removed {removed} sentence{'s' * (removed != 1)} the articles do not support")
    dropped = sorted({n for c in checks for n in c.dropped})
    if dropped:
        parts.append("dropped citation " + ", ".join(f"[{n}]" for n in dropped) + " to no passage")
    moved = sum(c.reattributed for c in kept)
    if moved:
        parts.append(f"sourced {moved} uncited or mis-cited sentence{'s' * (moved != 1)}")
    return ("Checked against the articles: " + "; ".join(parts) + ".") if parts else ""


def compose(
    question: str, checks: list[ClaimCheck], passages: list[Passage], documents: Mapping[str, Document]
) -> Answer | None:
    """The verified Answer (mode "llm"), or None when no sentence is supported."""
    kept, seen = [], set()
    for check in checks:
        key = " ".join(check.text.lower().split())
        if check.supported and key not in seen:  # base models repeat themselves
            kept.append(check)
            seen.add(key)
    if not kept:
        return None
    citations, per_claim = _citations(kept, passages, documents)
    text = " ".join(_with_markers(c.text, nums) for c, nums in zip(kept, per_claim, strict=True))
    confidence = float(np.clip(np.mean([c.score for c in kept]), 0.0, 1.0))
    note = _note(checks, kept)
    return Answer(
        question=question,
        text=text,
        short_answer=None,
        citations=citations,
        passages=passages,
        abstained=False,
        mode="llm",
        note=note,
        confidence=confidence,
    )


def _fallback(fallback: Callable[[], Answer], note: str) -> Answer:
    answer = fallback()
    answer.note = note
    return answer


def llm_answer(
    question: str,
    passages: list[Passage],
    documents: Mapping[str, Document] | list[Document],
    backend: LLMBackend,
    encode: Callable[[list[str]], np.ndarray],
    fallback: Callable[[], Answer],
    on_token: Callable[[str], None] | None = None,
    max_tokens: int = 256,
) -> Answer:
    """Ask the model with the passages, verify every sentence, return Answer(mode="llm") or the fallback."""
    if not isinstance(documents, Mapping):  # the index's documents are a lazy Mapping (qa.views)
        documents = {d.doc_id: d for d in documents}
    if not passages:
        return _fallback(fallback, NO_PASSAGES_NOTE)
    style = backend.prompt_style
    prompt = build_prompt(question, passages, style, backend.ctx, max_tokens)
    raw = generate(backend, prompt, max_tokens, stop_sequences(style), on_token)
    checks = check_answer(clean_output(raw), passages, documents, encode, question)
    answer = compose(question, checks, passages, documents)
    if answer is not None:
        return answer
    said_not_found = NOT_FOUND.lower().rstrip(".") in " ".join(raw.lower().split())
    return _fallback(fallback, NOT_FOUND_NOTE if said_not_found else FALLBACK_NOTE)
