"""Short answers: the span of a sentence that answers a question, and how well it fits what was asked.

`answer_span(sentence, asked)` returns the span and a type fit 0..1: 1 for an answer of the asked-for
kind tied to what was asked (the holder of the office, a name beside the noun asked for, a number of the
asked-for kind), less for a weaker one, 0 when the sentence holds nothing of that kind. `best_span`
picks among spans of a type by the SQuAD-style nearness to the question's words. It does not score
or rank sentences (qa.answer does).
"""

from __future__ import annotations

import re

from . import evidence, numbers, qtype
from .entities import country_spans, is_place_name
from .nouns import name_kind, noun_kind

_SAYING = {"say", "said", "says", "announce", "announced", "tell", "told", "report", "reported", "state", "stated"}
_REPORTED = r"\b(?:said|says|told|announced|reported|confirmed|added|stated)\s+(?:on\s+)?$"


def answer_span(sentence: str, asked: evidence.Asked) -> tuple[tuple[int, int] | None, float]:
    """(short-answer span, type fit 0..1): how well the sentence offers the kind of answer asked for."""
    kind = asked.kind
    if kind == qtype.OTHER:
        return None, 0.5
    if kind == qtype.PERSON and asked.roles:
        fit, span = evidence.holder_fit(sentence, asked)
        if span:  # "Westpac chief economist Bill Evans": the holder of the role asked about
            return span, 1.0
    spans = _fresh_spans(sentence, kind, asked.words)
    if kind == qtype.NUMBER and asked.num_kind == numbers.AGE:  # "how old": only an age answers ("aged 61")
        spans = numbers.age_spans(sentence)
    if kind == qtype.PERSON or (kind == qtype.ENTITY and asked.head):  # "Irish", "US" name no person or firm
        spans = [s for s in spans if not _only_country(sentence[s[0] : s[1]])]
    if kind == qtype.PERSON:  # "Elliot Street", "Dongting Lake", "New South Wales": a place's name is no one
        spans = [s for s in spans if name_kind(sentence[s[0] : s[1]]) != "place" and not _place(sentence, s)]
    if kind == qtype.PLACE:  # "Senator Jane Roe", "Dr Ruiz": a titled name is a person, not a place
        spans = [s for s in spans if not _titled_person(sentence[s[0] : s[1]])]
    if not spans:
        return None, 0.0
    if kind == qtype.NUMBER:
        fits = {s: numbers.number_fit(sentence, s, asked.num_kind, asked.units) for s in spans}
        top = max(fits.values())
        span = _nearest(sentence, [s for s in spans if fits[s] == top], kind, asked.words)
        return span, top
    if kind in (qtype.PERSON, qtype.ENTITY, qtype.PLACE) and asked.head:
        spans = [s for s in spans if not evidence.describes_unnamed(sentence, s, asked.head)]
        if not spans:
            return None, 0.0
        # beside the noun asked for, but its own words say it is another kind ("a Toowoomba school when he
        # was Archbishop of Brisbane" for "which school"): no nearer than any other name
        near = [
            s
            for s in spans
            if evidence.near_head(sentence, s, asked.head) and not _other_kind(sentence, s, asked.head, titled=False)
        ]
        # away from the noun asked for, a name whose own words say it is another kind of thing ("Party"
        # for "which state", "North America" for "which group") answers nothing asked
        fitting = near or [s for s in spans if not _other_kind(sentence, s, asked.head)]
        if not fitting:
            return _nearest(sentence, spans, kind, asked.words), OTHER_KIND_FIT
        span = _nearest(sentence, fitting, kind, asked.words)
        return span, (1.0 if near else 0.6) * span_fit(sentence, span, kind)
    span = _nearest(sentence, spans, kind, asked.words)
    fit = span_fit(sentence, span, kind)
    if kind == qtype.PERSON and asked.roles:  # an office question whose sentence names nobody in that office
        if name_kind(sentence[span[0] : span[1]]) == "entity":  # "the Sheriff's Department" holds no office
            return span, OTHER_KIND_FIT
        return span, fit * (0.2 if asked.owners else 0.6)
    if (
        kind == qtype.DATE
        and re.search(_REPORTED, sentence[max(0, span[0] - 25) : span[0]])
        and not asked.words & _SAYING
    ):
        return span, 0.0  # "..., the ambassador said Saturday": the day it was said, not of the event asked about
    return span, fit


OTHER_KIND_FIT = 0.1  # as low as a name for an office question that holds no one in that office


def _other_kind(sentence: str, span: tuple[int, int], head: str, titled: bool = True) -> bool:
    """The name is of a known kind and the noun asked for of another: its own words say so
    (qa.nouns.name_kind), or (`titled`) a role or title stands right before it ("former leader Jo Roe": a
    person; but "his official Telegram channel" shows a role noun may be an adjective there)."""
    want = noun_kind(head)
    if want not in ("person", "entity", "place"):
        return False
    have = name_kind(sentence[span[0] : span[1]])
    if have is None and want == "person" and _place(sentence, span):  # "which senator": not "Queensland"
        have = "place"  # (teams and governments are named by places, so only a person is told apart)
    before = re.findall(r"[\w.]+", sentence[max(0, span[0] - 20) : span[0]])[-1:] if titled else []
    if have is None and before and (before[0].rstrip(".") in _HONORIFIC or noun_kind(before[0]) == "person"):
        have = "person"
    return have is not None and have != want


_HONORIFIC = {"Mr", "Mrs", "Ms", "Dr", "Sir", "Dame", "Lord", "Lady"}
_HONOURED = re.compile(r"\b(?:" + "|".join(sorted(_HONORIFIC)) + r")\.?\s+$")  # right before a name


def _titled_person(text: str) -> bool:
    """A person's title or a role noun before a name ("Senator Jane Roe", "Mr Smith"), with
    no place noun in it ("Prince Edward Island" stays a place)."""
    words = [w.rstrip(".") for w in text.split()]
    return (
        len(words) >= 2
        and (words[0] in _HONORIFIC or noun_kind(words[0].lower()) == "person")
        and not any(noun_kind(w.lower()) == "place" for w in words[1:])
    )


def _place(sentence: str, span: tuple[int, int]) -> bool:
    return is_place_name(sentence[span[0] : span[1]])


def _only_country(text: str) -> bool:
    spans = country_spans(text)
    return bool(spans) and sum(e - s for s, e, _ in spans) >= len(text.strip()) - 1


def best_span(sentence: str, kind: str, q_words: set[str]) -> tuple[int, int] | None:
    """The candidate span of the right type that is not just a repeat of the question's own words."""
    spans = _fresh_spans(sentence, kind, q_words)
    return _nearest(sentence, spans, kind, q_words) if spans else None


def _fresh_spans(sentence: str, kind: str, q_words: set[str]) -> list[tuple[int, int]]:
    spans = [
        s
        for s in qtype.candidates(sentence, kind)
        if not {w.lower() for w in re.findall(r"\w+", sentence[s[0] : s[1]])} <= q_words
    ]
    # an answer rarely contains the question's own content words (a name asked about is not where)
    fresh = [
        s
        for s in spans
        if not any(len(w) > 3 and w.lower() in q_words for w in re.findall(r"\w+", sentence[s[0] : s[1]]))
    ]
    return fresh or spans


def _nearest(sentence: str, spans: list[tuple[int, int]], kind: str, q_words: set[str]) -> tuple[int, int]:
    anchors = [
        (m.start(), m.end())
        for m in re.finditer(r"\w+", sentence)
        if m.group().lower() in q_words and len(m.group()) > 3
    ]
    if not anchors:
        return spans[0]

    def cost(span: tuple[int, int]) -> float:
        # SQuAD-style prior: the answer sits near the words the question shares with the sentence;
        # multi-word names are preferred for "who" questions (a lone capital is often a place)
        gaps = sorted(max(a[0] - span[1], span[0] - a[1], 0) for a in anchors)
        near = sum(gaps[:3]) / min(3, len(gaps))
        single = kind == qtype.PERSON and " " not in sentence[span[0] : span[1]].strip()
        # "where" answers follow a locative preposition far more often than not
        located = kind == qtype.PLACE and re.search(r"\b(in|at|from|near|to)\s+$", sentence[: span[0]])
        return near + (40 if single else 0) - (60 if located else 0)

    return min(spans, key=cost)


def span_fit(sentence: str, span: tuple[int, int] | None, kind: str) -> float:
    """How well the sentence offers the kind of answer asked for (0..1; 0.5 when nothing is asked)."""
    if kind == qtype.OTHER:
        return 0.5
    if span is None:
        return 0.0
    if kind == qtype.PERSON and " " not in sentence[span[0] : span[1]].strip():
        # a lone capitalised word is as often a place or an organisation, unless an honorific precedes it
        return 1.0 if _HONOURED.search(sentence, 0, span[0]) else 0.5
    return 1.0
