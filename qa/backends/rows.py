"""Row sets for filters: each document's chunk rows as a range, its date beside it, all in arrays.

A filter ({"doc_ids", "date_from", "date_to"}) becomes the sorted array of allowed chunk rows with
numpy over documents (never a Python loop over chunks per query); the backends apply that array.
Chunks of one document are contiguous rows (the build writes them so), but a document split into
several runs would still be handled. This module does not search.
"""

from __future__ import annotations

import numpy as np

FILTER_KEYS = ("doc_ids", "date_from", "date_to")


class DocRows:
    def __init__(self, doc_ids: np.ndarray, starts: np.ndarray, ends: np.ndarray, dates: np.ndarray):
        self.doc_ids, self.starts, self.ends, self.dates = doc_ids, starts, ends, dates

    @classmethod
    def from_index(cls, chunk_doc_ids: list[str], documents: dict) -> DocRows:
        """Runs of equal doc_id over the chunk rows (computed once per loaded index)."""
        per_row = np.asarray(chunk_doc_ids, dtype=str)
        if not len(per_row):
            empty = np.zeros(0, np.int64)
            return cls(per_row, empty, empty, np.zeros(0, dtype=str))
        change = np.flatnonzero(per_row[1:] != per_row[:-1]) + 1
        starts = np.concatenate([[0], change]).astype(np.int64)
        ends = np.concatenate([change, [len(per_row)]]).astype(np.int64)
        doc_ids = per_row[starts]
        # "" for an undated article: it never falls inside a date range
        dates = np.asarray([documents[d].date or "" for d in doc_ids.tolist()], dtype=str)
        return cls(doc_ids, starts, ends, dates)

    def allowed(self, filters: dict | None) -> np.ndarray | None:
        """Sorted int64 chunk rows that pass `filters`, or None when nothing is filtered."""
        if not filters or not any(filters.get(k) for k in FILTER_KEYS):
            return None
        keep = np.ones(len(self.doc_ids), dtype=bool)
        if filters.get("doc_ids"):
            keep &= np.isin(self.doc_ids, np.asarray(list(filters["doc_ids"]), dtype=str))
        lo, hi = filters.get("date_from"), filters.get("date_to")
        if lo or hi:
            keep &= self.dates != ""
        if lo:
            keep &= self.dates >= lo
        if hi:
            keep &= self.dates <= hi
        return ranges_to_rows(self.starts[keep], self.ends[keep])


def ranges_to_rows(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The rows of the half-open ranges [starts[i], ends[i]) concatenated, without a Python loop."""
    lengths = ends - starts
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, np.int64)
    offsets = np.cumsum(lengths) - lengths  # where each range begins in the output
    return (np.arange(total, dtype=np.int64) + np.repeat(starts - offsets, lengths)).astype(np.int64)
