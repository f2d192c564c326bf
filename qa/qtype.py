"""Question types and short-answer candidates, by rules (no NER or reader model is available offline).

`question_type` maps a question to number / date / person / place / entity / other from its wh-words.
`candidates(sentence, qtype)` finds (start, end) spans in a sentence that could answer that type:
numbers and percentages, dates, and capitalised names (found by qa.names). It does not score sentences or
pick the final answer (qa.answer does).
"""

from __future__ import annotations

import re

from .names import NAMED_DAY, NUMBER_WORDS, after_locative, describes, names, person_core, spans, trim_stop
from .nouns import noun_kind

NUMBER, DATE, PERSON, PLACE, ENTITY, OTHER = "number", "date", "person", "place", "entity", "other"
PERCENT = "percent"  # a NUMBER question that asks for a share: only percentages and fractions fit

_AUX = r"(?:did|does|do|is|was|were|are|has|have|had|will|would|can|could|should|may|might)"
_TYPE_RULES = [
    (
        PERCENT,
        r"\b(what|which) (share|percentage|percent|proportion|fraction|portion)\b|\bhow much of\b"
        r"|\bwhat per ?cent\b",
    ),
    (
        DATE,
        r"\bwhen (did|was|were|is|will|does|do|are|has|have|had)\b"
        r"|\b(what|which|in what|on what) (year|date|day|month|time|century|decade|period)\b"
        r"|\bhow long ago\b|\bsince when\b",
    ),
    (
        NUMBER,
        r"\bhow (many|much|long|far|old|big|large|often|high|tall|fast|deep|heavy)\b|\b(what|which) (number|"
        r"percentage|percent|share|proportion|amount|fraction|portion|sum|price|cost|rate|size|age)\b"
        r"|\bwhat share\b",
    ),
    (
        PERSON,
        rf"^(who|whom|whose)\b|\b(who|whom|whose) {_AUX}\b|\b(who|whom) (\w+ed|said|led|leads|won|wins|took|"
        r"takes|heads|runs|ran|beat|holds|held)\b",
    ),
    (PLACE, rf"^where\b|\bwhere {_AUX}\b"),
]
# "which <noun>" / "what <noun>" / "the name of the <noun>": the noun says what is asked for (qa.nouns)
_NOUN_PHRASE = re.compile(
    rf"(?:^|\b(?:in|on|at|by|from|for|of|to|with) )(which|what)((?: (?!{_AUX}\b)[\w'-]+){{1,3}})"
    r"|\bname of (?:the |an? |\w+['’]s )?((?:[\w'-]+ ?){1,3})"
)
_VERB_NEXT = frozenset("to the a an that this his her its their".split())  # words a verb, not a noun, takes next
_KIND_OF_NOUN = {"person": PERSON, "entity": ENTITY, "place": PLACE, "quantity": NUMBER}
# "What was the highest temperature ...?": the noun after "what is/was (the)" may be an amount asked for
_WHAT_IS = re.compile(r"^what (?:is|was|are|were) (?:the |an? )?((?:[\w'-]+ ?){1,3})")

_QUANT = (
    r"(?:(?:at least|more than|less than|fewer than|up to|around|about|nearly|almost|some|over|only) )?"
    r"(?:(?:a|an) (?=(?:hundred|thousand|million|billion|dozen)\b))?"
)
_NUM = (
    rf"{_QUANT}(?:[€$£]\s?)?\d(?:[\d,.]*\d)?(?:\s?(?:%|per ?cent|million|billion|thousand|bn|m)\b|%)?"
    rf"|{_QUANT}\b(?:{NUMBER_WORDS})\b(?:[ -](?:{NUMBER_WORDS}))*"
)
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?"
)
_DATE = (
    rf"\b\d{{1,2}} {_MONTH}(?: \d{{4}})?\b|\b{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?(?:, \d{{4}})?\b"
    rf"|\b(?:early |late |mid-?)?{_MONTH}(?: \d{{4}})?\b"
    r"|(?<!almost )(?<!about )(?<!nearly )(?<!some )(?<!over )(?<!than )\b(?:1\d|20)\d{2}s?\b(?! people)"
    r"|\b\d{1,2}(?:st|nd|rd|th) centur(?:y|ies)\b"
    r"|\b(?:on )?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b|\b\d{4}-\d{2}-\d{2}\b"
    r"|(?<=\b[Ii]n )\d{3}\b|(?<=\bby )\d{3}\b|(?<=\bsince )\d{3}\b|(?<=\bafter )\d{3}\b"
    r"|\b\d{3,4} (?:AD|BC|CE|BCE)\b"
    # a time of day ("at 2:15am", "6pm", "midnight") and a named day ("Boxing Day", "New Year's Eve")
    r"|\b\d{1,2}:\d{2}(?:\s?[ap](?:\.m\.|m\b))?|\b\d{1,2}(?:\.\d{2})?\s?[ap](?:\.m\.|m\b)|\b(?:noon|midday|midnight)\b"
    rf"|{NAMED_DAY}"
)


_LEADING = {"who": PERSON, "whom": PERSON, "whose": PERSON, "where": PLACE, "when": DATE}


def question_type(question: str) -> str:
    q = " ".join(question.lower().replace("?", " ").split())
    if q.split()[:1] and q.split()[0] in _LEADING and not re.match(rf"when (?!{_AUX}\b)", q):
        return _LEADING[q.split()[0]]  # the question's own wh-word decides ("Where was the man who ...")
    for qtype, pattern in _TYPE_RULES:
        if re.search(pattern, q):
            return qtype
    return noun_type(q)


def head_noun(question: str) -> str | None:
    """The noun a "which/what <noun>" question asks for ("Which police officer said ..." -> "officer"):
    the last word of a kind qa.nouns knows among the (up to three) words after the wh-word."""
    cased = " ".join(question.replace("?", " ").split())
    q = cased.lower()
    m = next((m for m in _NOUN_PHRASE.finditer(q) if not _relative(q, m)), None)
    if not m:
        return None
    span = m.span(2) if m.group(2) else m.span(3)
    words = q[span[0] : span[1]].split()
    # a capitalised word there is a name or its adjective ("the Norman castle"), not the noun asked for
    named = {w.lower() for w in cased[span[0] : span[1]].split() if w[:1].isupper()} if len(cased) == len(q) else set()
    following = words[1:] + q[m.end() :].split()[:1]
    head = None
    for w, after in zip(words, following + [""], strict=False):
        # the noun phrase ends at the first unknown word after a known noun ("agency told ...") or at a
        # verb that looks like a plural noun ("senator plans to ...", "company leads the ...")
        if head and w.endswith("s") and after in _VERB_NEXT:
            break
        if noun_kind(w) and w not in named:
            head = w
        elif head:
            break
    if head is None and m.group(1) == "which" and words:
        return words[0]
    return head


def _relative(q: str, m: re.Match) -> bool:
    """ "What is one way in which graphs are encoded?": after a question's own wh-word, a later "in which"
    opens a relative clause ("the way in which"), not the phrase asked about."""
    asked_first = re.match(r"(?:what|who|whom|whose|when|where|how|why)\b", q) is not None
    return m.start() > 0 and m.group(1) is not None and asked_first


def noun_type(q: str) -> str:
    """Answer type from the noun asked for; "which" + an unknown noun still selects a named thing."""
    noun = head_noun(q)
    if noun is None:
        m = _WHAT_IS.match(q)
        amount = m and any(noun_kind(w) == "quantity" for w in m.group(1).split())
        return NUMBER if amount else OTHER
    kind = noun_kind(noun)
    fallback = ENTITY if re.search(r"\bwhich\b", q) else OTHER
    return _KIND_OF_NOUN.get(kind, fallback) if kind is not None else fallback


_MONTHS = re.compile(rf"^{_MONTH}$")
_WEEKDAY = re.compile(r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|Today|Yesterday|Tomorrow")


def candidates(sentence: str, qtype: str) -> list[tuple[int, int]]:
    """Spans of `sentence` that have the shape of an answer to a `qtype` question."""
    if qtype == PERCENT:
        return [
            s
            for s in candidates(sentence, NUMBER)
            if re.search(r"%|per ?cent|\b(half|third|quarter|fifth)\b", sentence[s[0] : s[1]], re.I)
        ]
    if qtype == NUMBER:
        return [
            s
            for s in spans(_NUM, sentence, re.I)
            if any(ch.isdigit() for ch in sentence[s[0] : s[1]]) or re.search(NUMBER_WORDS, sentence[s[0] : s[1]], re.I)
        ]
    if qtype == DATE:
        return _merge(spans(_DATE, sentence))
    found = [
        trim_stop(sentence, n)
        for n in names(sentence)
        if not _MONTHS.match(sentence[n[0] : n[1]])
        and not re.search(r"[$€£¥]$", sentence[: n[0]])  # "$US3000" is a sum, not a name
        and not _WEEKDAY.fullmatch(sentence[n[0] : n[1]].rstrip("."))
    ]
    if qtype in (PERSON, PLACE):
        found = [n for n in found if not re.fullmatch(NAMED_DAY, sentence[n[0] : n[1]])]
    if qtype == PERSON:  # a name right after "in/at/from/near" is a place ("tagged in Northern Ireland")
        return [
            c
            for c in (person_core(sentence, n) for n in found)
            if c and not after_locative(sentence, c[0]) and not describes(sentence, c)
        ]
    if qtype in (PLACE, ENTITY):
        return found
    return []


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join overlapping or touching spans ("24 June" + "June 2024")."""
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged
