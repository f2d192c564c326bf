"""Turn a short follow-up question into a self-contained one, using the previous turn.

"and Estonia?" after "What did Zelensky say in Lithuania?" becomes "What did Zelensky say in Estonia?".
Rules, in order (the first that applies wins):

1. Conjunction-led or very short fragments ("and Estonia?", "what about in Riga?", "Stoltenberg?")
   substitute the new entity into the previous question: a matching preposition phrase ("in X") first,
   otherwise the last named entity. Wh-only fragments ("why?", "and when?") become "Why ...? (about: <prev>)".
2. Questions that lean on third-person pronouns and name nobody ("What did he say about drones?")
   get the pronoun replaced by the entity it most likely refers to (person for he/she, place for there).
3. Anything else is a full question and passes through unchanged.

This is a pure function over strings: no retrieval, no model, no I/O. It does not try to be a parser;
when it cannot resolve a reference it appends the previous question as context, which still helps
retrieval because the previous entities come along.
"""

from __future__ import annotations

import re
from itertools import pairwise

_LEADS = (
    "and what about",
    "and how about",
    "what about",
    "how about",
    "what of",
    "same for",
    "and also",
    "and",
    "but",
    "also",
    "or",
    "then",
    "so",
)
_LEAD_WORDS = {"and", "but", "also", "or", "then", "so", "same", "i"}
_WH = {"who", "what", "when", "where", "why", "how", "which", "whom", "whose"}
_AUX = {
    "is",
    "are",
    "was",
    "were",
    "do",
    "does",
    "did",
    "has",
    "have",
    "had",
    "can",
    "could",
    "will",
    "would",
    "should",
    "may",
    "might",
    "must",
    "shall",
}
_PREPS = {"in", "on", "at", "to", "from", "for", "of", "with", "about", "by", "against", "into", "near", "over"}
_PERSON_PRONOUNS = {"he", "she", "him", "they", "them"}
_POSSESSIVES = {"his", "their", "hers", "its"}
_PRONOUNS = _PERSON_PRONOUNS | _POSSESSIVES | {"her", "there", "it", "this", "that", "these", "those"}
_WORD = re.compile(r"[\w'’.-]+", re.UNICODE)
# A run of capitalised words ("Volodymyr Zelensky", "New York") possibly joined by "of"/"de"/"van".
_ENTITY = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:(?:of|de|van|von|der|al|la)\s+)?[A-Z][\w'’-]*)*", re.UNICODE)


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _strip_q(text: str) -> str:
    return text.strip().rstrip("?!. ").strip()


def _split_lead(q: str) -> tuple[str, str]:
    """('and', 'Estonia') for 'and Estonia'; ('', q) when no conjunction leads."""
    low = q.lower()
    for lead in _LEADS:
        if low == lead:
            return lead, ""
        if low.startswith(lead + " ") or low.startswith(lead + ","):
            return lead, q[len(lead) :].lstrip(" ,")
    return "", q


def _entities(text: str) -> list[tuple[int, int, str]]:
    """Capitalised spans, minus a sentence-initial question word or auxiliary."""
    out = []
    for m in _ENTITY.finditer(text):
        span = m.group(0)
        first = span.split()[0].lower()
        if first in _WH or first in _AUX or first in _PRONOUNS or first in _LEAD_WORDS:
            rest = span.split(None, 1)
            if len(rest) < 2:
                continue
            start = m.start() + span.index(rest[1])
            out.append((start, m.end(), rest[1]))
        else:
            out.append((m.start(), m.end(), span))
    return out


def _prep_before(text: str, start: int) -> str:
    before = text[:start].split()
    return before[-1].lower() if before else ""


def _replace_prep_phrase(prev: str, prep: str, phrase: str) -> str:
    """Swap prev's last "<prep> ..." phrase (up to the next preposition) for `phrase`, else append it."""
    body = _strip_q(prev)
    tokens = body.split(" ")
    idx = [i for i, t in enumerate(tokens) if t.lower() == prep]
    if not idx:
        return f"{body} {phrase}?"
    i = idx[-1]
    j = next((k for k in range(i + 1, len(tokens)) if tokens[k].lower() in _PREPS), len(tokens))
    return " ".join(tokens[:i] + [phrase] + tokens[j:]) + "?"


def _substitute(prev: str, fragment: str) -> str | None:
    """Put `fragment` in place of part of prev: a preposition phrase for "in X", else the last entity."""
    words = fragment.split()
    if len(words) > 1 and words[0].lower() in _PREPS:
        cuts = [i for i, w in enumerate(words) if w.lower() in _PREPS] + [len(words)]
        out = prev
        for a, b in pairwise(cuts):  # "in Vilnius about drones" -> two phrases
            if b - a > 1:
                out = _replace_prep_phrase(out, words[a].lower(), " ".join(words[a:b]))
        return out
    ents = _entities(prev)
    if not ents or not fragment[:1].isupper():
        return None
    start, end, _span = ents[-1]
    return prev[:start] + fragment + prev[end:]


def _is_substitutable(fragment: str) -> bool:
    """An entity ("Estonia") or a preposition phrase ("in Estonia", "about drones"), not a question."""
    words = fragment.split()
    if not words or len(words) > 5:
        return False
    if words[0].lower() in _PREPS and len(words) > 1:
        return words[1].lower() not in _WH | _PRONOUNS
    return words[0][:1].isupper() and words[0].lower() not in _WH | _AUX | _PRONOUNS


def _with_context(fragment: str, prev: str) -> str:
    frag = fragment[:1].upper() + fragment[1:]
    return f"{frag}? (about: {_strip_q(prev)}?)"


def _person_and_place(prev: str, prev_answer: str) -> tuple[str | None, str | None]:
    person = place = None
    if prev.lower().startswith("who ") and prev_answer:  # "Who leads NATO?" -> the answer names the person
        ents = _entities(prev_answer[:300])
        if ents:
            person = ents[0][2]
    for start, _end, span in _entities(prev):
        if _prep_before(prev, start) in _PREPS:
            place = place or span
        else:
            person = person or span
    if person is None and prev_answer:
        ents = _entities(prev_answer[:300])
        person = ents[0][2] if ents else None
    return person, place


def _replace_pronouns(q: str, prev: str, prev_answer: str) -> str | None:
    person, place = _person_and_place(prev, prev_answer)
    changed = False

    def swap(m: re.Match) -> str:
        nonlocal changed
        word, low = m.group(0), m.group(0).lower()
        nxt = q[m.end() :].split()
        if low in _PERSON_PRONOUNS and person:
            rep = person
        elif (low in _POSSESSIVES or (low == "her" and nxt and nxt[0].lower() not in _PREPS)) and person:
            rep = person + "'s"
        elif low == "her" and person:
            rep = person
        elif low == "there" and place:
            rep = "in " + place if _prep_before(q, m.start()) not in _PREPS else place
        else:
            return word
        changed = True
        return rep

    out = re.sub(r"\b(?:he|she|him|his|her|hers|they|them|their|its|there)\b", swap, q, flags=re.IGNORECASE)
    return out[:1].upper() + out[1:] if changed else None


def _needs_pronoun_resolution(q: str) -> bool:
    words = [w.lower() for w in _words(q)]
    if not words or len(words) > 12:
        return False
    has_pronoun = any(w in _PERSON_PRONOUNS | _POSSESSIVES | {"her", "there"} for w in words)
    return has_pronoun and not _entities(q)


def resolve_followup(question: str, history: list[tuple[str, str]] | None) -> str:
    """Return a self-contained question; full questions (or no history) come back unchanged."""
    q = (question or "").strip()
    if not q or not history:
        return question
    prev, prev_answer = (history[-1][0] or "").strip(), (history[-1][1] or "")
    if not prev:
        return question
    lead, rest = _split_lead(_strip_q(q))
    if _needs_pronoun_resolution(rest):
        resolved = _replace_pronouns(rest + "?", prev, prev_answer)
        if resolved:
            return resolved if len(_words(resolved)) > 2 else _with_context(_strip_q(resolved), prev)
    n_words = len(_words(rest))
    first = rest.split()[0].lower() if rest.split() else ""
    short = n_words <= 2 or (n_words <= 3 and first not in _WH | _AUX)
    if lead or short:
        if not rest:
            return prev
        substituted = _substitute(prev, rest) if _is_substitutable(rest) else None
        if substituted:
            return substituted
        if first in _WH and n_words <= 3:
            return _with_context(rest, prev)
        if n_words <= 3:
            return _with_context(rest, prev)
        return rest[:1].upper() + rest[1:] + "?"  # "and what did NATO promise?" is a full question
    if _needs_pronoun_resolution(q):
        return _with_context(_strip_q(q), prev)
    return question
