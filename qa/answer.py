"""The extractive answerer: pick the best-supported sentence(s) from retrieved passages and cite them.

Each sentence of the top passages is scored by dense similarity to the question (precomputed
sentence vectors: one encoder call per question), IDF-weighted recall of the question's words, and
whether it holds an answer of the kind asked for (qa.spans, qa.evidence): the holder of the office
asked about, a name beside the noun asked for, a number of the asked-for kind, a date; a sentence
without one may borrow it from its neighbour, which is then quoted too. The best sentence becomes the
answer, quoted verbatim with its document offsets, with a short answer span where the type allows.
A sentence that gives the office asked about to another owner ("Spain's minister" for "France's
defence minister") is ruled out; one from an article dated another year than the question names
loses confidence and carries a note. Weak evidence means abstaining (`confidence`). Sentences in
other articles that say the same thing are cited as corroboration. It does not retrieve passages
or generate text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, cast

import numpy as np

from . import abstention, evidence, lexical, offices, qtype
from .config import ABSTAIN_BELOW
from .corroborate import corroborating_rows
from .entities import country_expansion, text_keys
from .index import Index
from .spans import answer_span, best_span, span_fit  # noqa: F401  (best_span, span_fit: public here too)
from .types import Answer, Citation, Passage

# W_FIT swept on the Lee dev split (news): 0.10/0.15 hit 91.4%, 0.20-0.30 94.3%, 0.40 92.9% (unanswerable
# abstained 63.0% -> 59.3% from 0.20 on); SQuAD check: 0.15/0.20 hit 75.1%, 0.25 74.4%. A candidate of the
# asked-for kind tied to the question ("Cornwallis Island" for "which island") should outweigh a little overlap
W_DENSE, W_LEX, W_FIT, W_RANK = 0.45, 0.40, 0.20, 0.05
W_CONTEXT = 0.3  # share of the lexical score that neighbouring sentences may supply
SECOND_WITHIN = 0.93  # a second sentence is added when it scores this close to the best
MISSING_NAME_PENALTY = 0.15  # a name of the question that the sentence's article never mentions
CONFLICT_PENALTY = 1.0  # it names another holder of the asked-for office: it answers another question, never this one
W_TYPE = 0.1  # confidence: the asked-for kind of answer is there (a holder of the role, a number of the kind)
ABSENT_PENALTY = 0.5  # the sentence holds nothing of the asked-for kind (no date for "when", no name for "who")
WEAK_FIT = 0.3  # below this type fit the penalty grows linearly to ABSENT_PENALTY at 0 (a name for an office
# question that holds no one in that office: 0.1-0.2; a number of another kind: 0.2-0.3)
OTHER_TIME_PENALTY = 0.15  # the question names a year; the sentence's article is dated another and never names it
ABSTAIN_TEXT = "I could not find this in the articles."
SENTENCE_CACHE = 20_000  # sentences' word sets kept (a question reads ~50-100; a few hundred questions' worth)
ARTICLE_CACHE = 500  # articles' word and name sets kept (a question reads at most ~10 articles)


class IdfTable(Protocol):
    """What the answerer needs of the lexical backend's IDF table (qa.backends.bm25.IdfTable): a lookup
    with a default, and the IDF of a token the index never saw."""

    unknown: float

    def get(self, key: str, default: float) -> float: ...


@dataclass
class Scored:
    row: int  # sentence row in the index
    passage: int  # index into the passages list
    score: float
    dense: float
    lex: float
    fit: float  # question-type fit, 0..1 (see span_fit)
    missing: int  # names in the question that the sentence's article never mentions
    span: tuple[int, int] | None  # short-answer offsets within the sentence text
    conflict: bool = False  # it names another holder of the office asked about (offices.sentence_owners/other_office)
    when: str = "fits"  # evidence.year_agreement: "fits", "unknown" or "other"
    helper: Scored | None = None  # the neighbouring sentence that holds the asked-for kind of answer


class Extractor:
    def __init__(self, index: Index):
        self.index = index
        # squared IDF, as in the dot product of two tf-idf vectors: the rare word a question shares with
        # a sentence ("warehouses") should outweigh several common ones ("minister", "said", "defence");
        # computed per token when asked, so a large index costs nothing at load
        # the backend protocol declares a Mapping; its tables also carry `.unknown` (qa.backends)
        self.idf = cast(IdfTable, index.bm25.idf(power=2))
        self.default_idf = self.idf.unknown
        # bounded, per index: a long-running chat over an archive must not keep every sentence it read
        self._sentence_tokens = lru_cache(maxsize=SENTENCE_CACHE)(self._sentence_tokens_of)
        self._article_keys = lru_cache(maxsize=ARTICLE_CACHE)(self._article_keys_of)
        self.article_tokens = lru_cache(maxsize=ARTICLE_CACHE)(self._article_tokens_of)

    def _sentence_tokens_of(self, row: int) -> set[str]:
        return _tokens_with_countries(self.index.sentence_text(row))

    def _lex(self, q_tokens: set[str], row: int) -> float:
        """IDF-weighted share of the question's words found in the sentence, blended with its neighbours
        (a news sentence often leans on the one before it: "He spoke of the shortage. Shops are empty.")."""
        total = sum(self.idf.get(t, self.default_idf) for t in q_tokens)
        if not total:
            return 0.0
        own = self._sentence_tokens(row)
        window = set(own)
        for nb in (row - 1, row + 1):
            if self.index.same_document(nb, row):  # never a deleted version's row (see same_document)
                window |= self._sentence_tokens(nb)
        hit = sum(self.idf.get(t, self.default_idf) for t in q_tokens & own)
        near = sum(self.idf.get(t, self.default_idf) for t in q_tokens & window)
        return (1 - W_CONTEXT) * hit / total + W_CONTEXT * near / total

    def _article_keys_of(self, doc_id: str) -> set[str]:
        doc = self.index.documents[doc_id]  # cached: keyed once per article, not once per sentence
        return text_keys(doc.title + " " + doc.text)

    def _missing_names(self, names: set[str], doc_id: str) -> int:
        """Question names (as keys: "French" meets "France") that the sentence's whole article never
        mentions. (Checking only the sentence's neighbours wrongly penalised paraphrase.)"""
        return sum(1 for n in names if n not in self._article_keys(doc_id)) if names else 0

    def _article_tokens_of(self, doc_id: str) -> set[str]:
        doc = self.index.documents[doc_id]  # cached as article_tokens (qa.abstention reads them)
        return _tokens_with_countries(doc.title + " " + doc.text)

    def _window(self, row: int) -> str:
        rows = [r for r in (row - 1, row, row + 1) if self.index.same_document(r, row)]
        return " ".join(self.index.sentence_text(r) for r in rows)

    def score_sentences(
        self, question: str, qvec: np.ndarray, passages: list[Passage], rows_per_passage: list[list[int]]
    ) -> list[Scored]:
        asked = evidence.analyse(question)
        q_tokens = set(lexical.tokenize(question))
        scored, seen, missing = [], set(), {}
        for p_idx, rows in enumerate(rows_per_passage):
            for row in rows:
                if row in seen:  # overlapping chunks share sentences
                    continue
                seen.add(row)
                dense = float(self.index.sentence_vectors[row] @ qvec)
                lex = self._lex(q_tokens, row)
                text = self.index.sentence_text(row)
                span, fit = answer_span(text, asked)
                # "Spain's Minister ..." does not answer "Who is France's defence minister?"
                named = offices.sentence_owners(text, asked.roles) if asked.owners else set()
                conflict = (
                    (bool(named) and not named & asked.owners)
                    or offices.other_office(text, asked.office_mods)
                    or offices.lesser_office(text, asked.roles, asked.words)  # "deputy chief executive X"
                )
                doc_id = self.index.sent_doc[row]
                when = self._when(asked, row, doc_id)
                score = (
                    W_DENSE * dense
                    + W_LEX * lex
                    + W_FIT * fit
                    + W_RANK / (1 + p_idx)
                    - (CONFLICT_PENALTY if conflict else 0.0)
                    - (OTHER_TIME_PENALTY if when == "other" else 0.0)
                )
                if doc_id not in missing:  # the same for every sentence of an article
                    missing[doc_id] = self._missing_names(asked.names, doc_id)
                scored.append(Scored(row, p_idx, score, dense, lex, fit, missing[doc_id], span, conflict, when))
        _lend_neighbour_fit(scored, self.index.sent_doc, asked.kind)
        scored.sort(key=lambda s: (-s.score, s.row))
        return scored

    def _when(self, asked: evidence.Asked, row: int, doc_id: str) -> str:
        if not asked.years:
            return "fits"
        doc = self.index.documents[doc_id]
        return evidence.year_agreement(asked, self._window(row), doc.text, doc.date)


def _tokens_with_countries(text: str) -> set[str]:
    """Its words, plus the other common form of each country it names: a sentence saying "Nigerian
    President X" shares "Nigeria" with "Who is the president of Nigeria?" (qa.entities)."""
    return set(lexical.tokenize(text)) | set(lexical.tokenize(country_expansion(text)))


NEIGHBOUR_FIT = 0.8  # share of a neighbour's type fit a sentence without one may borrow


def _lend_neighbour_fit(scored: list[Scored], sent_doc, kind: str) -> None:
    """A sentence with nothing of the asked-for kind whose neighbour in the same article has it ("A
    student is suing his school." + "Jo Smith, 16, alleged ...") borrows part of that fit; the neighbour is
    then quoted with it. News often states the event in one sentence and the name or number in the next."""
    if kind == qtype.OTHER:
        return
    by_row = {s.row: s for s in scored}
    for s in scored:
        if s.fit > 0:
            continue
        near = [
            by_row[r]
            for r in (s.row + 1, s.row - 1)
            if r in by_row and sent_doc[r] == sent_doc[s.row] and by_row[r].fit >= 0.6 and not by_row[r].conflict
        ]
        if near:
            s.helper = near[0]
            s.fit = NEIGHBOUR_FIT * near[0].fit
            s.score += W_FIT * s.fit


def _typed_first(scored: list[Scored]) -> list[Scored]:
    """Of the sentences close enough to the best to be quoted with it (SECOND_WITHIN), the first that holds
    an answer of the asked-for kind leads when the best holds none ("A federal magistrate has refused bail
    ..." and, two sentences on, "Magistrate Judith Dein refused ..."): the quote is the same pair, and the
    evidence judged is the sentence that answers."""
    if not scored or scored[0].fit >= WEAK_FIT:
        return scored
    close = [s for s in scored[1:] if s.score >= SECOND_WITHIN * scored[0].score]
    typed = next((s for s in close if s.fit >= 0.6 and not s.conflict), None)
    return [typed] + [s for s in scored if s is not typed] if typed else scored


def confidence(best: Scored) -> float:
    """What abstention compares with ABSTAIN_BELOW: similarity and overlap, plus evidence that the sentence
    answers this question: the asked-for kind of answer is there (a date for "when", the holder of the
    role asked about, a number of the asked-for kind), the question's names are in its article, it
    gives the role to no other owner, and its article is not from another year than the question names."""
    return (
        0.5 * best.dense
        + 0.5 * best.lex
        + W_TYPE * (best.fit - 0.5)
        - ABSENT_PENALTY * max(0.0, 1 - best.fit / WEAK_FIT)
        - MISSING_NAME_PENALTY * min(best.missing, 2)
        - (CONFLICT_PENALTY if best.conflict else 0.0)
        - (OTHER_TIME_PENALTY if best.when == "other" else 0.0)
    )


def citation(index: Index, n: int, row: int) -> Citation:
    doc = index.documents[index.sent_doc[row]]
    start, end = (int(x) for x in index.sent_spans[row])
    return Citation(n, doc.doc_id, doc.title, doc.source, doc.date, doc.text[start:end], start, end)


def _compose(index: Index, best: Scored, runner_up: Scored | None) -> tuple[str, list[Citation], int]:
    """Answer text with [n] markers, its citations, and how many articles report the best sentence."""
    corroborators = corroborating_rows(index, best.row, best.span)
    chosen = [best] + ([runner_up] if runner_up and runner_up.row not in corroborators else [])
    # reading order within one article; from two articles the best (the short answer's source) comes first
    if runner_up in chosen and index.sent_doc[runner_up.row] == index.sent_doc[best.row]:
        chosen.sort(key=lambda s: int(index.sent_spans[s.row][0]))
    citations: list[Citation] = []
    parts = []
    for s in chosen:
        own = citation(index, len(citations) + 1, s.row)
        citations.append(own)
        marks = [own.n]
        for row in corroborators if s is best else ():
            citations.append(citation(index, len(citations) + 1, row))
            marks.append(citations[-1].n)
        parts.append(own.quote + " " + "".join(f"[{n}]" for n in marks))
    return " ".join(parts), citations, 1 + len(corroborators)


def extractive_answer(
    index: Index,
    extractor: Extractor,
    question: str,
    qvec: np.ndarray,
    passages: list[Passage],
    rows_per_passage: list[list[int]],
    abstain_below: float = ABSTAIN_BELOW,
    method: str = "rule",
) -> Answer:
    """The best-supported sentence(s), quoted and cited; abstains when the evidence is weak: the hand-set
    confidence below `abstain_below` (`method="rule"`) or the calibrated model's probability below its
    threshold (`"model"`, qa.abstention); -inf never abstains."""
    scored = _typed_first(extractor.score_sentences(question, qvec, passages, rows_per_passage))
    feats = {}
    if scored:
        absent = max(0.0, 1 - scored[0].fit / WEAK_FIT)
        feats = abstention.collect(extractor, question, scored, passages, confidence(scored[0]), absent)
    conf = abstention.confidence(feats, method) if scored else 0.0
    if not scored or conf < abstention.live_threshold(method, abstain_below):
        return Answer(question, ABSTAIN_TEXT, None, [], passages, True, confidence=round(conf, 4), features=feats)
    best = scored[0]
    # a close runner-up is quoted too: the top sentence alone holds the answer ~74% of the time on
    # SQuAD, the top two ~85% (`qa eval`); both are verbatim and cited, so the reader can judge
    runner_up = scored[1] if len(scored) > 1 and scored[1].score >= SECOND_WITHIN * best.score else None
    runner_up = best.helper or runner_up  # the neighbour holding the answer is always quoted with it
    text, citations, reporters = _compose(index, best, runner_up)
    if reporters > 1:
        text += (
            f"\n\nThe first point is reported by {reporters} articles."
            if runner_up
            else f"\n\nReported by {reporters} articles."
        )
    holder = best.helper or best
    short = index.sentence_text(holder.row)[holder.span[0] : holder.span[1]] if holder.span else None
    note = ""
    if best.when != "fits":  # "Who won the 2022 race?" quoted from an article about another year
        date = index.documents[index.sent_doc[best.row]].date
        years = ", ".join(sorted(evidence.analyse(question).years))
        note = (
            f"The quoted article is dated {date}; the question asks about {years}."
            if date
            else "The quoted sentence does not say which year it is about."
        )
    return Answer(
        question, text, short, citations, passages, False, note=note, confidence=round(conf, 4), features=feats
    )
