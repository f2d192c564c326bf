"""Countries and their demonyms, and comparison keys for the names in questions and sentences.

What it does: builds, once, a table of the ways English news names a country (its name, Latin-script
alternative names, demonym and its plural, and acronyms of its multi-word names that are also its
ISO code) from the maintained `countryinfo` package (MIT; data from the REST Countries project),
plus a few common short forms that the data lacks (`_SHORT_FORMS`). `country_spans` finds them in
text; `word_key` turns a word into the key two texts are compared by: "@FR" for "France" and "French";
a Snowball stem with British/American spelling folded otherwise
("defence"/"defense", "Democrats"/"Democrat"). It does not recognise people or organisations
(qa.qtype and qa.offices work on capitalised names) and holds no word list of any article.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import Stemmer

# Short forms English news uses that countryinfo's altSpellings lack; keyed by ISO alpha-2.
_SHORT_FORMS = {
    "GB": ("Britain", "Briton", "Britons", "Brits"),
    "US": ("America", "U.S.", "U.S.A."),
    "NL": ("Holland",),
}
_BIG = 30_000_000  # two-letter acronyms of smaller countries are too often something else
_STEMMER = Stemmer.Stemmer("english")
_JOINERS = {"of", "and", "the", "da", "de", "du", "y"}


def _initials(name: str) -> str:
    return "".join(w[0] for w in name.split() if w.lower() not in _JOINERS and w[:1].isupper())


def _forms(info: Mapping[str, Any]) -> set[str]:
    """The ways English text names one country (case kept: matching is case-sensitive)."""
    name, dem = info.get("name") or "", info.get("demonym") or ""
    iso = info.get("ISO") or {}
    codes = {iso.get("alpha2"), iso.get("alpha3")}
    forms = {name} if name else set()
    if dem and dem != name:
        forms |= {dem, dem + "s"} if not dem.endswith(("ese", "ss", "sh", "ch", "i")) else {dem}
        if dem.endswith("i"):  # "Israeli" -> "Israelis", "Iraqi" -> "Iraqis"
            forms.add(dem + "s")
    for alt in info.get("altSpellings") or []:
        if not alt.isascii() or alt in codes:
            continue
        if " " in alt or alt.isupper():  # "Great Britain", "UK"; single lower-case words are not forms
            forms.add(alt)
    for long in [name] + [a for a in info.get("altSpellings") or [] if " " in a]:
        acro = _initials(long)
        if len(acro) >= 2 and acro in codes:  # "United States" -> "US" (its own ISO code)
            forms.add(".".join(acro) + ".")
            # an undotted two-letter form is also a word or an abbreviation of something else ("AS")
            if len(acro) > 2 or int(info.get("population") or 0) >= _BIG:
                forms.add(acro)
    return {f for f in forms if len(f) >= 2}


@functools.lru_cache(maxsize=1)
def _table() -> tuple[dict[str, str], re.Pattern, dict[str, tuple[str, ...]]]:
    """(form -> ISO code, a pattern finding every form, ISO code -> its common name and demonym)."""
    from countryinfo import all_countries

    best: dict[str, tuple[int, str]] = {}  # form -> (population, code): a shared demonym goes to the bigger
    names: dict[str, tuple[int, tuple[str, ...]]] = {}  # code -> (population, forms): "GB" is the UK, not Wales
    for country in all_countries():
        info = country.info()
        code = (info.get("ISO") or {}).get("alpha2")
        if not code:
            continue
        forms = _forms(info) | set(_SHORT_FORMS.get(code, ()))
        pop = int(info.get("population") or 0)
        for f in forms:
            if f not in best or pop > best[f][0]:
                best[f] = (pop, code)
        if code not in names or pop > names[code][0]:
            names[code] = (pop, tuple(f for f in (info.get("name"), info.get("demonym")) if f))
    table = {f: code for f, (_, code) in best.items()}
    pattern = re.compile(rf"(?<![\w.])(?:{_trie_regex(table)})(?![\w])(?:['’]s)?")
    return table, pattern, {code: forms for code, (_, forms) in names.items()}


def _trie_regex(words) -> str:
    """An alternation of `words` factored into a prefix trie: the same matches, longest first, as a flat
    longest-first alternation, at a fraction of the cost (Python's re tries a flat one word by word at every
    position of the text; every sentence the answerer reads goes through it)."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


def country_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, ISO code) of every country name, demonym or short form in `text`."""
    table, pattern, _ = _table()
    out = []
    for m in pattern.finditer(text):
        form = re.sub(r"['’]s$", "", m.group())
        if form in table:
            out.append((m.start(), m.end(), table[form]))
    return out


def country_expansion(text: str, modifiers_only: bool = False) -> str:
    """The common name and demonym of each country `text` names, in the form it does not use: words a
    lexical search should also match ("president of Nigeria" -> "Nigerian", "French" -> "France").
    With `modifiers_only`, only countries that qualify a noun ("Nigeria's", "of Nigeria", "Nigerian
    troops"): those are the ones news writes in the other form; "fired at Ukraine" stays as it is."""
    used = _word_run(text)
    extra = []
    spans = country_spans(text)
    if modifiers_only:
        spans = [s for s in spans if _qualifies(text, s[0], s[1])]
    for code in dict.fromkeys(c for _, _, c in spans):
        # a form is used when all its words stand together in the text ("United States", not just "states")
        extra += [f for f in _table()[2].get(code, ()) if _word_run(f) not in used and f not in extra]
    return " ".join(extra)


def _qualifies(text: str, start: int, end: int) -> bool:
    """The country form at text[start:end] qualifies a noun: possessive, after "of", or before a word."""
    before, after = text[:start], text[end:]
    return bool(
        re.search(r"['’]s$", text[start:end])
        or re.search(r"\bof\s+(the\s+)?$", before, re.I)
        or re.match(r"\s+[A-Za-z]", after)
    )


def _word_run(text: str) -> str:
    """Lower-case words between spaces, so a phrase's run is found inside a text's run."""
    return " " + " ".join(re.findall(r"\w+", text.lower())) + " "


def country_code(word: str) -> str | None:
    return _table()[0].get(re.sub(r"['’]s$", "", word.strip()))


def stem(word: str) -> str:
    """Snowball stem with British/American spellings folded ("defence" and "defense" meet)."""
    w = re.sub(r"['’]s?$", "", word.lower())
    w = re.sub(r"ence$", "ense", re.sub(r"is(e|ed|es|ing|ation)$", r"iz\1", w))
    return _STEMMER.stemWord(w)


def word_key(word: str) -> str:
    """ "@FR" for a country form, else the folded stem."""
    code = country_code(word)
    return f"@{code}" if code else stem(word)


def name_keys(text: str) -> set[str]:
    """Keys of the capitalised words of `text`: countries as "@XX" (multi-word names too), others stemmed."""
    keys, taken = set(), []
    for s, e, code in country_spans(text):
        keys.add(f"@{code}")
        taken.append((s, e))
    for m in re.finditer(r"[A-Z][\w'’-]*", text):
        if not any(s <= m.start() < e for s, e in taken) and len(m.group()) > 1:
            keys.add(stem(m.group()))
    return keys


def text_keys(text: str) -> set[str]:
    """Keys of every word of `text` (any case), countries included: what a question's names are looked up in."""
    words = re.findall(r"\w[\w'’-]*", text)
    # a hyphenated word's parts too: a question's "Qa'ida" (its capitalised part) meets "al-Qa'ida"
    parts = [p for w in words if "-" in w for p in w.split("-") if p]
    return {stem(w) for w in words + parts} | {f"@{c}" for _, _, c in country_spans(text)} | _acronym_keys(text)


_RUN = re.compile(r"[A-Z][a-z]+(?:\s+(?:(?:of|and|for|the)\s+)?[A-Z][a-z]+)+")


def _acronym_keys(text: str) -> set[str]:
    """Keys of the initials of each run of capitalised words, with and without its small words: a
    question's "NSW" or "FBI" meets "New South Wales" or "Federal Bureau of Investigation"."""
    out = set()
    for m in _RUN.finditer(text):
        words = m.group().split()
        for letters in ([w[0] for w in words if w[0].isupper()], [w[0] for w in words]):
            if 2 <= len(letters) <= 6:
                out.add(stem("".join(letters)))
    return out


@functools.lru_cache(maxsize=1)
def _places() -> frozenset[str]:
    """Names of the world's provinces, states and capitals (countryinfo, as the country table): names that
    say by themselves they are places ("New South Wales", "Kabul")."""
    from countryinfo import all_countries

    out: set[str] = set()
    for country in all_countries():
        info = country.info()
        capital: str | list[str] = info.get("capital") or []  # a name, or a list of them
        capitals = [capital] if isinstance(capital, str) else capital
        out.update(p for p in [*(info.get("provinces") or []), *capitals] if p)
    return frozenset(out)


def is_place_name(name: str) -> bool:
    """A country, province, state or capital, named whole ("Queensland", "Western Australia's")."""
    name = re.sub(r"['’]s?$", "", name.strip())
    return name in _places() or country_code(name) is not None
