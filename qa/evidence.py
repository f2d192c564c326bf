"""What a question asks, and whether a sentence gives evidence of answering *this* question.

What it does: `analyse` reads a question once: answer type (qa.qtype), the kind of number asked for,
the noun asked about ("which lake"), the role and its owner ("Nigeria's president"), the names that an
answer must be about (as keys from qa.entities, so "French" meets "France"), and the years it names.
`type_fit` says whether a sentence holds an answer of that type tied to what was asked (a name next
to the role or the noun asked about, a number of the asked-for kind), `year_agreement` whether the
sentence or its article fits the years named. It does not retrieve or rank (qa.answer does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import numbers, office_questions, offices, qtype
from .entities import name_keys, stem
from .names import trim_stop

_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


@dataclass
class Asked:
    question: str
    kind: str
    num_kind: str | None = None
    units: set[str] = field(default_factory=set)
    head: str | None = None  # the noun asked for: "lake" in "Which lake ..."
    names: set[str] = field(default_factory=set)  # keys of the question's names
    roles: set[str] = field(default_factory=set)
    owners: set[str] = field(default_factory=set)
    office_mods: dict = field(default_factory=dict)
    years: set[str] = field(default_factory=set)
    words: set[str] = field(default_factory=set)  # lower-case words of the question


def analyse(question: str) -> Asked:
    kind = qtype.question_type(question)
    num_kind, units = numbers.number_kind(question) if kind == qtype.NUMBER else (None, set())
    # roles and owners only for "who" questions: "a member of NATO" in a "what did X say" question is no office
    roles, owners = office_questions.question_roles(question) if kind == qtype.PERSON else (set(), set())
    body = re.sub(r"^\W*\w+", "", question)  # the first word is capitalised by position
    names = {k for k in name_keys(body) if len(k) > 2 or k.startswith("@")}
    return Asked(
        question,
        kind,
        num_kind,
        units,
        qtype.head_noun(question),
        names,
        roles,
        owners,
        office_questions.office_modifiers(question) if roles else {},
        set(_YEAR.findall(question)),
        {w.lower() for w in re.findall(r"\w+", question)},
    )


def holder_fit(sentence: str, asked: Asked) -> tuple[float, tuple[int, int] | None]:
    """For "Who is <owner>'s <role>?": a name the sentence gives the role to (1), else (0, None)."""
    spans = offices.holder_spans(sentence, offices.expand_roles(asked.roles))
    # the title right before the name must be the office asked for: "Prime Minister X" holds no
    # "foreign minister" although the sentence names an Egyptian Foreign Minister too
    spans = [s for s in spans if not offices.other_office(_title_before(sentence, s), asked.office_mods)]
    fresh = [s for s in spans if not {w.lower() for w in re.findall(r"\w+", sentence[s[0] : s[1]])} <= asked.words]
    return (1.0, trim_stop(sentence, fresh[0])) if fresh else (0.0, None)


def _title_before(sentence: str, span: tuple[int, int]) -> str:
    return " ".join(re.findall(r"[\w'’-]+", sentence[max(0, span[0] - 60) : span[0]])[-4:])


def near_head(sentence: str, span: tuple[int, int], head: str | None) -> bool:
    """The name contains or stands within a few words of the noun asked for ("Crater Lake",
    "the website Example.org", "police spokesman Jo Bloggs")."""
    if not head:
        return False
    key = stem(head)
    left = re.findall(r"[\w'-]+", sentence[max(0, span[0] - 40) : span[0]])[-4:]
    inside = re.findall(r"[\w'-]+", sentence[span[0] : span[1]])
    after = re.findall(r"[\w'-]+", sentence[span[1] : span[1] + 40])[:4]
    # after the name, the noun must be in apposition ("X, a news website"), not in another clause
    # ("X said he will weep if a single mother ...")
    upto = next((i for i, w in enumerate(after) if stem(w) == key), None)
    apposed = upto is not None and not any(w.lower() in _CLAUSE for w in after[:upto])
    return any(stem(w) == key for w in left + inside) or apposed


# words that start another clause or predicate: a noun after them is not said of the name before them
_CLAUSE = frozenset(
    "said says told is was were are has have had will would he she they it if and but who which "
    "that when while after before because".split()
)


def describes_unnamed(sentence: str, span: tuple[int, int], head: str | None) -> bool:
    """ "a Canadian website", "a Boston Catholic school": a capitalised word describing an unnamed
    thing of the kind asked for, not its name."""
    if not head:
        return False
    after = re.match(r"\s+([\w-]+)", sentence[span[1] :])
    return bool(
        re.search(r"\b(?:a|an)\s+$", sentence[: span[0]], re.I) and after and stem(after.group(1)) == stem(head)
    )


def year_agreement(asked: Asked, window: str, article: str, date: str | None) -> str:
    """ "fits" when a year the question names is in the sentence's neighbourhood or is its article's
    year; "other" when the article is dated another year and never names it; else "unknown"."""
    if not asked.years:
        return "fits"
    if asked.years & set(_YEAR.findall(window)) or (date and date[:4] in asked.years):
        return "fits"
    if date and not asked.years & set(_YEAR.findall(article)):
        return "other"
    return "unknown"
