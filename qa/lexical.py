"""BM25 over chunk texts (bm25s + Snowball stemming), built with the index and saved beside it.

Tokenization is shared by indexing and querying so the two always agree. Scores come back for every
chunk (not just a top-k) so that filters and fusion can work on the full ranking. It does not embed,
fuse or decide anything about answers.
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

logging.getLogger("bm25s").setLevel(logging.ERROR)
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


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | frozenset(_EXTRA_STOPWORDS)


def tokenize(text: str) -> list[str]:
    """Lower-cased, stop-word-free, stemmed tokens (the same for chunks and questions)."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in _stopwords()]
    return _stemmer().stemWords(words)


def build_bm25(texts: list[str]) -> bm25s.BM25:
    retriever = bm25s.BM25()
    # an empty token list would break bm25s; a placeholder token that no query produces keeps rows aligned
    corpus = [tokenize(t) or ["\u2400"] for t in texts]
    retriever.index(corpus, show_progress=False)
    return retriever


def save_bm25(retriever: bm25s.BM25, directory: Path) -> None:
    retriever.save(str(directory), show_progress=False)


def load_bm25(directory: Path) -> bm25s.BM25:
    return bm25s.BM25.load(str(directory), show_progress=False, verbosity=0)


def bm25_scores(retriever: bm25s.BM25, question: str, n_docs: int) -> np.ndarray:
    """BM25 score of every chunk for `question` (zeros when no query word is in the vocabulary)."""
    vocab = retriever.vocab_dict
    tokens = [t for t in tokenize(question) if t in vocab]
    if not tokens or n_docs == 0:
        return np.zeros(n_docs, dtype=np.float32)
    return np.asarray(retriever.get_scores(tokens), dtype=np.float32)
