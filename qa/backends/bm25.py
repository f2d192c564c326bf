"""The bm25s lexical backend: BM25 over chunk texts, tokenized by qa.lexical.tokenize.

A question is scored only on the rows its words occur in (the posting lists of its tokens in bm25s's
precomputed score matrix), never on every row, and its top-k comes from a partial selection. The
arithmetic is bm25s's own, in the same order, so scores equal `BM25.get_scores` exactly. Loading
memory-maps the score matrix; a question's posting lists are read from its files with one pread each
(`Ranges`). IDF for the answerer is computed per token on demand. This module does not fuse rankings
or answer anything.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import bm25s
import numpy as np

from ..lexical import tokenize
from ..rowfile import open_random

logging.getLogger("bm25s").setLevel(logging.ERROR)
DIR = "bm25"
EMPTY = "\u2400"  # a placeholder token no question produces: bm25s cannot index an empty row


class IdfTable(Mapping):
    """token -> BM25 IDF ** power, computed when asked (a big vocabulary is never walked whole)."""

    def __init__(self, vocab: dict, indptr: np.ndarray, num_docs: int, power: float):
        self._vocab, self._indptr, self._power = vocab, indptr, power
        self._n = max(int(num_docs), 1)
        self.unknown = self._value(0)

    def _value(self, df: int) -> float:
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5)) ** self._power

    def __getitem__(self, token: str) -> float:
        i = self._vocab[token]
        if i + 1 >= len(self._indptr):
            raise KeyError(token)
        return self._value(int(self._indptr[i + 1]) - int(self._indptr[i]))

    def __iter__(self) -> Iterator[str]:
        return (t for t, i in self._vocab.items() if i + 1 < len(self._indptr))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class Ranges:
    """Slices [a, b) of a 1-D array. A memory-mapped .npy file is read with one pread per slice: page
    faults on the map read around each one as far as the device's read-ahead (8 MB here), which made a
    question at 1M chunks read ~33 MB of posting lists from a cold cache where it uses ~4 MB (measured,
    benchmarks/scale.py archive), and left every page it touched resident in the process."""

    def __init__(self, array: np.ndarray):
        self.array, self._fd, self._name = array, None, ""
        if isinstance(array, np.memmap) and array.filename and array.ndim == 1:
            self._name = str(array.filename)
            self._fd = open_random(self._name)
            self._offset, self._item = int(array.offset), array.dtype.itemsize

    def __del__(self):
        fd = getattr(self, "_fd", None)
        if fd is not None:
            os.close(fd)

    def __len__(self) -> int:
        return len(self.array)

    def prefetch(self, spans: list[tuple[int, int]]) -> None:
        """Ask the kernel for several slices at once (asynchronous), before reading them one by one: from
        a cold cache the disk then serves them together (at 1M chunks, questions whose posting lists
        were not cached: p50 77 -> 62 ms, benchmarks/scale.py --seed)."""
        if self._fd is not None and len(spans) > 1 and hasattr(os, "posix_fadvise"):
            for a, b in spans:
                if b > a:
                    os.posix_fadvise(
                        self._fd, self._offset + a * self._item, (b - a) * self._item, os.POSIX_FADV_WILLNEED
                    )

    def __call__(self, a: int, b: int) -> np.ndarray:
        if self._fd is None or b <= a:
            return self.array[a:b]
        data = os.pread(self._fd, (b - a) * self._item, self._offset + a * self._item)
        if len(data) != (b - a) * self._item:
            raise ValueError(f"{self._name} ended early")
        return np.frombuffer(data, dtype=self.array.dtype)


class MatchRanking:
    """top_k and scores_for over `_matches(question) -> (rows ascending, scores)`: one segment's BM25 and
    several segments seen as one rank the same way."""

    def _matches(self, question: str) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def top_k(self, question: str, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        rows, scores = self._matches(question)
        keep = scores > 0
        if allowed is not None:
            keep &= member(rows, allowed)
        return best_k(rows[keep], scores[keep], k)

    def scores_for(self, question: str, rows: np.ndarray) -> np.ndarray:
        matched, scores = self._matches(question)
        rows = np.asarray(rows, dtype=np.int64)
        if not len(matched):
            return np.zeros(len(rows), dtype=np.float32)
        pos = np.minimum(np.searchsorted(matched, rows), len(matched) - 1)
        return np.where(matched[pos] == rows, scores[pos], 0.0).astype(np.float32)


class BM25Index(MatchRanking):
    def __init__(self, retriever: bm25s.BM25, path: Path = Path(DIR)):
        self.retriever, self.path = retriever, path
        self._data, self._indices = Ranges(retriever.scores["data"]), Ranges(retriever.scores["indices"])
        self._last: tuple[str, tuple[np.ndarray, np.ndarray]] | None = None
        self.idf_of: Callable[[str], float] | None = None  # the global IDF, set for a segment of many
        self.tokens = 0  # tokens indexed (set by build; the manifest keeps it for later segments)

    @classmethod
    def build(cls, texts: Iterable[str], prior: tuple[int, int] = (0, 0)) -> BM25Index:
        """BM25 over `texts`. `prior` = (tokens, rows) of the other segments of the index: the length
        normalisation then uses the average row length of all of them, so that a small new segment
        scores like the rows of the base (with its own average, one changed article's chunks scored
        up to 15% off their full-build scores on the news set)."""
        tokens = [tokenize(t) or [EMPTY] for t in texts]
        total = sum(len(t) for t in tokens)
        avg = (total + prior[0]) / max(len(tokens) + prior[1], 1)
        retriever = bm25s.BM25()
        with _average_length(avg if prior[1] else None):
            retriever.index(tokens, show_progress=False)
        index = cls(retriever)
        index.tokens = total
        return index

    @classmethod
    def load(cls, gen: Path, mmap: bool = False) -> BM25Index:
        path = Path(gen) / DIR
        return cls(bm25s.BM25.load(str(path), mmap=mmap, show_progress=False, verbosity=0), path)

    def save(self, directory: Path) -> None:
        self.retriever.save(str(Path(directory) / DIR), show_progress=False)

    @property
    def num_docs(self) -> int:
        return int(self.retriever.scores["num_docs"])

    def postings(self, token: str) -> np.ndarray:
        """The rows `token` occurs in (empty when never indexed)."""
        i = self.retriever.vocab_dict.get(token)
        indptr = self.retriever.scores["indptr"]
        if i is None or i + 1 >= len(indptr):
            return np.zeros(0, np.int64)
        return self._indices(int(indptr[i]), int(indptr[i + 1]))

    def _matches(self, question: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) of every row holding a question token, rows ascending (last question cached:
        top_k and scores_for of one query share it). With `idf_of` set (an index of several segments),
        each token's precomputed scores are rescaled from this segment's IDF to the global one."""
        last = self._last  # read once: another thread may replace it meanwhile
        if last is not None and last[0] == question:
            return last[1]
        indptr, n_data = self.retriever.scores["indptr"], len(self._data)
        vocab = self.retriever.vocab_dict
        # duplicates kept: bm25s counts a repeated question word twice, and so must we
        tokens = [t for t in tokenize(question) if t in vocab and vocab[t] + 1 < len(indptr)]
        if not tokens:
            result = (np.zeros(0, np.int64), np.zeros(0, np.float32))
        else:
            spans = [(int(indptr[vocab[t]]), int(indptr[vocab[t] + 1])) for t in tokens]
            if any(not 0 <= a <= b <= n_data for a, b in spans):  # loading checked no posting list
                self._damaged("indptr.csc.index.npy")
            # one dense accumulator over the segment's rows: a token's posting list holds each row once,
            # so a fancy-indexed += is exact, and flatnonzero gives the matched rows sorted; at 1M rows
            # this took a third of the time of np.add.at over a sorted union (measured, scale.py archive)
            acc = np.zeros(self.num_docs, dtype=np.float32)
            self._data.prefetch(spans)
            self._indices.prefetch(spans)
            for t, (a, b) in zip(tokens, spans, strict=True):  # token by token, as bm25s adds them
                part, where = self._data(a, b), self._indices(a, b)
                if len(where) and not 0 <= where.min() <= where.max() < self.num_docs:
                    self._damaged("indices.csc.index.npy")
                if self.idf_of is not None:
                    part = part * np.float32(self.idf_of(t) / self._idf(b - a))
                acc[where] += part
            rows = np.flatnonzero(acc).astype(np.int64)  # BM25 weights are > 0: nonzero = matched
            result = (rows, acc[rows])
        self._last = (question, result)
        return result

    def _damaged(self, name: str) -> None:
        from ..errors import IndexCorruptError

        raise IndexCorruptError(f"{self.path / name} is damaged; run `python -m qa build --full`")

    def _idf(self, df: int) -> float:
        n = max(self.num_docs, 1)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def idf(self, power: float = 1.0) -> IdfTable:
        return IdfTable(self.retriever.vocab_dict, self.retriever.scores["indptr"], self.num_docs, power)

    def stats(self) -> dict:
        s = self.retriever.scores
        return {
            "backend": "bm25s",
            "rows": self.num_docs,
            "vocabulary": len(self.retriever.vocab_dict),
            "postings": int(len(s["data"])),
        }


_BUILD = threading.Lock()


@contextmanager
def _average_length(avg: float | None):
    """bm25s computes the average row length inside `index` with no parameter for it: its scoring step
    is given `avg` instead while this block runs (builds hold the lock; queries never call it)."""
    if avg is None:
        yield
        return
    original = bm25s._build_scores_and_indices_for_matrix
    with _BUILD:
        bm25s._build_scores_and_indices_for_matrix = lambda *a, **k: original(*a, **(k | {"avg_doc_len": avg}))
        try:
            yield
        finally:
            bm25s._build_scores_and_indices_for_matrix = original


def best_k(rows: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best (rows, scores), best first, by partial selection; rows tied with the k-th best score
    are taken lowest first (a stable full sort's order)."""
    if k < len(rows):
        kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
        above = np.flatnonzero(scores > kth)
        ties = np.flatnonzero(scores == kth)[: k - len(above)]
        sel = np.concatenate([above, ties])
        rows, scores = rows[sel], scores[sel]
    order = np.lexsort((rows, -scores))
    return rows[order], scores[order]


def member(rows: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Which of `rows` are in the sorted array `allowed` (a binary search each, no set of all rows)."""
    if not len(allowed):
        return np.zeros(len(rows), dtype=bool)
    pos = np.minimum(np.searchsorted(allowed, rows), len(allowed) - 1)
    return allowed[pos] == rows
