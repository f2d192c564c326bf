"""Offices and their holders: who holds what role for whom, from general title-name patterns.

What it does: `question_roles` reads the role and its owner from a question ("Who is Russia's defence
minister?", "Who is the president of Nigeria?", "Who is the French president?", "Who is Westpac's chief
economist?"); `sentence_owners` finds the owners a sentence gives that role to ("Russian Defence
Minister ...", "the chancellor of Germany", "Westpac chief economist ..."); `holder_spans` finds the
name that holds the role in a sentence ("German Chancellor Angela Merkel", "Angela Merkel, the
German chancellor", "the chancellor of Germany, Angela Merkel"). Countries and demonyms meet through
qa.entities ("French"/"France", "US"/"United States"). Roles are recognised as person nouns (qa.nouns).
It does not score sentences (qa.answer does).
"""

from __future__ import annotations

import re

from .entities import country_code, name_keys, stem
from .nouns import noun_kind

_CAP = r"[A-Z][\w'’.-]*"
_CHAIN = rf"(?:{_CAP}(?:\s+(?:of\s+|the\s+|and\s+)?{_CAP})*)"  # "Commonwealth Bank", "Bank of England"
_FUNCTION = frozenset(
    "of the a an this that these those his her its their our my your he she it they we i "
    "in on at for with from by as but and or if when while after before who what which "
    "is was were are be been did does do has have had will would".split()
)
_NOT_NAMES = re.compile(
    r"(?:On|In|At|By|For|From|After|Before|Last|Next|This|That|The|But|And|When|While)\b"
    r"|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b"
)


# Words for whoever runs a body are used interchangeably by reporters ("head"/"chief"/"leader" of X).
_SAME_ROLE = [
    {"head", "chief", "leader", "boss", "director"},
    {"spokesman", "spokeswoman", "spokesperson"},
    {"chairman", "chairwoman", "chair", "chairperson"},
]


def expand_roles(roles: set[str]) -> set[str]:
    out = set(roles)
    for group in _SAME_ROLE:
        stems = {stem(w) for w in group}
        if stems & roles:
            out |= stems
    return out


def _is_role_word(word: str) -> bool:
    return noun_kind(word.lower()) == "person"


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


# words that make an office title with a role word ("Prime Minister", "Secretary-General", "Chief Executive")
_TITLE_PARTS = frozenset("prime vice deputy acting chief senior foreign shadow interim general executive".split())


def plain_titles(question: str) -> str:
    """The question with its office titles in lower case, as the patterns below read them: "Who is the US
    Secretary of State?" -> "Who is the US secretary of State?". Names, countries and acronyms keep their
    capitals, so what owns the office still reads as a name."""

    def lower(m: re.Match) -> str:
        w = m.group()
        return w.lower() if _is_role_word(w) or w.lower() in _TITLE_PARTS else w

    return question[:1] + re.sub(r"\b[A-Z][a-z]+\b(?!['’-])", lower, question[1:])


def question_roles(question: str) -> tuple[set[str], set[str]]:
    """(role stems, owner keys) a question ties together: "Who is Russia's defence minister?" ->
    ({"defens", "minist"}, {"@RU"}). Empty unless the phrase holds a person noun (a role)."""
    roles: set[str] = set()
    owners: set[str] = set()
    question = plain_titles(question)
    if _ACTOR.match(question):  # "Who met the Labor leader?" asks for someone else than the leader
        return _verb_office(question)
    body = question[1:]  # the first word is capitalised by position
    subject = _subject_start(body)
    for m in re.finditer(rf"({_CHAIN})['’]s?((?:\s+[a-z][\w-]*){{1,3}})", body):
        words = m.group(2).split()
        if _in_subject(m, subject):
            continue
        if any(_is_role_word(w) for w in words):
            owners |= _owner_keys(m.group(1))
            roles |= {stem(w) for w in words if len(w) > 3 or _is_role_word(w)}
    for m in re.finditer(rf"((?:\b[a-z][\w-]*\s+){{0,2}}\b([a-z][\w-]+)) of (?:the\s+)?({_CHAIN})", body):
        if _is_role_word(m.group(2)) and not _in_subject(m, subject):
            roles |= {stem(w) for w in m.group(1).split() if w not in _FUNCTION}
            owners |= _owner_keys(m.group(3))
    # "the French president", "the CIA director", "which Texas senator": a name before the role owns it
    for m in re.finditer(rf"\b({_CHAIN})((?:\s+[a-z][\w-]*){{1,3}})", body):
        words = m.group(2).split()
        last = max((i for i, w in enumerate(words) if _is_role_word(w)), default=-1)
        owner_like = country_code(m.group(1)) or re.search(r"(?:\bthe|^hich|^hat|^hose)\s+$", body[: m.start()])
        if owner_like and last >= 0 and not _in_subject(m, subject):
            owners |= _owner_keys(m.group(1))
            roles |= {stem(w) for w in words[: last + 1] if w not in _FUNCTION}
    return roles - owners, owners


def _verb_office(question: str) -> tuple[set[str], set[str]]:
    """ "Who captains India?", "Who coached the Lions?", "Who heads the IMF?", "Who leads the Greens?": a
    verb whose doer holds a role asks for the holder of that role for its object. In the present tense the
    role may be the verb's doer noun (leader, governor, manager); in the past only the verb made from the
    role itself ("captained", "skippered"): "Who killed X?" or "Who led X's troops?" ask about an act."""
    m = re.match(rf"\s*(?i:who)\s+([a-z]+)\s+(?:the\s+)?({_CHAIN})", question)
    if not m:
        return set(), set()
    verb = m.group(1)
    if verb.endswith("ed"):
        forms = [verb[:-2]]
    elif verb.endswith("s"):
        base = verb[:-2] if verb.endswith("es") and _is_role_word(verb[:-2]) else verb[:-1]
        forms = [base, base + "er", base + "or"]
    else:
        return set(), set()
    role = next((f for f in forms if len(f) > 2 and _is_role_word(f)), None)
    return ({stem(role)}, _owner_keys(m.group(2))) if role else (set(), set())


# "Who <verb> ...?" with a verb other than "be" or an auxiliary asks for the one who acted, not for an office
_ACTOR = re.compile(
    r"\s*(?i:who)\s+(?!(?:is|was|are|were|'s|became|becomes|remains|remained|will|would|has|had|"
    r"did|does|do|can|could|should|may|might|must)\b)[a-z]"
)
_SUBJECT = re.compile(r"(?i:ho|hom)\s+(?:did|does|do|will|would|can|could|should|might|may)\s+(?:the\s+)?")


def _subject_start(body: str) -> int:
    """Where the subject of "Who did <subject> <verb> ...?" starts in the question (without its first
    letter), or -1: the subject's role ("the French president met whom?") is not the one asked for."""
    m = _SUBJECT.match(body)
    return m.end() if m else -1


def _in_subject(m: re.Match, subject: int) -> bool:
    return subject >= 0 and m.start() <= subject <= m.start(2)


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


def office_modifiers(question: str) -> dict[str, set[str]]:
    """{office: modifier stems} from a question: "Who is the prime minister?" -> {"minister": {"prime"}}
    (a modifier names a different office: "prime minister" is not "defence minister"; an owner such
    as "French" is no modifier)."""
    words = re.findall(r"[\w'’-]+", plain_titles(question))
    out: dict[str, set[str]] = {}
    for i, w in enumerate(words):
        if i == 0 or not w.islower() or not _is_role_word(w):
            continue
        mods = {
            stem(x)
            for x in words[max(0, i - 2) : i]
            if x.islower() and len(x) > 3 and x not in _FUNCTION and not _is_role_word(x) and noun_kind(x) is None
        }
        if mods:
            out.setdefault(w.lower(), set()).update(mods)
    return out


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
