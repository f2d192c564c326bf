"""Lazy, read-only views of a generation's segments as one index: global chunk and sentence rows.

Segment i's rows are numbered after those of segments 0..i-1. `Documents` is a Mapping doc_id ->
Document over the live documents (a deleted or replaced document is found in no older segment);
`Chunks`, `SentDoc` and `ChunkSentenceRows` are Sequences fetched row by row through each segment's
bounded caches; `rows_of` gives the vectors and spans as one array-like (the memory map itself when
there is one segment). Rows of deleted documents stay addressable (the searches skip them).
Nothing here parses every row. This module does not search (qa.listing lists and searches article
metadata a page at a time).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from .segment import Segment
from .types import Chunk, Document


class Layout:
    """Segments with the global offsets of their chunk and sentence rows."""

    def __init__(self, segments: list[Segment]):
        self.segments = segments
        self.chunk_off = np.cumsum([0] + [s.n_chunks for s in segments]).astype(np.int64)
        self.sent_off = np.cumsum([0] + [s.n_sents for s in segments]).astype(np.int64)
        # Python lists for bisect: np.searchsorted costs ~10 us a scalar call, and rows are located one by one
        self._offsets = {id(self.chunk_off): self.chunk_off.tolist(), id(self.sent_off): self.sent_off.tolist()}

    def chunk(self, row: int) -> tuple[Segment, int]:
        return self._locate(self.chunk_off, row)

    def sentence(self, row: int) -> tuple[Segment, int]:
        return self._locate(self.sent_off, row)

    def _locate(self, offsets: np.ndarray, row: int) -> tuple[Segment, int]:
        row = int(row)
        if row < 0:
            row += int(offsets[-1])
        if not 0 <= row < offsets[-1]:
            raise IndexError(row)
        if len(self.segments) == 1:
            return self.segments[0], row
        bounds = self._offsets[id(offsets)]
        i = bisect.bisect_right(bounds, row) - 1
        return self.segments[i], row - bounds[i]


class Documents(Mapping):
    """doc_id -> Document of the live documents (newest segment first: a changed article's old copy
    is deleted in its segment)."""

    def __init__(self, layout: Layout):
        self._segments = layout.segments

    def _find(self, doc_id) -> tuple[Segment, int] | None:
        if not isinstance(doc_id, str):
            return None
        for seg in reversed(self._segments):
            row = seg.doc_row(doc_id)
            if row is not None:
                return seg, row
        return None

    def __getitem__(self, doc_id: str) -> Document:
        found = self._find(doc_id)
        if found is None:
            raise KeyError(doc_id)
        return found[0].document(found[1])

    def __contains__(self, doc_id) -> bool:
        return self._find(doc_id) is not None

    def __iter__(self) -> Iterator[str]:
        for seg in self._segments:
            yield from (doc_id for _, doc_id, *_ in seg.doc_table())

    def __len__(self) -> int:
        return sum(s.n_docs - len(s.deleted) for s in self._segments)


class DocInfo(Mapping):
    """doc_id -> {"content_hash", "chunks"} of the live documents (what manifests held up to format 2)."""

    def __init__(self, layout: Layout):
        self._segments = layout.segments
        self._docs = Documents(layout)

    def __getitem__(self, doc_id: str) -> dict:
        found = self._docs._find(doc_id)
        if found is None:
            raise KeyError(doc_id)
        seg, row = found
        content_hash, chunks = seg.query("SELECT content_hash, chunks FROM documents WHERE row = ?", (row,))[0]
        return {"content_hash": content_hash, "chunks": chunks}

    def __iter__(self) -> Iterator[str]:
        return iter(self._docs)

    def __len__(self) -> int:
        return len(self._docs)


class Chunks(Sequence):
    def __init__(self, layout: Layout):
        self._layout = layout

    def __len__(self) -> int:
        return int(self._layout.chunk_off[-1])

    def __getitem__(self, row) -> Chunk:  # type: ignore[override]
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]  # type: ignore[return-value]
        seg, local = self._layout.chunk(row)
        return seg.chunk(local)


class SentDoc(Sequence):
    """sentence row -> doc_id."""

    def __init__(self, layout: Layout):
        self._layout = layout

    def __len__(self) -> int:
        return int(self._layout.sent_off[-1])

    def __getitem__(self, row) -> str:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]  # type: ignore[return-value]
        seg, local = self._layout.sentence(row)
        return seg.doc_id(seg.sent_doc_row(local))


class ChunkSentenceRows(Sequence):
    """chunk row -> its sentence rows (global)."""

    def __init__(self, layout: Layout):
        self._layout = layout

    def __len__(self) -> int:
        return int(self._layout.chunk_off[-1])

    def __getitem__(self, row) -> list[int]:
        seg, local = self._layout.chunk(row)
        base = int(self._layout.sent_off[self._layout.segments.index(seg)])
        return (seg.sentence_rows(local) + base).tolist()


class ConcatRows:
    """Row-indexed arrays of several segments read as one (int, slice or array of rows)."""

    def __init__(self, parts: list[Any], offsets: np.ndarray):
        self._parts, self._off = parts, offsets
        self._starts = offsets.tolist()  # bisect on a list: a scalar np.searchsorted costs ~10 us a call
        self.shape = (int(offsets[-1]), *parts[0].shape[1:])
        self.dtype = parts[0].dtype

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key):
        if isinstance(key, slice):
            return self._take(np.arange(*key.indices(len(self))))
        if np.ndim(key) == 0:
            row = int(key) + (len(self) if int(key) < 0 else 0)
            i = bisect.bisect_right(self._starts, row) - 1
            if not 0 <= row < len(self):
                raise IndexError(key)
            return self._parts[i][row - int(self._off[i])]
        return self._take(np.asarray(key, dtype=np.int64))

    def _take(self, rows: np.ndarray) -> np.ndarray:
        rows = np.where(rows < 0, rows + len(self), rows)
        if len(rows) and (rows.min() < 0 or rows.max() >= len(self)):
            raise IndexError("row out of range")
        out = np.empty((len(rows), *self.shape[1:]), dtype=self.dtype)
        which = np.searchsorted(self._off, rows, side="right") - 1
        for i in np.unique(which).tolist():
            sel = which == i
            out[sel] = self._parts[i][rows[sel] - self._off[i]]
        return out

    def __array__(self, dtype=None, copy=None):
        out = np.concatenate([np.asarray(p) for p in self._parts])
        return out.astype(dtype) if dtype is not None else out


def rows_of(parts: list[Any], offsets: np.ndarray):
    """One array-like over the segments' arrays: the array itself when there is one segment."""
    return parts[0] if len(parts) == 1 else ConcatRows(parts, offsets)
