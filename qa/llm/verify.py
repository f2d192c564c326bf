"""Check a model's answer against the passages it was given, sentence by sentence.

For each sentence of the answer: parse its [n] markers, drop markers that name no passage, and
score how well each cited passage supports it. Support = the best sentence of the passage under
    LEX_WEIGHT * (share of the claim's content words found in the sentence, stemmed)
  + (1 - LEX_WEIGHT) * cosine(claim, sentence)          (via the caller's `encode`),
halved when the claim states a number the sentence lacks, and again when it names something the
passage never mentions. A claim is supported at score >= SUPPORT_THRESHOLD (calibrated on labelled
claim/article pairs: `python benchmarks/llm_speed.py calibrate`). When no cited passage supports a
sentence, the other passages are tried, so an uncited or mis-cited true sentence gets its source.
It does not decide what to show (qa.llm.grounded does) and it never trusts the model: a sentence
with no support is reported as such whatever it cites.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ..chunking import split_sentences
from ..types import Document, Passage
from ..words import claim_words, content_terms

# Calibrated on 117 labelled claim/article pairs with all-MiniLM-L6-v2 (benchmarks/llm_speed.py calibrate):
# precision 0.931, recall 0.931 at these values; the F1 plateau spans thresholds 0.62-0.65.
SUPPORT_THRESHOLD = 0.63
LEX_WEIGHT = 0.6
NUMBER_PENALTY = 0.5  # a claim whose number is not in the sentence is almost never supported by it
NAME_PENALTY = 0.5  # nor is a claim naming someone or something the passage never mentions
MIN_CLAIM_TERMS = 3  # fewer content words than this: a fragment, checked together with the question
_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
    if i != 1
}  # "one" is too often a pronoun
_NUMBER_WORDS |= {"thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "thousand": "1000"}

_MARKER_GROUP = re.compile(r"\[\s*(?:passages?\s*)?(\d{1,3}(?:\s*(?:,|;|-|–|and)\s*\d{1,3})*)\s*\]", re.I)
_LEADING_MARKERS = re.compile(r"^\s*((?:\[[^\]\n]{1,20}\]\s*)+)")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass
class ClaimCheck:
    """One sentence of the model's answer and what the verifier found for it."""

    text: str  # the sentence without its [n] markers
    cited: list[int]  # in-range passage numbers the model cited (1-based)
    dropped: list[int]  # markers naming no passage (e.g. a fabricated [9])
    supported: bool = False
    score: float = 0.0
    sources: list[tuple[int, int, int]] = field(default_factory=list)  # (passage n, doc start, doc end)
    reattributed: bool = False  # supported by a passage the model did not cite
    basis: str = ""  # what was scored: the sentence, or question + sentence for a bare fragment


def numbers(text: str) -> set[str]:
    """Numbers as written, normalised ("1,000" -> "1000"; "70%" -> "70"; "five" -> "5")."""
    found = {n.replace(",", "") for n in _NUMBER.findall(text)}
    return found | {_NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in _NUMBER_WORDS}


def names(text: str) -> set[str]:
    """Stemmed capitalised words after the first word: the names a claim commits to."""
    words = claim_words(text)[1:]
    return content_terms(" ".join(w for w in words if w[:1].isupper()))


@dataclass(frozen=True)
class Features:
    """What the scorer compares, computed once per claim or source sentence."""

    terms: frozenset
    nums: frozenset
    names: frozenset

    @classmethod
    def of(cls, text: str) -> Features:
        return cls(frozenset(content_terms(text)), frozenset(numbers(text)), frozenset(names(text)))


def parse_markers(sentence: str) -> tuple[str, list[int]]:
    """(sentence without [n] markers, the numbers cited in order); handles [1, 2], [1-3], [1][2]."""
    cited: list[int] = []
    for m in _MARKER_GROUP.finditer(sentence):
        for a, b in re.findall(r"(\d+)\s*[-–]\s*(\d+)", m.group(1)):
            if 0 < int(b) - int(a) < 10:  # a short range; anything wider is noise
                cited.extend(range(int(a), int(b) + 1))
        cited.extend(int(x) for x in re.findall(r"\d+", m.group(1)))
    text = _MARKER_GROUP.sub("", sentence)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    return " ".join(text.split()), list(dict.fromkeys(cited))


def split_claims(answer: str) -> list[str]:
    """Sentences of the answer, each with its own markers (a marker after the full stop stays with it)."""
    pieces = [answer[s:e] for s, e in split_sentences(answer)]
    claims: list[str] = []
    for piece in pieces:
        lead = _LEADING_MARKERS.match(piece)
        if lead and claims:  # "...stopped. [1] Next..." - the [1] belongs to the sentence before
            claims[-1] += " " + lead.group(1).strip()
            piece = piece[lead.end() :]
        if piece.strip():
            claims.append(piece.strip())
    return claims


def passage_sentences(passage: Passage, documents: Mapping[str, Document]) -> list[tuple[int, int]]:
    """Sentence spans of the passage as offsets into its document ([] if the text is not there)."""
    doc = documents.get(passage.doc_id)
    if doc is None:
        return []
    start = passage.start
    if doc.text[passage.start : passage.end] != passage.text:
        start = doc.text.find(passage.text)  # offsets stale: find the passage's text itself
        if start < 0:
            return []
    return [(start + s, start + e) for s, e in split_sentences(passage.text)]


def _mentioned(name: str, terms: frozenset) -> bool:
    """Exact stem, or a shared 5-letter prefix so "Russian" matches "Russia" and "Ukrainian" "Ukraine"."""
    return name in terms or (len(name) >= 5 and any(t[:5] == name[:5] for t in terms if len(t) >= 5))


def penalty(claim: Features, sentence: Features, passage_terms: frozenset | None = None) -> float:
    """Multiplier in (0, 1] for what word overlap and embeddings miss: wrong numbers and names.

    (A negation-mismatch penalty was tried and lowered F1 on the labelled pairs from 0.93 to 0.90:
    supporting sentences often negate something else.)
    """
    factor = 1.0
    if not claim.nums <= sentence.nums:
        factor *= NUMBER_PENALTY  # "800 missiles" is not supported by a sentence about 500
    if passage_terms is not None and not all(_mentioned(n, passage_terms) for n in claim.names):
        factor *= NAME_PENALTY  # a name the passage never mentions ("Gripen", "Shmyhal")
    return factor


def support_score(
    claim: Features,
    claim_vec: np.ndarray,
    sentence: Features,
    sentence_vec: np.ndarray,
    passage_terms: frozenset | None = None,
) -> float:
    """How well one source sentence (of a passage with `passage_terms`) supports one claim, in [0, 1]."""
    if not claim.terms:
        return 0.0  # "Yes." or a bare marker asserts nothing checkable
    recall = len(claim.terms & sentence.terms) / len(claim.terms)
    cosine = max(0.0, float(np.dot(claim_vec, sentence_vec)))
    return (LEX_WEIGHT * recall + (1.0 - LEX_WEIGHT) * cosine) * penalty(claim, sentence, passage_terms)


class _Sources:
    """Every passage's sentences with their features and vectors (one encode call for all)."""

    def __init__(self, passages: list[Passage], documents: Mapping[str, Document]):
        self.spans = [passage_sentences(p, documents) for p in passages]
        docs = [documents.get(p.doc_id) for p in passages]
        self.texts = [[d.text[s:e] for s, e in spans] if d else [] for d, spans in zip(docs, self.spans, strict=True)]
        self.feats = [[Features.of(t) for t in texts] for texts in self.texts]
        self.terms = [frozenset().union(*(f.terms for f in feats)) for feats in self.feats]
        self.vecs: list[np.ndarray] = []

    def encode_with(self, encode: Callable[[list[str]], np.ndarray], claims: list[str]) -> np.ndarray:
        matrix = np.asarray(encode(claims + [t for texts in self.texts for t in texts]), dtype=np.float32)
        at = len(claims)
        for texts in self.texts:
            self.vecs.append(matrix[at : at + len(texts)])
            at += len(texts)
        return matrix[: len(claims)]

    def best(self, n: int, claim: Features, claim_vec: np.ndarray) -> tuple[float, int, int]:
        """(score, doc start, doc end) of passage n's best sentence for the claim."""
        best = (0.0, -1, -1)
        rows = zip(self.spans[n - 1], self.feats[n - 1], self.vecs[n - 1], strict=True)
        for (s, e), feats, vec in rows:
            score = support_score(claim, claim_vec, feats, vec, self.terms[n - 1])
            if score > best[0]:
                best = (score, s, e)
        return best


def _check_one(check: ClaimCheck, vec: np.ndarray, sources: _Sources, k: int) -> None:
    """Fill in support for one claim: its cited passages first, then every other passage."""
    claim = Features.of(check.basis)
    uncited = [n for n in range(1, k + 1) if n not in check.cited]
    for candidates, reattributed in ((check.cited, False), (uncited, True)):
        found = []
        for n in candidates:
            score, s, e = sources.best(n, claim, vec)
            check.score = max(check.score, score)
            if score >= SUPPORT_THRESHOLD:
                found.append((score, n, s, e))
        if found:
            if reattributed:  # not cited by the model: keep only the single best source
                found = [max(found)]
            check.sources = [(n, s, e) for _, n, s, e in found]
            check.supported, check.reattributed = True, reattributed
            return


def _basis(text: str, question: str) -> str:
    """A bare fragment ("2014.", "Kaliningrad.") is checked as the answer to the question: otherwise
    any sentence that happens to contain "2014" would support it."""
    return f"{question} {text}" if question and len(content_terms(text)) < MIN_CLAIM_TERMS else text


def check_answer(
    answer: str,
    passages: list[Passage],
    documents: Mapping[str, Document],
    encode: Callable[[list[str]], np.ndarray],
    question: str = "",
) -> list[ClaimCheck]:
    """One ClaimCheck per sentence of `answer`, in order."""
    k = len(passages)
    checks = []
    for raw in split_claims(answer):
        text, cited = parse_markers(raw)
        checks.append(
            ClaimCheck(
                text=text,
                cited=[n for n in cited if 1 <= n <= k],
                dropped=[n for n in cited if not 1 <= n <= k],
                basis=_basis(text, question),
            )
        )
    checks = [c for c in checks if c.text or c.dropped]
    if not checks:
        return []
    sources = _Sources(passages, documents)
    vecs = sources.encode_with(encode, [c.basis or "-" for c in checks])
    for check, vec in zip(checks, vecs, strict=True):
        if check.text:
            _check_one(check, vec, sources, k)
    return checks
