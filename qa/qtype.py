"""Question types and short-answer candidates, by rules (no NER or reader model is available offline).

`question_type` maps a question to number / date / person / place / entity / other from its wh-words.
`candidates(sentence, qtype)` finds (start, end) spans in a sentence that could answer that type:
numbers and percentages, dates, and capitalised names. It does not score sentences or pick the
final answer (qa.answer does).
"""
from __future__ import annotations

import re

NUMBER, DATE, PERSON, PLACE, ENTITY, OTHER = "number", "date", "person", "place", "entity", "other"
PERCENT = "percent"  # a NUMBER question that asks for a share: only percentages and fractions fit

# up to two modifiers between the wh-word and the noun ("which state news agency"), but not an auxiliary:
# "what did the president say" asks for a statement, not a person
_MOD = r"(?:(?!(?:did|does|do|is|was|were|are|has|have|had|will|would|can|could)\b)\w+ ){0,2}"
_TYPE_RULES = [
    (PERCENT, r"\b(what|which) (share|percentage|percent|proportion|fraction|portion)\b|\bhow much of\b"
              r"|\bwhat per ?cent\b"),
    (DATE, r"^when\b|\bwhen (did|was|were|is|will|does|do)\b|\b(what|which|in what|on what) (year|date|day|month|"
           r"time|century|decade|period)\b|\bhow long ago\b|\bsince when\b"),
    (NUMBER, r"\bhow (many|much|long|far|old|big|large|often|high|tall|fast)\b|\b(what|which) (number|percentage|"
             r"percent|share|proportion|amount|fraction|portion|sum|price|cost|rate|size)\b|\bwhat share\b"),
    (PERSON, rf"^(who|whom|whose)\b|\b(who|whom|whose) (is|was|were|did|signed|said|led|leads)\b|\b(which|what) "
             rf"{_MOD}(person|people|president|minister|leader|official|king|queen|ruler|duke|general|secretary|man"
             rf"|woman|author|scientist|spokesman|spokeswoman|commander)\b|\bname of (the |\w+'s )?{_MOD}(person|"
             rf"president|minister|leader|secretary|general|commander|official)\b"),
    (ENTITY, rf"^(which|what|on which|on what|by which|from which) {_MOD}(organi[sz]ation|company|agency|alliance|"
             r"group|institution|party|army|channel|newspaper|outlet|body|council|ministry|union|bloc)\b"),
    (PLACE, rf"^where\b|\bwhere (did|was|were|is|are|does|do)\b|\b(which|what|in what|in which) {_MOD}(country|"
            r"countries|city|cities|capital|place|region|nation|nations|state|states|town|continent|area|location)\b"),
]

_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
                 r"fifty|hundred|hundreds|thousand|thousands|dozens|dozen|half|million|billion")
_QUANT = r"(?:(?:at least|more than|less than|fewer than|up to|around|about|nearly|almost|some|over|only) )?"
_NUM = (rf"{_QUANT}(?:[€$£]\s?)?\d(?:[\d,.]*\d)?(?:\s?(?:%|per ?cent|million|billion|thousand|bn|m)\b|%)?"
        rf"|{_QUANT}\b(?:{_NUMBER_WORDS})\b(?:[ -](?:{_NUMBER_WORDS}))*")
_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
          r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?")
_DATE = (rf"\b\d{{1,2}} {_MONTH}(?: \d{{4}})?\b|\b{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?(?:, \d{{4}})?\b"
         rf"|\b(?:early |late |mid-?)?{_MONTH}(?: \d{{4}})?\b|\b(?:1\d|20)\d{{2}}s?\b|\b\d{{1,2}}(?:st|nd|rd|th) centur(?:y|ies)\b"
         r"|\b(?:on )?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b|\b\d{4}-\d{2}-\d{2}\b"
         r"|(?<=\b[Ii]n )\d{3}\b|(?<=\bby )\d{3}\b|(?<=\bsince )\d{3}\b|(?<=\bafter )\d{3}\b|\b\d{3,4} (?:AD|BC|CE|BCE)\b")
_CAP_WORD = r"(?:[A-Z][\w'’\-]*\.?|[A-Z]\.)"
_NAME = rf"\b{_CAP_WORD}(?:\s+(?:(?:of|de|von|van|der|la)\s+)?{_CAP_WORD})*"
_COMMON_STARTERS = {"The", "A", "An", "In", "On", "At", "But", "And", "He", "She", "It", "They", "We", "I", "This",
                    "That", "These", "Those", "As", "If", "When", "Mr", "Mr.", "Mrs", "Ms", "Dr", "According",
                    "Some", "There", "His", "Her", "Their", "Our", "After", "Before", "With", "For", "By", "From"}


def question_type(question: str) -> str:
    q = " ".join(question.lower().split())
    for qtype, pattern in _TYPE_RULES:
        if re.search(pattern, q):
            return qtype
    return OTHER


def _spans(pattern: str, text: str, flags: int = 0) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(pattern, text, flags) if m.group().strip()]


def _names(sentence: str) -> list[tuple[int, int]]:
    out = []
    for start, end in _spans(_NAME, sentence):
        words = sentence[start:end].split()
        while words and words[0].rstrip(".") in _COMMON_STARTERS:  # a capital from position, not a name
            start += len(words[0]) + (len(sentence[start:end]) - len(sentence[start:end].lstrip()))
            start = sentence.index(words[1], start) if len(words) > 1 else end
            words = words[1:]
        if words:
            out.append((start, end))
    return out


_TITLES = {"President", "Prime", "Minister", "Secretary", "General", "Chancellor", "Foreign", "Defense", "Defence",
           "Sir", "King", "Queen", "Duke", "Leader", "Ambassador", "Senator", "Governor", "Mayor", "Chief",
           "Commander", "Pope", "Saint", "St.", "Lord", "Lady", "Prince", "Princess", "Emperor", "Mr.", "Mrs.",
           "Ms.", "Dr.", "Former", "Vice", "Deputy", "State", "National", "Estonian", "Latvian"}
_MONTHS = re.compile(rf"^{_MONTH}$")


def _person_core(sentence: str, span: tuple[int, int]) -> tuple[int, int] | None:
    """The name inside a titled span: "Lithuanian President Gitanas Nauseda" -> "Gitanas Nauseda",
    "King Charles III of West Francia" -> "Charles III" (what follows "of" describes, it does not name)."""
    start, end = span
    words = list(re.finditer(r"\S+", sentence[start:end]))
    joiner = next((i for i, m in enumerate(words) if m.group().islower()), len(words))
    words = words[:joiner]
    if not words:
        return None
    cut = 0  # the name follows the last title, demonym or acronym ("NATO Secretary General Jens ...")
    for i, m in enumerate(words[:-1]):
        w = m.group()
        if w in _TITLES or re.fullmatch(r"[A-Z]\w+(?:ian|ese|ish|ean|an)|(?![IVXL]+$)[A-Z]{2,}", w):
            cut = i + 1
    return start + words[cut].start(), start + words[-1].end()


def candidates(sentence: str, qtype: str) -> list[tuple[int, int]]:
    """Spans of `sentence` that have the shape of an answer to a `qtype` question."""
    if qtype == PERCENT:
        return [s for s in candidates(sentence, NUMBER)
                if re.search(r"%|per ?cent|\b(half|third|quarter|fifth)\b", sentence[s[0]:s[1]], re.I)]
    if qtype == NUMBER:
        return [s for s in _spans(_NUM, sentence, re.I) if any(ch.isdigit() for ch in sentence[s[0]:s[1]])
                or re.search(_NUMBER_WORDS, sentence[s[0]:s[1]], re.I)]
    if qtype == DATE:
        return _merge(_spans(_DATE, sentence))
    names = [_trim_stop(sentence, n) for n in _names(sentence) if not _MONTHS.match(sentence[n[0]:n[1]])]
    if qtype == PERSON:
        return [c for c in (_person_core(sentence, n) for n in names) if c]
    if qtype in (PLACE, ENTITY):
        return names
    return []


def _trim_stop(sentence: str, span: tuple[int, int]) -> tuple[int, int]:
    """Drop a sentence-final full stop from a name ("in Kyiv." -> "Kyiv"), keeping initials ("J.")."""
    start, end = span
    if sentence[end - 1] == "." and end - start > 2 and sentence[end - 3] not in " .":
        end -= 1
    return start, end


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join overlapping or touching spans ("24 June" + "June 2024")."""
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


_OWNER = r"([A-Z][\w-]+)"
_POSSESSIVE = rf"(?<![\w'’-]){_OWNER}['’]s((?:\s+[a-z][\w-]*){{1,3}})"  # "Russia's defence minister"
_OF = rf"\b([a-z][\w-]{{3,}}) of (?:the )?{_OWNER}"  # "the president of Estonia"
_FUNCTION_WORDS = frozenset("the a an this that these those his her its their our my your he she it they we i "
                            "in on at for with from by as but and or if when while after before".split())


def _stem(word: str) -> str:
    return word.lower()[:5]  # "defence"/"defense", "Russia"/"Russian", "Nato"/"NATO" meet


def question_names(question: str) -> list[str]:
    """Stems of the capitalised words inside a question ("Russia's" -> "russi"): the entities an
    answer must be about."""
    words = re.findall(r"[\w'’-]+", question)[1:]  # the first word is capitalised by position
    return sorted({_stem(re.split(r"['’]", w)[0]) for w in words if w[:1].isupper() and len(w) > 2})


def question_roles(question: str) -> tuple[set[str], set[str]]:
    """(roles, owners) a question ties together: "Who is Russia's defence minister?" ->
    ({"defen", "minis"}, {"russi"}). Roles are the lower-case words owned; both are stems."""
    roles, owners = set(), set()
    for m in re.finditer(_POSSESSIVE, question[1:]):  # the first word is capitalised by position
        owners.add(_stem(m.group(1)))
        roles |= {_stem(w) for w in m.group(2).split() if len(w) > 3}
    for m in re.finditer(_OF, question):
        roles.add(_stem(m.group(1)))
        owners.add(_stem(m.group(2)))
    return roles, owners


def sentence_owners(sentence: str, roles: set[str]) -> set[str]:
    """Stems of the names a sentence ties one of the roles to: "Lithuania's Minister of National
    Defense", "Lithuanian Defense Minister" -> {"lithu", ...} for the role "minis"."""
    found = set()
    for m in re.finditer(rf"{_OWNER}(?:['’]s)?((?:\s+[\w-]+){{1,3}})", sentence):
        if m.group(1).lower() in _FUNCTION_WORDS:  # "The minister said" names no owner
            continue
        if any(_stem(w) in roles and len(w) > 3 for w in m.group(2).split()):
            found.add(_stem(m.group(1)))
    for m in re.finditer(r"\b([\w-]{4,}) of (?:the )?" + _OWNER, sentence):
        if _stem(m.group(1)) in roles:
            found.add(_stem(m.group(2)))
    return found - roles  # "Foreign Minister Dmytro Kuleba": a modifier of the office, not its owner


# Offices whose holders are asked about; a modifier before one names a different office
# ("prime minister" is not "defence minister").
_OFFICES = ("president|minister|secretary|chancellor|ambassador|spokesman|spokeswoman|commander|governor|mayor|"
            "director|chairman|leader|chief|envoy")
_OFFICE_MODIFIERS = rf"\b((?:[a-z][\w-]+\s+){{1,2}})({_OFFICES})\b"


def office_modifiers(question: str) -> dict[str, set[str]]:
    """{office: modifier stems} from a question: "Who is the prime minister?" -> {"minister": {"prime"}}."""
    out: dict[str, set[str]] = {}
    for m in re.finditer(_OFFICE_MODIFIERS, question.lower()):
        mods = {_stem(w) for w in m.group(1).split() if len(w) > 3 and w not in _FUNCTION_WORDS}
        if mods:
            out.setdefault(m.group(2), set()).update(mods)
    return out


def other_office(sentence: str, modifiers: dict[str, set[str]]) -> bool:
    """True when the sentence names an office asked about, but never with the question's modifier
    ("Minister of National Defense" for "prime minister"): it is about someone else."""
    if not modifiers:  # the usual case: nothing to compare, no need to split the sentence
        return False
    words = [w.lower() for w in re.findall(r"[\w-]+", sentence)]
    for office, mods in modifiers.items():
        spots = [i for i, w in enumerate(words) if w == office]
        if spots and not any(_stem(w) in mods for i in spots for w in words[max(0, i - 3):i + 4]):
            return True
    return False
