"""Several segments' dense and lexical backends searched as one, with deleted rows (tombstones) skipped.

Each part is (backend, row offset, deleted local rows). A search asks every segment for its own top k
and merges by score. Deleted rows are skipped by asking for k + their number when they are few
(OVERFETCH_MAX), and by passing the segment its live rows as the allowed set otherwise (the build
rewrites a segment whose deleted share grows large, so this stays rare).
BM25 stays comparable across segments: every segment rescales its precomputed scores per question
token from its own IDF to the IDF of the live rows of all segments together (the token's posting
lists, which the query reads anyway, minus deleted rows: what a full build of the same corpus
computes; Lucene instead counts deleted rows until a merge). With one segment and no deletions the
factor is exactly 1. The length normalisation of a new segment uses the average row length of the
whole index when it was written (qa.backends.bm25.BM25Index.build), not its own.
One segment with no deletions is its backend itself (qa.index does not wrap it).
This module does not fuse rankings.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .bm25 import MatchRanking, member

OVERFETCH_MAX = 256
DF_CACHE = 16_384  # tokens whose live document frequency is kept (bounded: a long chat)


class _Part:
    def __init__(self, backend, offset: int, rows: int, deleted: np.ndarray):
        self.backend, self.offset, self.rows, self.deleted = backend, int(offset), int(rows), deleted
        self._live: np.ndarray | None = None

    def local(self, allowed: np.ndarray | None) -> np.ndarray | None:
        """This segment's allowed local rows (None: all), deleted ones left out when many."""
        if allowed is not None:
            lo, hi = np.searchsorted(allowed, [self.offset, self.offset + self.rows])
            mine = allowed[lo:hi] - self.offset
            return mine[~member(mine, self.deleted)] if len(self.deleted) else mine
        if len(self.deleted) <= OVERFETCH_MAX:
            return None
        if self._live is None:
            keep = np.ones(self.rows, dtype=bool)
            keep[self.deleted] = False
            self._live = np.flatnonzero(keep).astype(np.int64)
        return self._live

    def drop_deleted(self, rows: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not len(self.deleted):
            return rows, scores
        keep = ~member(rows, self.deleted)
        return rows[keep], scores[keep]


class SegmentedDense:
    def __init__(self, parts: list[_Part]):
        self.parts = parts
        self._main = max(parts, key=lambda p: p.rows)

    @property
    def kind(self) -> str:
        return self._main.backend.kind

    @property
    def ntotal(self) -> int:
        return sum(p.backend.ntotal for p in self.parts)

    def add(self, vectors: np.ndarray) -> None:
        raise TypeError("segments are immutable: a build writes a new segment")

    def save(self, directory: Path) -> None:
        raise TypeError("segments are immutable: a build writes a new segment")

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, breadth: float = 1.0
    ) -> tuple[np.ndarray, np.ndarray]:
        rows, scores = [], []
        for p in self.parts:
            local = p.local(allowed)
            extra = len(p.deleted) if local is None else 0
            r, s = p.backend.search(query, k + extra, local, breadth)
            r, s = p.drop_deleted(r, s) if extra else (r, s)
            rows.append(r + p.offset)
            scores.append(s)
        rows_a, scores_a = np.concatenate(rows), np.concatenate(scores).astype(np.float32)
        order = np.lexsort((rows_a, -scores_a))[:k]
        return rows_a[order], scores_a[order]

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = None
        for p in self.parts:
            sel = (rows >= p.offset) & (rows < p.offset + p.rows)
            if sel.any():
                got = p.backend.vectors(rows[sel] - p.offset)
                out = np.zeros((len(rows), got.shape[1]), np.float32) if out is None else out
                out[sel] = got
        return out if out is not None else np.zeros((0, 0), np.float32)

    def describe(self) -> dict:
        """The largest segment's dense index (what the manifest's "dense" entry names)."""
        return self._main.backend.describe()

    def stats(self) -> dict:
        return self.describe() | {
            "ntotal": self.ntotal,
            "dim": self._main.backend.stats()["dim"],
            "segments": [p.backend.stats() for p in self.parts],
        }


class SegmentedLexical(MatchRanking):
    def __init__(self, parts: list[_Part]):
        self.parts = parts
        self._n = max(sum(p.rows - len(p.deleted) for p in parts), 1)  # live rows
        for p in parts:
            p.backend.idf_of = self._idf
        self.df = lru_cache(maxsize=DF_CACHE)(self._df)
        self._last: tuple[str, tuple[np.ndarray, np.ndarray]] | None = None

    @property
    def num_docs(self) -> int:
        return sum(int(p.backend.num_docs) for p in self.parts)

    def _df(self, token: str) -> int:
        """Live rows holding `token`, over all segments."""
        total = 0
        for p in self.parts:
            rows = p.backend.postings(token)
            total += len(rows) - (int(member(rows, p.deleted).sum()) if len(p.deleted) and len(rows) else 0)
        return total

    def _idf(self, token: str) -> float:
        df = self.df(token)
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))

    def _matches(self, question: str) -> tuple[np.ndarray, np.ndarray]:
        last = self._last
        if last is not None and last[0] == question:
            return last[1]
        rows, scores = [], []
        for p in self.parts:
            r, s = p.drop_deleted(*p.backend._matches(question))
            rows.append(r + p.offset)
            scores.append(s)
        result = (np.concatenate(rows), np.concatenate(scores))
        self._last = (question, result)
        return result

    def idf(self, power: float = 1.0):
        return GlobalIdf(self, power)

    def save(self, directory: Path) -> None:
        raise TypeError("segments are immutable: a build writes a new segment")

    def stats(self) -> dict:
        return {"backend": "bm25s", "rows": self.num_docs, "segments": [p.backend.stats() for p in self.parts]}


class GlobalIdf:
    """token -> IDF ** power over all segments (the answerer's weights), computed when asked."""

    def __init__(self, lexical: SegmentedLexical, power: float):
        self._lex, self._power = lexical, power
        self.unknown = self._value(0)

    def _value(self, df: int) -> float:
        n = self._lex._n
        return math.log(1 + (n - df + 0.5) / (df + 0.5)) ** self._power

    def __getitem__(self, token: str) -> float:
        df = self._lex.df(token)
        if not df:
            raise KeyError(token)
        return self._value(df)

    def get(self, token: str, default=None):
        try:
            return self[token]
        except KeyError:
            return default

    def __contains__(self, token) -> bool:
        return bool(self._lex.df(token))


def combine(segments) -> tuple[Any, Any]:
    """(dense, lexical) of opened segments (qa.segment.Segment) as one; the backends themselves for one
    segment without deletions."""
    if len(segments) == 1 and not len(segments[0].deleted):
        return segments[0].dense, segments[0].lexical
    dense, lexical, offset = [], [], 0
    for seg in segments:
        dead = seg.dead_chunk_rows()
        dense.append(_Part(seg.dense, offset, seg.n_chunks, dead))
        lexical.append(_Part(seg.lexical, offset, seg.n_chunks, dead))
        offset += seg.n_chunks
    return SegmentedDense(dense), SegmentedLexical(lexical)
