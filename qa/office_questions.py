"""Offices asked about: the role and its owner a question names, read from general title patterns.

What it does: `question_roles` reads the role and its owner from a question ("Who is Russia's defence
minister?", "Who is the president of Nigeria?", "Who is the French president?", "Who is Westpac's chief
economist?", "Who captains India?", "Who is the Prime Minister?"); `office_modifiers` the words that make
the office asked for a particular one ("prime" minister); `plain_titles` lowers an office title's capitals
so the patterns read "US Secretary of State" as "US secretary of State". Roles are person nouns
(qa.nouns); owners are name keys (qa.entities). The sentence side (who holds what in a sentence) is
qa.offices. It does not score sentences.
"""

from __future__ import annotations

import re

from .entities import country_code, stem
from .nouns import noun_kind
from .offices import _CHAIN, _FUNCTION, _is_role_word, _owner_keys

# words that make an office title with a role word ("Prime Minister", "Secretary-General", "Chief Executive")
_TITLE_PARTS = frozenset("prime vice deputy acting chief senior foreign shadow interim general executive".split())


def plain_titles(question: str) -> str:
    """The question with its office titles in lower case, as the patterns below read them: "Who is the US
    Secretary of State?" -> "Who is the US secretary of State?". Names, countries and acronyms keep their
    capitals, so what owns the office still reads as a name."""

    def lower(m: re.Match) -> str:
        w = m.group()
        return w.lower() if _is_role_word(w) or w.lower() in _TITLE_PARTS else w

    return question[:1] + re.sub(r"(?<![\w'’-])[A-Z][a-z]+(?:-[A-Z][a-z]+)*\b(?!['’-])", lower, question[1:])


# "Who is the prime minister?", "Who was the governor-general?": an office asked about with no owner named
_KIN = frozenset("person people man woman men women boy girl child son daughter wife husband mother father".split())
_BARE_OFFICE = re.compile(r"\s*who\s+(?:is|was|are|were)\s+(?:the\s+)?((?:[a-z][\w-]*\s+){0,2}[a-z][\w-]*)\s*\??\s*$")


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
    bare = _BARE_OFFICE.match(question[:1].lower() + question[1:])  # names keep capitals: "Who is Jo Judge?"
    if not roles and bare:
        words = bare.group(1).split()
        if _is_role_word(words[-1]) and words[-1] not in _KIN and not set(words) & _FUNCTION:
            roles = {stem(w) for w in words}
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
