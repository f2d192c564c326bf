"""The one tokenizer for BM25 and the answerer: lower-cased, stop-word-free, Snowball-stemmed words.

Indexing and querying share it so the two always agree. The BM25 index itself lives in
qa.backends.bm25. It does not embed, score, fuse or decide anything about answers.
"""
from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

_TOKEN = re.compile(r"(?u)\b\w\w+\b|\b\d\b")  # keep single digits: "3 missiles" matters in news


@lru_cache(maxsize=1)
def _stemmer():
    return Stemmer.Stemmer("english")


# bm25s ships only 33 English stop words; questions also carry wh-words, auxiliaries and reporting
# verbs that say nothing about which passage holds the answer ("what did X say about ...").
_EXTRA_STOPWORDS = """what which who whom whose when where why how did does do done doing has have had having
were been being am can could would should shall may might must about above after again against all any
because before below between both each few from further he her here hers him his i me more most my
nor only other our ours out over own same she so some than too under until up very we what you your
its also one ones said say says saying told tell tells according s t just""".split()


# bm25s's STOPWORDS_EN, copied so that only qa.backends imports bm25s
_BM25S_STOPWORDS = """a an and are as at be but by for if in into is it no not of on or such that the their then
there these they this to was will with""".split()


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    return frozenset(_BM25S_STOPWORDS) | frozenset(_EXTRA_STOPWORDS)


def tokenize(text: str) -> list[str]:
    """Lower-cased, stop-word-free, stemmed tokens (the same for chunks and questions)."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in _stopwords()]
    return _stemmer().stemWords(words)
