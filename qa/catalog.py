"""Pages of the indexed articles, searched by title, source or doc_id: the listing behind the web chat's
Articles tab and article filter (`Assistant.articles(query, offset, limit)` -> ArticlePage).

What it does: once per loaded index generation it streams `index.documents` (any Mapping[str, Document])
into a compact catalog: the doc_ids in order and one case-folded string of every article's title, source
and doc_id, so a search is a C-level substring scan and a page is a slice; only the rows of the page are
read back from `index.documents`. Catalogs and recent search results are cached, both bounded.

What it does not do: keep any article's text, rank by relevance, or render anything.
"""

from __future__ import annotations

import threading
import weakref
from array import array
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from .errors import QAError
from .types import Document

MAX_LIMIT = 500  # rows per page: enough for any screen, small enough that no page lists the whole archive
MAX_QUERY_CHARS = 200
CATALOGS = 2  # generations kept: the serving one and, during a rebuild, the next
QUERIES = 32  # search results kept per catalog (paging through a search does not rescan)
_SEP, _FIELD = "\n", "\x00"  # between articles, and between one article's fields, in the search text


class ArticleQueryError(QAError, ValueError):
    """An article listing was asked with an unusable offset, limit or search text."""


@dataclass(frozen=True)
class ArticleRow:
    doc_id: str
    title: str
    date: str | None
    source: str
    chunks: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ArticlePage:
    """Rows offset..offset+limit of the articles matching `query` (all of them for ""), in doc_id order."""

    query: str
    offset: int
    limit: int
    total: int  # articles matching the query, on every page
    rows: list[ArticleRow]

    def to_dict(self) -> dict:
        return {
            "query": self.query,
            "offset": self.offset,
            "limit": self.limit,
            "total": self.total,
            "rows": [r.to_dict() for r in self.rows],
        }


def _key(doc: Document) -> str:
    # collapsed whitespace keeps _SEP out of every key and _FIELD parts a key's fields (queries never hold
    # it), so a match never spans two articles or two fields
    return _FIELD.join(" ".join(str(f or "").split()) for f in (doc.title, doc.source, doc.doc_id)).casefold()


def normalise_query(query: object) -> str:
    if query is None:
        return ""
    if not isinstance(query, str):
        raise ArticleQueryError(f"the search text must be a string, not {type(query).__name__}")
    if len(query) > MAX_QUERY_CHARS:
        raise ArticleQueryError(f"the search text is longer than {MAX_QUERY_CHARS} characters")
    return " ".join(query.replace(_FIELD, " ").split()).casefold()


def _whole(name: str, value: object, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArticleQueryError(f"{name} must be a whole number, not {value!r}")
    if value < lo or (hi is not None and value > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f"{lo} or more"
        raise ArticleQueryError(f"{name} must be {bound} (got {value})")
    return value


class Catalog:
    """The articles of one index generation, for paging and substring search (see the module doc)."""

    def __init__(self, documents: Mapping[str, Document], chunk_counts: Mapping[str, int] | None = None):
        self.documents = documents
        self.chunk_counts = chunk_counts or {}
        # one pass over the mapping; each Document (and its text) can be dropped as soon as its key is made
        pairs = sorted((doc_id, _key(doc)) for doc_id, doc in documents.items())
        self.doc_ids = [d for d, _ in pairs]
        self.starts = array("q")
        pos = 0
        for _, key in pairs:
            self.starts.append(pos)
            pos += len(key) + len(_SEP)
        self.text = _SEP.join(k for _, k in pairs)
        self._found: OrderedDict[str, list[int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.doc_ids)

    def matches(self, query: str) -> list[int] | range:
        """Positions (in doc_id order) of the articles whose key contains the normalised `query`."""
        if not query:
            return range(len(self.doc_ids))
        with self._lock:
            if query in self._found:
                self._found.move_to_end(query)
                return self._found[query]
        found, text, starts, at = [], self.text, self.starts, self.text.find(query)
        while at >= 0:
            row = bisect_right(starts, at) - 1
            found.append(row)
            nxt = starts[row + 1] if row + 1 < len(starts) else len(text)
            at = text.find(query, nxt)  # one hit per article: jump to the next one
        with self._lock:
            self._found[query] = found
            while len(self._found) > QUERIES:
                self._found.popitem(last=False)
        return found

    def page(self, query: str | None = "", offset: int = 0, limit: int = 50) -> ArticlePage:
        """Rows offset..offset+limit of the matches; an offset past the end gives no rows, not an error."""
        offset = _whole("offset", offset, 0)
        limit = _whole("limit", limit, 1, MAX_LIMIT)
        norm = normalise_query(query)
        found = self.matches(norm)
        rows = [self._row(self.doc_ids[i]) for i in found[offset : offset + limit]]
        return ArticlePage(" ".join((query or "").split()), offset, limit, len(found), rows)

    def _row(self, doc_id: str) -> ArticleRow:
        doc = self.documents[doc_id]
        return ArticleRow(doc_id, doc.title, doc.date, doc.source, int(self.chunk_counts.get(doc_id, 0)))


class _ChunkCounts(Mapping):
    """Per-article chunk counts read from the manifest on demand (no copy of the manifest's table)."""

    def __init__(self, per_doc: Mapping):
        self.per_doc = per_doc

    def __getitem__(self, doc_id: str) -> int:
        return int(self.per_doc[doc_id].get("chunks", 0))

    def __iter__(self):
        return iter(self.per_doc)

    def __len__(self) -> int:
        return len(self.per_doc)


_cache: OrderedDict[int, tuple[weakref.ref, Catalog]] = OrderedDict()
_cache_lock = threading.Lock()


def catalog_of(index) -> Catalog:
    """The Catalog of a loaded Index, built on first use and kept while the Index lives (at most CATALOGS)."""
    with _cache_lock:  # also makes concurrent first requests wait for one build instead of each making one
        for key, (ref, _) in list(_cache.items()):
            if ref() is None:  # that Index is gone (replaced by a rebuild): free its catalog and documents now
                del _cache[key]
        hit = _cache.get(id(index))
        if hit is not None and hit[0]() is index:  # the weakref guards against a reused id()
            _cache.move_to_end(id(index))
            return hit[1]
        counts = _ChunkCounts(index.manifest.get("documents", {}))
        catalog = Catalog(index.documents, counts)
        _cache[id(index)] = (weakref.ref(index), catalog)
        while len(_cache) > CATALOGS:
            _cache.popitem(last=False)
        return catalog


def articles(index, query: str | None = "", offset: int = 0, limit: int = 50) -> ArticlePage:
    """One page of `index`'s articles whose title, source or doc_id contains `query` (case-insensitive)."""
    return catalog_of(index).page(query, offset, limit)
