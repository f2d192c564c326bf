"""Words for lexical matching: the tokenizers, the one Snowball stemmer and the stop-word lists.

Three callers need words, for three different jobs, and each job has its own tokens:
  * index_terms - BM25 and the answerer's word overlap (qa.lexical, qa.answer): lower-cased,
    stop-word-free, stemmed; the same function for chunks and questions, so the two always agree.
  * content_terms - what a model's claim asserts (qa.llm.verify): accents folded, numbers kept whole
    ("1,000" -> "1000"), possessives dropped, stemmed.
  * topic_words - the lowercase content words that example questions are built from (qa.examples):
    not stemmed, because they are shown to the user.
The stop-word lists share one core of English function words and reporting verbs; each job adds the
few words that only it must ignore (below, with the reason). Changing a list or a token pattern
changes BM25 scores, so an index built before the change would no longer match its questions: the
tests pin the tokens. It does not score, rank or embed anything.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Function words, wh-words, auxiliaries and reporting verbs: they say nothing about which passage holds
# an answer, nor what a claim asserts ("what did X say about ..."). Shared by every list below.
CORE_STOPWORDS = frozenset(
    """
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing each few for from further had has have having he her
here hers him his how i if in into is it its just me more most my no nor not of on only or other our
ours out over own same she should so some such than that the their then there these they this to too
under until up very was we were what when where which who whom why will with would you your said says
say according told""".split()
)

# BM25 and the answerer: bm25s's 33 English stop words are all in the core; questions also carry these.
INDEX_STOPWORDS = CORE_STOPWORDS | frozenset(
    """
done may might must one ones s saying shall t tell tells whose""".split()
)

# Claims: the core plus pronouns, adverbs and titles that never make a claim true or false.
CLAIM_STOPWORDS = CORE_STOPWORDS | frozenset(
    """
down during herself himself itself mr ms now off once theirs them those through while""".split()
)

# Topics of example questions: the claim list plus words that make dull topics ("last week", "two
# years", "many people"). "say" was never in it (it has kept no dull topic out so far); "mr"/"ms" are
# too short to be topic words anyway.
TOPIC_STOPWORDS = (CLAIM_STOPWORDS - {"say", "mr", "ms"}) | frozenset(
    """
already amid among another around back day days early end first five four group however including last
late least less like made make many may might month months much must near new next number one part
people per percent second several since still three time times two upon way week weeks well within
year years""".split()
)

_INDEX_TOKEN = re.compile(r"(?u)\b\w\w+\b|\b\d\b")  # keep single digits: "3 missiles" matters in news
_CLAIM_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)?")  # "1,000", "Zelensky’s"
_RAW_TOKEN = re.compile(r"[\w'’-]+")  # words as written, for adjacency (bigrams)
_TOPIC_WORD = re.compile(r"[a-z][a-z'-]{2,}")  # lowercase, 3+ letters: no names, no numbers


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer, a base requirement

    return Stemmer.Stemmer("english")


def stem(words: list[str]) -> list[str]:
    """English Snowball stems of lower-case words, in order."""
    return _stemmer().stemWords(words)


def fold(text: str) -> str:
    """Text without accents ("naïve" -> "naive"), so spellings with and without them match."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def index_terms(text: str) -> list[str]:
    """Lower-cased, stop-word-free, stemmed tokens for BM25 (the same for chunks and questions)."""
    return stem([w for w in _INDEX_TOKEN.findall(text.lower()) if w not in INDEX_STOPWORDS])


def claim_words(text: str) -> list[str]:
    """Words and numbers of a claim as written (accents folded, case kept), in order."""
    return _CLAIM_WORD.findall(fold(text))


def content_terms(text: str) -> set[str]:
    """Stemmed content words and numbers: what a claim asserts, minus function words."""
    words = [w.lower().replace("’", "'").replace(",", "") for w in claim_words(text)]
    words = [w[:-2] if w.endswith("'s") else w for w in words]
    return set(stem([w for w in words if w not in CLAIM_STOPWORDS and (len(w) > 1 or w.isdigit())]))


def raw_tokens(text: str) -> list[str]:
    """Words as written, apostrophes and hyphens inside them kept ("Zelensky’s", "long-term")."""
    return _RAW_TOKEN.findall(text)


def is_topic_word(token: str) -> bool:
    """A lowercase content word of 3+ letters (names, numbers and stop words are not topics)."""
    return bool(_TOPIC_WORD.fullmatch(token)) and token not in TOPIC_STOPWORDS
