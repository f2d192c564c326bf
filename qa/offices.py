"""Offices and their holders in sentences: who holds what role for whom, from general title-name patterns.

What it does: `sentence_owners` finds the owners a sentence gives that role to ("Russian Defence
Minister ...", "the chancellor of Germany", "Westpac chief economist ..."); `holder_spans` finds the
name that holds the role in a sentence ("German Chancellor Angela Merkel", "Angela Merkel, the
German chancellor", "the chancellor of Germany, Angela Merkel"). Countries and demonyms meet through
qa.entities ("French"/"France", "US"/"United States"). Roles are recognised as person nouns (qa.nouns).
Lesser, past and other offices ("deputy chief executive", "Prime" for "Foreign" Minister) are told
apart. The question side (which role and owner are asked for) is qa.office_questions. It does not score
sentences (qa.answer does).
"""

from __future__ import annotations

import re

from .entities import name_keys, stem
from .nouns import noun_kind

_CAP = r"[A-Z][\w'’.-]*"
_CHAIN = rf"(?:{_CAP}(?:\s+(?:of\s+|the\s+|and\s+)?{_CAP})*)"  # "Commonwealth Bank", "Bank of England"
_FUNCTION = frozenset(
    "of the a an this that these those his her its their our my your he she it they we i "
    "in on at for with from by as but and or if when while after before who what which "
    "is was were are be been did does do has have had will would".split()
)
_POSS = ("'s", "’s", "s'", "s’")
_NOT_NAMES = re.compile(
    r"(?:On|In|At|By|For|From|After|Before|Last|Next|This|That|The|But|And|When|While)\b"
    r"|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b"
)


# Words for whoever runs a body are used interchangeably by reporters ("head"/"chief"/"leader" of X).
_SAME_ROLE = [
    {"head", "chief", "leader", "boss", "director"},
    {"spokesman", "spokeswoman", "spokesperson"},
    {"chairman", "chairwoman", "chair", "chairperson"},
    {"monarch", "king", "queen", "sovereign"},
]


def expand_roles(roles: set[str]) -> set[str]:
    out = set(roles)
    for group in _SAME_ROLE:
        stems = {stem(w) for w in group}
        if stems & roles:
            out |= stems
    return out


def _is_role_word(word: str) -> bool:
    """A person noun, or a hyphenated title holding one ("Secretary-General", "vice-president")."""
    return any(noun_kind(part) == "person" for part in word.lower().split("-") if part)


def _chain_keys(chain: str) -> set[str]:
    words = [w for w in re.findall(r"[\w'’.-]+", chain) if w.lower() not in _FUNCTION]
    return name_keys(" ".join(words)) if words else set()


def _owner_keys(chain: str) -> set[str]:
    """A question's owner: the keys of its name, and of its initials when it has several capitalised words
    and is no country (news writes "AFP Commissioner X" for the Australian Federal Police's commissioner)."""
    keys = _chain_keys(chain)
    capitals = [w for w in re.findall(r"[\w'’.-]+", chain) if w[:1].isupper()]
    if len(capitals) >= 2 and not all(k.startswith("@") for k in keys):
        keys.add(stem("".join(w[0] for w in capitals)))
    return keys


def _role_positions(words: list[str], roles: set[str]) -> list[int]:
    return [i for i, w in enumerate(words) if stem(w) in roles and _is_role_word(w)]


def sentence_owners(sentence: str, roles: set[str]) -> set[str]:
    """Keys of the owners a sentence gives one of the roles to ("Chilean Defense Minister" ->
    {"@CL"}, "the minister of Germany" -> {"@DE"}); modifiers of the office ("Foreign Minister") are
    not owners, and "The minister said" names none."""
    if not roles:
        return set()
    toks = list(re.finditer(r"[\w'’.-]+", sentence))
    found: set[str] = set()
    for i, t in enumerate(toks):
        if not (stem(t.group()) in roles and _is_role_word(t.group())):
            continue
        j = i - 1
        while j >= 0 and stem(toks[j].group()) in roles and _adjacent(sentence, toks[j], toks[j + 1]):
            j -= 1  # "Defence" of "Defence Minister" is part of the office
        k = j  # "Australian team captain", "Labor party leader": a common noun between owner and office
        while k >= 0 and j - k < 2 and toks[k].group().isalpha() and toks[k].group().islower():
            k -= 1
        # not "Aden Ridgeway's bid to become leader": what a possessive owns is the noun after it
        owner = toks[k].group() if 0 <= k < j else ""
        between = {toks[x].group() for x in range(k + 1, j + 1)}
        if owner[:1].isupper() and not {owner.lower(), *between} & (_FUNCTION | {"to"}) and owner[-2:] not in _POSS:
            j = k
        chain: list[str] = []
        while (
            j >= 0
            and toks[j].group()[:1].isupper()
            and toks[j].group().lower() not in _FUNCTION
            and _adjacent(sentence, toks[j], toks[j + 1 if chain or j + 1 == i else j + 1])
        ):
            chain.insert(0, toks[j].group())
            j -= 1
        found |= _chain_keys(" ".join(chain)) if chain else set()
        if m := re.match(rf"\s+of\s+(?:the\s+)?({_CHAIN})", sentence[t.end() :]):
            found |= _chain_keys(m.group(1))
    return {k for k in found if k not in roles and not _is_role_word(k)}


def _adjacent(sentence: str, left: re.Match, right: re.Match) -> bool:
    return not sentence[left.end() : right.start()].strip()


_TWO = r"([A-Z][\w'’-]+\s+(?:[A-Z]\.?\s+)?[A-Z][\w'’-]+)"  # a two-word name, perhaps with an initial


def holder_spans(sentence: str, roles: set[str]) -> list[tuple[int, int]]:
    """Names the sentence gives a role to: after the title ("chief economist Bill Evans", "President X"),
    before or inside an apposition ("X, the German chancellor", "the Palestinian leader, X, said") or after
    "the <role> of <Owner>, X"."""
    if not roles:
        return []
    out = []
    # stems are matched as word starts: "secretari" -> "secretar" matches "Secretary"
    stems = "|".join(re.escape(r[:-1] if r.endswith("i") else r) for r in sorted(roles))
    role_re = r"(?:[\w-]+\s+){0,3}?(?:" + stems + r")\w*"
    name = r"([A-Z][\w'’-]+(?:\s+(?:[A-Z]\.\s*)?[A-Z][\w'’-]+){1,3})"
    one = r"([A-Z][\w'’-]+(?:\s+(?:[A-Z]\.\s*)?[A-Z][\w'’-]+){0,3})"  # an apposition may name one word
    for pattern in (
        rf"(?i:\b{role_re})\s+{name}",  # "chief economist Bill Evans"
        rf"(?i:\b{role_re}),\s+{name},",  # "the Palestinian leader, Yasser Arafat, said"
        rf"{name},\s+(?:the\s+|a\s+)?(?:{_CHAIN}\s+)?(?i:{role_re})\b",  # "X, the German chancellor"
        rf"{one},\s+(?:the\s+|a\s+)?{_CHAIN}['’]s\s+(?i:{role_re})\b",  # "Bohemond, Robert's son"
        rf"(?i:{role_re})\s+of\s+(?:the\s+)?{_CHAIN},\s+{name}",  # "the chancellor of Germany, X"
        # "Secretary of State Colin Powell", "Minister for Foreign Affairs Jo Roe": the shortest office that
        # leaves a two-word name right before a lower-case word
        rf"(?i:\b{role_re})\s+(?:of|for)\s+(?:the\s+)?(?:[A-Z][\w'’-]+\s+){{1,3}}?{_TWO}\b(?!\s+[A-Z])",
    ):
        out += [
            _drop_titles(sentence, m.span(1), roles)
            for m in re.finditer(pattern, sentence)
            if not _NOT_NAMES.match(m.group(1))
        ]
    # "named Jane Roe as chief executive": every word of the office must be asked ("as interim leader"
    # does not make anyone the deputy leader)
    for m in re.finditer(rf"{name}\s+as\s+(?:the\s+|its\s+|their\s+|an?\s+)?((?:[\w-]+\s+){{0,2}}[\w-]+)", sentence):
        office = [stem(w) for w in m.group(2).split()]
        run = next((i for i, w in enumerate(office) if w not in roles), len(office))
        if run and any(_is_role_word(w) for w in m.group(2).split()[:run]) and not _NOT_NAMES.match(m.group(1)):
            out.append(_drop_titles(sentence, m.span(1), roles))
    return [sp for sp in out if sp]


def _drop_titles(sentence: str, span: tuple[int, int], roles: set[str]) -> tuple[int, int] | None:
    """ "Minister Ana Ruiz" -> "Ana Ruiz": a title word is not part of the name."""
    start, end = span
    for m in re.finditer(r"\S+", sentence[start:end]):
        w = m.group()
        if not (stem(w) in roles or _is_role_word(w)):
            kept = (start + m.start(), end)  # after a dropped title, one word left is a title's tail, not a name
            return kept if m.start() == 0 or len(sentence[kept[0] : end].split()) >= 2 else None
    return None


_RANKS = frozenset("deputy vice assistant former shadow junior associate".split())  # a lesser or past office


def lesser_office(sentence: str, roles: set[str], question_words: set[str]) -> bool:
    """True when the sentence names the office asked about only as a lesser or past one the question does
    not ask for ("Virgin's deputy chief executive X" for "Who is Virgin's chief executive?")."""
    if not roles or question_words & _RANKS:
        return False
    words = [w.lower() for w in re.findall(r"[\w-]+", sentence)]
    spots = [i for i, w in enumerate(words) if stem(w) in roles]
    starts = [i for i in spots if i - 1 not in spots]  # where each mention of the office begins
    ranked = [any(w in _RANKS or w.startswith(("vice-", "ex-")) for w in words[max(0, i - 2) : i]) for i in starts]
    return bool(ranked) and all(ranked)


def other_office(sentence: str, modifiers: dict[str, set[str]]) -> bool:
    """True when the sentence names an office asked about, but never with the question's modifier
    ("Minister of National Defense" for "prime minister"): it is about someone else."""
    if not modifiers:  # the usual case: nothing to compare, no need to split the sentence
        return False
    words = [w.lower() for w in re.findall(r"[\w-]+", sentence)]
    for office, mods in modifiers.items():
        spots = [i for i, w in enumerate(words) if w == office]
        if spots and not any(stem(w) in mods for i in spots for w in words[max(0, i - 3) : i + 4]):
            return True
    return False
