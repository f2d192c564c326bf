"""Pages of a generation's live articles in doc_id order, optionally searched: the metadata behind
`Index.articles` (and so the web chat's Articles tab, its article filter and `Assistant.documents`).

A search keeps the articles whose title, source or doc_id contains the query as a substring, both in
`search_fold` form (whitespace runs collapsed, Unicode case folding), matching within one field. SQLite
does the work: LIKE decides every ASCII field (LIKE folds ASCII letters, which is all case folding does to
those), and only fields with other characters (accents, curly quotes) go through the Python fold, and
only when LIKE did not already match them. Whitespace inside an ASCII source or doc_id is matched as
written (titles have theirs collapsed when loaded; the query always has its own collapsed).

Cost: segments written with the listing index (qa.segment_write) are listed from it alone, so no article
text is read; a count per segment (none without a query), then the page read from whichever
end of the list is nearer, so the last page costs what the first does and the middle one is the dearest.
The largest segment skips rows inside SQLite; the others are merged in (see `_merged`).

It does not rank, validate input (qa.catalog does, for the API), or read article text.
"""

from __future__ import annotations

import heapq
import itertools
import json
from operator import itemgetter

from .segment import Segment, search_fold

ARTICLE_FIELDS = ("doc_id", "title", "date", "source", "chunks")
SEARCHED = ("doc_id", "title", "source")
# a field LIKE cannot judge alone holds a character outside ASCII: more bytes than characters (measured at
# 100k articles: this test of 3 fields costs less than one GLOB character class or one Python call a row)
_NON_ASCII = "length(CAST({f} AS BLOB)) != length({f})"
_FIELD_MATCH = "({f} LIKE :like ESCAPE '\\' OR (" + _NON_ASCII + " AND qa_fold({f}) LIKE :like ESCAPE '\\'))"
_LIVE = "row NOT IN (SELECT value FROM json_each(:dead))"


def _where(seg: Segment, query: str) -> tuple[str, dict]:
    """The WHERE clause (and its arguments) of `query`'s live matches in `seg`."""
    parts, args = [], {}
    if query:
        parts.append("(" + " OR ".join(_FIELD_MATCH.format(f=f) for f in SEARCHED) + ")")
        args["like"] = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if len(seg.deleted):
        parts.append(_LIVE)
        args["dead"] = json.dumps(seg.deleted.tolist())
    return " AND ".join(parts) or "1", args


def _count(seg: Segment, query: str, where: str, args: dict) -> int:
    if not query:  # every live article: known from the manifest
        return seg.n_docs - len(seg.deleted)
    return seg.query(f"SELECT count(*) FROM documents WHERE {where}", args)[0][0]


def _rows(seg: Segment, where: str, args: dict, skip: int, take: int, backward: bool) -> list[tuple]:
    return seg.query(
        f"SELECT {', '.join(ARTICLE_FIELDS)} FROM documents WHERE {where} "
        f"ORDER BY doc_id {'DESC' if backward else 'ASC'} LIMIT :take OFFSET :skip",
        args | {"take": take, "skip": skip},
    )


def article_page(segments: list[Segment], query: str = "", offset: int = 0, limit: int = 50) -> tuple[int, list[dict]]:
    """(how many live articles match `query`, the page [offset, offset + limit) of them by doc_id) with the
    ARTICLE_FIELDS of each; "" matches every article. See the module doc for what matches and the cost."""
    query = search_fold(query)
    found, total = [], 0
    for seg in segments:
        where, args = _where(seg, query)
        n = _count(seg, query, where, args)
        total += n
        if n:
            found.append((n, seg, where, args))
    offset = max(offset, 0)
    end = min(offset + max(limit, 0), total)
    if offset >= end:
        return total, []
    backward = total - offset < end  # fewer rows to pass from the end than from the start
    skip, take = (total - end, end - offset) if backward else (offset, end - offset)
    rows = _merged(found, skip, take, backward)
    if backward:
        rows.reverse()
    return total, [dict(zip(ARTICLE_FIELDS, r, strict=True)) for r in rows]


def _merged(found: list[tuple], skip: int, take: int, backward: bool) -> list[tuple]:
    """Rows skip..skip + take of the segments' matches merged in order. The largest segment skips inside
    SQLite: at most `m` rows (the other segments' matches) can precede its row skip - m, so it is read
    from there; the others (one-article updates, usually small) give their first skip + take rows."""
    found = sorted(found, key=itemgetter(0), reverse=True)
    (_, big, where, args), others = found[0], found[1:]
    m = sum(n for n, *_ in others)
    start = max(0, skip - m)
    window = _rows(big, where, args, start, take + m, backward)
    if not others:
        return window
    parts = [_rows(s, w, a, 0, skip + take, backward) for _, s, w, a in others]
    small = list(heapq.merge(*parts, key=itemgetter(0), reverse=backward))
    at = 0  # the merged position of window[0]: `start` big rows and the small rows before it precede it
    if start:
        first = window[0][0]
        before = sum(1 for r in small if (r[0] > first if backward else r[0] < first))
        small = [r for r in small if (r[0] < first if backward else r[0] > first)]
        at = start + before
    merged = heapq.merge(window, small, key=itemgetter(0), reverse=backward)
    return list(itertools.islice(merged, skip - at, skip - at + take))
