"""Names in a sentence: capitalised runs that could answer "who", "where" or "which", with the words that
only look like names taken out.

`names(sentence)` finds the runs ("Osama bin Laden", "Bank of England"), leaving out capitals that come
from position ("Police say", "Six midwives", "The ...") and splitting at a possessive ("the Bureau of
Meteorology's Claire Richards"); `person_core` finds the person inside a titled run ("US Secretary of
State Colin Powell"); `describes` and `after_locative` tell a capital that describes ("an Islamic court")
or names a place ("in Perth"). It does not type questions or pick answers (qa.qtype, qa.spans).
"""

from __future__ import annotations

import re

from .entities import country_code
from .nouns import noun_kind
from .words import CORE_STOPWORDS

NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
    r"fifty|hundred|hundreds|thousand|thousands|dozens|dozen|half|million|billion"
)

NAMED_DAY = r"\b(?:[A-Z][\w'’]+\s+){1,2}(?:Day|Eve)\b"  # "Boxing Day", "New Year's Eve": a time, not a place

_DETERMINERS = r"another|every|several|many|much|scores|either|neither|whichever|whatever"
_CAP_WORD = r"(?:[A-Z][\w'’\-]*\.?|[A-Z]\.)"
_PARTICLES = frozenset("de von van der la bin ibn da del di du dos".split())  # inside a name: "Osama bin Laden"
_NAME = rf"\b{_CAP_WORD}(?:\s+(?:(?:of|{'|'.join(sorted(_PARTICLES))})\s+)?{_CAP_WORD})*"
_COMMON_STARTERS = frozenset(
    """
The A An In On At But And He She It They We I This That These Those As If When Mr Mr. Mrs Ms Dr According
Some There His Her Their Our After Before With For By From
""".split()
)


def spans(pattern: str, text: str, flags: int = 0) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(pattern, text, flags) if m.group().strip()]


def names(sentence: str) -> list[tuple[int, int]]:
    out = []
    for start, end in spans(_NAME, sentence):
        words = sentence[start:end].split()
        while words and (
            words[0].rstrip(".") in _COMMON_STARTERS  # a capital from position, not a name
            or (start == 0 and words[0].lower() in CORE_STOPWORDS)  # "More than 20 vessels ..."
            or (start == 0 and re.fullmatch(r"[A-Z][a-z]+(?:ing|ed|ly)", words[0]))
            # a lone common noun opening the sentence ("Police say", "Conservationists have"): capital by position
            or (start == 0 and len(words) == 1 and noun_kind(words[0].lower()) is not None)
            # a number or a determiner opening the sentence ("Six midwives", "Another Victorian boat")
            or (start == 0 and re.fullmatch(rf"(?:{NUMBER_WORDS}|{_DETERMINERS})", words[0].lower()))
        ):
            start += len(words[0]) + (len(sentence[start:end]) - len(sentence[start:end].lstrip()))
            start = sentence.index(words[1], start) if len(words) > 1 else end
            words = words[1:]
        if words:
            out += _split_possessive(sentence, start, end)
    return out


def _split_possessive(sentence: str, start: int, end: int) -> list[tuple[int, int]]:
    """ "the Bureau of Meteorology's Claire Richards": two names, the owner and the one it owns."""
    m = re.search(r"['’]s\s+(?=[A-Z])", sentence[start:end])
    if not m or re.fullmatch(NAMED_DAY, sentence[start:end]):  # "New Year's Eve" is one
        return [(start, end)]
    return [(start, start + m.start() + 2), *_split_possessive(sentence, start + m.end(), end)]


# Honorifics and office words that stand before a name; roles come from qa.nouns, countries from qa.entities
_HONORIFICS = frozenset(
    """
Sir Dame Lord Lady Saint St. Mr Mr. Mrs Mrs. Ms Ms. Dr Dr. Prof Prof. Former Vice Deputy Acting Prime Chief
Federal State National Foreign Defence Defense Interior Finance Health Justice Senior
""".split()
)


def _is_title(word: str) -> bool:
    return (
        word in _HONORIFICS
        or noun_kind(word.lower()) == "person"
        or country_code(word) is not None
        or bool(re.fullmatch(r"(?![IVXL]+$)[A-Z]{2,}", word))
    )


def person_core(sentence: str, span: tuple[int, int]) -> tuple[int, int] | None:
    """The name inside a titled span: "Chilean President Ana Ruiz" -> "Ana Ruiz",
    "King Charles III of West Francia" -> "Charles III" (what follows "of" describes, it does not name)."""
    start, end = span
    words = list(re.finditer(r"\S+", sentence[start:end]))
    joiner = next((i for i, m in enumerate(words) if m.group().islower() and m.group() not in _PARTICLES), len(words))
    rest = [m for m in words[joiner:] if not m.group().islower()]
    if rest and all(_is_title(m.group()) for m in words[:joiner]):
        # only titles before "of": the name follows it ("US Secretary of State Colin Powell")
        return person_core(sentence, (start + rest[0].start(), end))
    words = words[:joiner]
    if not words:
        return None
    cut = 0  # the name follows the last title, demonym or acronym ("NATO Secretary General Jens ...")
    for i, m in enumerate(words[:-1]):
        w = m.group()
        if _is_title(w):
            cut = i + 1
    return start + words[cut].start(), start + words[-1].end()


def describes(sentence: str, span: tuple[int, int]) -> bool:
    """ "an Islamic high court", "a Melbourne team", "a new Jihad": after "a/an", a capitalised word that a
    lower-case word follows describes an unnamed thing; no one is named "a Jo"."""
    return bool(
        re.search(r"\b(?:a|an)\s+(?:[a-z][\w-]*\s+)?$", sentence[: span[0]], re.I)
        and re.match(r"\s+[a-z]", sentence[span[1] :])
    )


def after_locative(sentence: str, start: int) -> bool:
    """After "in/at/from/near/to (the)": a place, except "according to X" (a source)."""
    before = sentence[:start]
    return bool(re.search(r"\b(?:in|at|from|near|to)\s+(?:the\s+)?$", before)) and not before.endswith(
        ("according to ", "According to ")
    )


def trim_stop(sentence: str, span: tuple[int, int]) -> tuple[int, int]:
    """Drop a sentence-final full stop from a name ("in Lima." -> "Lima"), keeping initials ("J."), and a
    possessive ("Aden Ridgeway's bid" -> "Aden Ridgeway")."""
    start, end = span
    if sentence[end - 1] == "." and end - start > 2 and sentence[end - 3] not in " .":
        end -= 1
    if sentence[start:end].endswith(("'s", "’s")) and end - start > 3:
        end -= 2
    return start, end
