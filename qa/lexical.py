"""BM25 over chunk texts (bm25s), built with the index and saved beside it.

Tokens come from qa.words.index_terms (stemmed, stop words removed) for chunks and questions alike.
Scores come back for every chunk (not just a top-k) so that filters and fusion can work on the full
ranking. It does not embed,
fuse or decide anything about answers.
"""
from __future__ import annotations

import logging
from pathlib import Path

import bm25s
import numpy as np

from .words import index_terms

logging.getLogger("bm25s").setLevel(logging.ERROR)
# One tokenizer for chunks and questions (qa.words): the index and the queries always agree.
tokenize = index_terms


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
