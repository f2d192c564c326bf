"""Pages of the indexed articles, searched by title, source or doc_id: the listing behind the web chat's
Articles tab and article filter (`Assistant.articles(query, offset, limit)` -> ArticlePage).

What it does: checks the offset, limit and search text (one-line ArticleQueryError), folds the search
text (whitespace collapsed, case folded) and types the rows of `index.articles`, which reads them from
the index's SQLite metadata a page at a time (qa.listing: no article text read, nothing cached here).

What it does not do: search or page itself, rank by relevance, or render anything.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .errors import QAError
from .segment import search_fold

MAX_LIMIT = 500  # rows per page: enough for any screen, small enough that no page lists the whole archive
MAX_QUERY_CHARS = 200


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


def normalise_query(query: object) -> str:
    if query is None:
        return ""
    if not isinstance(query, str):
        raise ArticleQueryError(f"the search text must be a string, not {type(query).__name__}")
    if len(query) > MAX_QUERY_CHARS:
        raise ArticleQueryError(f"the search text is longer than {MAX_QUERY_CHARS} characters")
    return search_fold(query)


def _whole(name: str, value: object, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArticleQueryError(f"{name} must be a whole number, not {value!r}")
    if value < lo or (hi is not None and value > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f"{lo} or more"
        raise ArticleQueryError(f"{name} must be {bound} (got {value})")
    return value


def articles(index, query: str | None = "", offset: int = 0, limit: int = 50) -> ArticlePage:
    """One page of `index`'s articles whose title, source or doc_id contains `query` (case-insensitive);
    an offset past the end gives no rows, not an error."""
    offset = _whole("offset", offset, 0)
    limit = _whole("limit", limit, 1, MAX_LIMIT)
    total, rows = index.articles(normalise_query(query), offset, limit)
    return ArticlePage(" ".join((query or "").split()), offset, limit, total, [ArticleRow(**r) for r in rows])
