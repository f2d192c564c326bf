"""Example questions generated from the corpus's own text, so every corpus gets its own examples.

It finds, with plain regular expressions (no model, no network):
- speakers: capitalised names next to a reporting verb ("Zelensky said", "said Stoltenberg"),
- topics: content-word bigrams that recur across articles ("air defence"),
- places: capitalised names after "in/to/at/from" ("in Vilnius"),
and fills a few templates ("What did <speaker> say about <topic>?", "What happened in <place>?",
"What do the articles say about <topic>?"), falling back to article titles. Output is deterministic
for a given corpus and holds only plain text (no markup characters).

It does not check that the questions are answerable, nor does it read more than the first few
thousand characters of the first few hundred documents (it runs when the web page is built).
"""

from __future__ import annotations

import re
from collections import Counter

from qa.entities import country_code
from qa.types import Document
from qa.words import is_topic_word, raw_tokens

MAX_DOCS = 300
MAX_CHARS = 6000
_NAME = r"[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,2}"
_REPORT = r"(?:said|says|told|stated|added|noted|warned|announced|urged|asked|explained)"
_SPEAKER_BEFORE = re.compile(rf"({_NAME})\s*,?\s+{_REPORT}\b")
_SPEAKER_AFTER = re.compile(rf"\b{_REPORT}\s+({_NAME})")
_PLACE = re.compile(rf"\b(?:in|to|at|from|visit to|capital of)\s+({_NAME})")
_TITLES = set(
    """
    president minister secretary general prime chancellor leader spokesman spokeswoman mr mrs ms dr sir
    chief head mayor governor senator defense defence foreign national deputy councillor councilor rector
    professor judge ambassador commissioner director ceo chairman chairwoman spokesperson coach captain
    manager king queen pope lord lady colonel officer inspector detective
    """.split()
)
_NOT_NAMES = set(
    """
    the a an he she it they we i you this that there these those his her their its our who which what but
    and as in on at for if when while after before also however officials monday tuesday wednesday thursday
    friday saturday sunday january february march april may june july august september october november
    december today yesterday reuters ap afp dpa
    """.split()
)


def _clean_name(name: str) -> str | None:
    words = name.split()
    # a title or a country's demonym/name before a name ("Estonian President Alar Karis" -> "Alar Karis")
    titled = [i for i, w in enumerate(words) if w.lower().strip(".") in _TITLES or country_code(w)]
    if titled:
        words = words[titled[-1] + 1 :]
    while words and words[0].lower() in _NOT_NAMES:
        words = words[1:]
    if not words or any(w.lower() in _NOT_NAMES for w in words) or len(words[-1]) < 3:
        return None
    return " ".join(words)


def _count_names(pattern: re.Pattern, texts: list[str]) -> Counter:
    """Document frequency of cleaned names matched by `pattern`."""
    counts: Counter = Counter()
    for text in texts:
        found = {n for m in pattern.finditer(text) if (n := _clean_name(m.group(1)))}
        counts.update(found)
    return counts


def _mid_sentence(name: str, joined: str) -> bool:
    """A real name shows up capitalised mid-sentence at least once ("Critics said" only starts sentences)."""
    return re.search(rf"[\w,;:’'\)] +{re.escape(name)}\b", joined) is not None


def _full_names(counts: Counter, texts: list[str]) -> dict[str, str]:
    """Map a short name ("Zelensky") to the longest spelling seen ending with it ("Volodymyr Zelensky")."""
    out = {}
    joined = "\n".join(texts)
    for name in counts:
        longer = re.findall(rf"\b((?:[A-Z][\w'’-]+\s+){{1,2}}{re.escape(name)})\b", joined)
        cleaned = [c for c in (_clean_name(x) for x in longer) if c and c.endswith(name)]
        out[name] = max(cleaned, key=lambda s: (len(s.split()), s), default=name)
    return out


def _bigrams(text: str) -> list[str]:
    """Adjacent pairs of lowercase content words (names and numbers excluded), in text order."""
    words = raw_tokens(text)
    ok = [is_topic_word(w) for w in words]
    return [f"{words[i]} {words[i + 1]}" for i in range(len(words) - 1) if ok[i] and ok[i + 1]]


def _topics(texts: list[str]) -> Counter:
    """Document frequency of lowercase content bigrams."""
    counts: Counter = Counter()
    for text in texts:
        counts.update(set(_bigrams(text)))
    return counts


def _same_person(a: str, b: str) -> bool:
    """'Zelensky' / 'Zelenskyy' / 'Volodymyr Zelenskyi' are one person for our purpose."""
    x, y = a.split()[-1].lower(), b.split()[-1].lower()
    return x[:7] == y[:7]


def _distinct(names: list[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        if not any(_same_person(name, seen) for seen in out):
            out.append(name)
    return out


def _ranked(counts: Counter, min_df: int = 1) -> list[str]:
    return [k for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if v >= min_df]


def _topic_near(name: str, texts: list[str], topics: list[str]) -> str | None:
    """The most frequent corpus topic in sentences mentioning `name`."""
    local: Counter = Counter()
    top = set(topics[:50])
    for text in texts:
        for sent in re.split(r"(?<=[.!?])\s+", text):
            if name in sent:
                local.update(g for g in _bigrams(sent) if g in top)
    ranked = _ranked(local)
    return ranked[0] if ranked else None


def _title_question(doc: Document) -> str | None:
    title = re.sub(r"[^\w\s,'’:;%-]", " ", doc.title or "")
    title = " ".join(title.split()).strip(" ,:;-")
    return f"What is reported in “{title}”?" if 3 <= len(title.split()) <= 14 else None


def _candidates(docs: list[Document]) -> list[str]:
    texts = [d.text[:MAX_CHARS] for d in docs[:MAX_DOCS]]
    topics = _ranked(_topics(texts), min_df=2 if len(texts) > 2 else 1)
    speakers = _count_names(_SPEAKER_BEFORE, texts) + _count_names(_SPEAKER_AFTER, texts)
    joined = "\n".join(texts)
    speakers = Counter({n: c for n, c in speakers.items() if _mid_sentence(n, joined)})
    full = _full_names(speakers, texts)
    speaker_list = _distinct([full[n] for n in _ranked(speakers)])
    places = [p for p in _ranked(_count_names(_PLACE, texts)) if not any(p in s or s in p for s in speaker_list)]
    out, used_topics = [], set()
    for name in speaker_list[:3]:
        topic = _topic_near(name.split()[-1], texts, topics)
        out.append(f"What did {name} say about {topic}?" if topic else f"What did {name} say?")
        used_topics.add(topic)
    out[1:1] = [f"What happened in {p}?" for p in places[:1]]
    out[2:2] = [f"What do the articles say about {t}?" for t in topics if t not in used_topics][:1]
    out += [f"What happened in {p}?" for p in places[1:3]]
    out += [q for q in (_title_question(d) for d in docs[:MAX_DOCS]) if q]
    return out


def example_questions(documents: list[Document], n: int = 4) -> list[str]:
    """Up to `n` distinct, plain-text questions drawn from the corpus (empty corpus -> [])."""
    if not documents or n <= 0:
        return []
    seen, out = set(), []
    for q in _candidates(list(documents)):
        key = q.lower()
        if key not in seen and len(q) <= 200:
            seen.add(key)
            out.append(q)
        if len(out) == n:
            break
    return out
