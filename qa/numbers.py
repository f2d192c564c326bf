"""Numbers of the asked-for kind: what a "how many/much/old/far/long" question counts, and whether a number
in a sentence is of that kind.

What it does: `number_kind(question)` says which kind of number is asked for (an age, a sum of money, a
length, a duration, a count of some noun); `number_fit` scores a number span of a sentence against it
("aged 61" fits "how old", "$5m" fits "how much money", "400 asylum seekers" fits "how many asylum
seekers"); `age_spans` finds ages ("aged 61", "a 61-year-old", "Jo Smith, 16,"). It does not find number
candidates (qa.qtype) or pick the answer (qa.spans).
"""

from __future__ import annotations

import re

from .entities import stem
from .names import spans
from .qtype import _AUX, _DATE

AGE, MONEY, LENGTH, DURATION, COUNT = "age", "money", "length", "duration", "count"
TEMPERATURE, SPEED = "temperature", "speed"
_MONEY_WORDS = r"money|cash|funding|funds|aid|compensation|damages|budget|revenue|profit|loss|debt|price|cost|pay"
_UNIT_OF = {
    AGE: r"\baged? \d{1,3}\b|\b\d{1,3}[- ]years?[- ]old\b|(?<=, )\d{1,3}(?=, )|\bage of \d{1,3}\b",
    MONEY: r"[$€£¥]|\b(?:dollars?|pounds?|euros?|yen|yuan|rupees?|francs?|cents?|bn)\b|\b[A-Z]{2,3}\$",
    LENGTH: r"\b(?:km|kilomet(?:re|er)s?|miles?|met(?:re|er)s?|m|feet|foot|ft|inches|cm|nautical)\b",
    DURATION: r"\b(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centur(?:y|ies))\b",
    TEMPERATURE: r"°|\bdegrees?\b|(?<=\d)\s?[CF]\b|\b(?:Celsius|Fahrenheit|centigrade)\b",
    SPEED: r"\b(?:km/h|kph|mph|knots?|kilomet(?:re|er)s? (?:an|per) hour|miles (?:an|per) hour)\b",
}
# "What was the highest temperature ...?", "What is life expectancy ...?": the measure named sets the unit
_MEASURES = {
    TEMPERATURE: "temperature temperatures",
    SPEED: "speed speeds velocity",
    LENGTH: "distance length height depth width altitude range",
    DURATION: "expectancy duration",
    MONEY: "price cost value worth salary wage fee budget revenue income profit loss debt deficit",
}
_MEASURE_OF = {w: kind for kind, words in _MEASURES.items() for w in words.split()}
_WHAT_MEASURE = re.compile(r"\b(?:what|which) (?:is|was|are|were|will be) (?:the |an? )?((?:[\w-]+ ?){1,3})")


_RATE = re.compile(r"%|\bper ?cent\b|\bpercentage\b|" + _UNIT_OF[MONEY], re.I)


def number_kind(question: str) -> tuple[str | None, set[str]]:
    """(kind of number asked for, stems of the counted noun): "How many asylum seekers ..." ->
    (COUNT, {"asylum", "seeker"}); "How old ..." -> (AGE, set())."""
    q = " ".join(question.lower().replace("?", " ").split())
    if re.search(r"\bhow old\b|\b(?:what|which) age\b", q):
        return AGE, set()
    if m := re.search(r"\bhow much (\w+)", q):
        return (MONEY if re.fullmatch(rf"{_AUX}|{_MONEY_WORDS}|more|less", m.group(1)) else None), set()
    if re.search(rf"\b(?:how (?:far|tall|high|deep|long (?!{_AUX}\b))|what (?:distance|length|height))\b", q):
        return LENGTH, set()
    if re.search(r"\bhow long\b", q):
        return DURATION, set()
    if re.search(r"\bhow (?:fast|quick(?:ly)?)\b", q):
        return SPEED, set()
    if re.search(r"\bhow (?:hot|cold|warm)\b", q):
        return TEMPERATURE, set()
    if m := _WHAT_MEASURE.search(q):  # the first measure among the three words after "what is the"
        measure = next((w for w in m.group(1).split() if w in _MEASURE_OF), None)
        if measure:
            return _MEASURE_OF[measure], set()
    if m := re.search(rf"\bhow many ((?:(?!{_AUX}\b)[\w'-]+ ?){{1,3}})", q):
        words = m.group(1).split()
        plural = next(
            (i for i, w in enumerate(words) if w.endswith("s") or w in ("people", "men", "women", "children")), 0
        )
        return COUNT, {stem(w) for w in words[: plural + 1] if w not in ("of", "the", "in", "on", "at")}
    return None, set()


def number_fit(sentence: str, span: tuple[int, int], kind: str | None, units: set[str]) -> float:
    """1 when the number is of the asked-for kind (an age, a sum of money, a count of the asked noun),
    0.5 for another number; 1 when nothing more specific is asked."""
    if kind is None:
        return 1.0
    s, e = span
    if kind == AGE:
        return (
            1.0
            if any(
                m.start() <= s < m.end() + 1 or s <= m.start() < e for m in re.finditer(_UNIT_OF[AGE], sentence, re.I)
            )
            else 0.2
        )
    if re.search(_DATE, sentence[max(0, s - 12) : e + 12]) and any(ds <= s < de for ds, de in spans(_DATE, sentence)):
        return 0.3  # "July 1" is a date, not a count or a sum
    if kind == COUNT:
        if re.search(_RATE, sentence[max(0, s - 4) : e + 12]):
            return 0.2  # "19 per cent", "$5m": a share or a sum does not count the things asked about
        after = re.findall(r"[\w'-]+", sentence[e : e + 40])[:3]
        inside = re.findall(r"[a-z][\w'-]+", sentence[s:e])
        return 1.0 if any(stem(w) in units for w in after + inside) else 0.5
    window = sentence[max(0, s - 4) : e + 12]
    return 1.0 if re.search(_UNIT_OF[kind], window) else 0.5


def age_spans(sentence: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(_UNIT_OF[AGE], sentence, re.I)]
