"""The article listing behind the Articles tab and the article filter: qa.catalog over a real small index
(paging, search, bounds, bad input; rows from the SQLite metadata, no text read), Assistant.articles and
Assistant.documents, and the web handlers in qa.web.articles over a plain list (no server)."""

from __future__ import annotations

import sqlite3

import pytest

from qa import catalog
from qa.build import build_from_documents
from qa.catalog import MAX_LIMIT, ArticlePage, ArticleQueryError, ArticleRow
from qa.index import Index
from qa.segment import search_fold
from qa.types import Document
from qa.web import articles as web_articles
from qa.web.articles import FILTER_CHOICES, PAGE_SIZE, ArticleHandlers, PageError, page_number

N = 260
ACCENTED = {5: " · Zürich", 6: " · Straße"}  # titles only Unicode case folding matches ("ZÜRICH", "strasse")


def make_docs(n: int = N) -> dict[str, Document]:
    """Titles name a river every 7th article and a harbour every 13th; sources say where they came from."""
    docs = {}
    for i in range(n):
        topic = "Rhine flood warning" if i % 7 == 0 else ("Harbour PIER vote" if i % 13 == 0 else "Council budget")
        source = f"https://news.example/{i}" if i % 2 else f"local/file_{i}.txt"
        docs[f"doc_{i:04d}.txt"] = Document(
            f"doc_{i:04d}.txt",
            f"{topic} {i}{ACCENTED.get(i, '')}",
            f"2024-01-{i % 28 + 1:02d}",
            source,
            f"Body text secretword{i} of article {i}. The council met on the budget and the river.",
            f"h{i}",
        )
    return docs


@pytest.fixture(scope="module")
def docs():
    return make_docs()


@pytest.fixture(scope="module")
def index(docs, tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("articles_index")
    build_from_documents(list(docs.values()), index_dir, "fake")
    return Index.load(index_dir)


def page(index, query="", offset=0, limit=50):
    return catalog.articles(index, query, offset, limit)


def test_pages_follow_doc_id_order_and_cover_every_article_once(index, docs):
    seen = []
    for offset in range(0, N, 50):
        got = page(index, "", offset, 50)
        assert got.total == N and got.offset == offset and len(got.rows) == min(50, N - offset)
        seen += [r.doc_id for r in got.rows]
    assert seen == sorted(docs)
    row = page(index, "", 3, 1).rows[0]
    assert (row.title, row.date, row.source) == (docs[row.doc_id].title, docs[row.doc_id].date, docs[row.doc_id].source)
    assert row.chunks == index.manifest["documents"][row.doc_id]["chunks"] >= 1
    assert row.to_dict()["doc_id"] == row.doc_id and page(index, "", 0, 2).to_dict()["total"] == N
    # a page read from the end of the list (past the middle) is the same rows in the same order
    assert [r.doc_id for r in page(index, "", N - 7, 5).rows] == sorted(docs)[N - 7 : N - 2]


def test_search_is_case_insensitive_over_title_source_and_doc_id(index):
    rhine = page(index, "rHiNe   FLOOD", 0, MAX_LIMIT)
    assert rhine.total == len([i for i in range(N) if i % 7 == 0]) and rhine.query == "rHiNe FLOOD"
    assert all("Rhine flood" in r.title for r in rhine.rows)
    assert page(index, "harbour pier", 0, 10).total == len([i for i in range(N) if i % 13 == 0 and i % 7])
    by_source = page(index, "NEWS.EXAMPLE/1", 0, MAX_LIMIT)  # /1, /11, /13, /15, ... /199 and /1xx: odd numbers only
    assert {r.source for r in by_source.rows} == {
        f"https://news.example/{i}" for i in range(1, N, 2) if str(i).startswith("1")
    }
    assert [r.doc_id for r in page(index, "doc_0042", 0, 5).rows] == ["doc_0042.txt"]
    assert [r.doc_id for r in page(index, "ZÜRICH").rows] == ["doc_0005.txt"]  # beyond ASCII: case folding
    assert [r.doc_id for r in page(index, "STRASSE").rows] == ["doc_0006.txt"]
    assert page(index, "100%_").total == 0 and page(index, "file_1_").total == 0  # LIKE wildcards are literal


def test_search_finds_nothing_in_article_text_or_across_fields(index):
    assert page(index, "secretword5", 0, 10).total == 0  # text is not searched
    assert page(index, "budget 2 local", 0, 10).total == 0  # would only match across title and source
    empty = page(index, "no such words anywhere", 0, 10)
    assert empty.total == 0 and empty.rows == []


def test_listing_and_searching_read_no_article_text(index):
    read = set()

    def authorizer(action, table, column, *_):
        if action == sqlite3.SQLITE_READ:
            read.add((table, column))
        return sqlite3.SQLITE_OK

    db = index.segments[0]._db
    db.set_authorizer(authorizer)
    try:
        page(index, "", 200, 50)
        page(index, "zürich")
        page(index, "rhine", 30, 5)
    finally:
        db.set_authorizer(None)
    assert ("documents", "title") in read and ("documents", "text") not in read
    plan = db.execute("EXPLAIN QUERY PLAN SELECT title, source, chunks FROM documents ORDER BY doc_id").fetchall()
    assert "COVERING INDEX" in str(plan)  # the listing's index: table pages (which hold the text) stay unread


def test_offsets_past_the_end_give_no_rows_and_the_total(index):
    got = page(index, "", N, 50)
    assert got.rows == [] and got.total == N
    assert len(page(index, "", N - 1, 50).rows) == 1
    assert page(index, "rhine", 10**12, 5).rows == []


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"offset": -1}, "offset must be 0 or more (got -1)"),
        ({"limit": 0}, f"limit must be between 1 and {MAX_LIMIT} (got 0)"),
        ({"limit": 10**9}, f"limit must be between 1 and {MAX_LIMIT} (got 1000000000)"),
        ({"limit": 2.5}, "limit must be a whole number, not 2.5"),
        ({"offset": True}, "offset must be a whole number, not True"),
        ({"offset": "3"}, "offset must be a whole number, not '3'"),
        ({"query": "x" * (catalog.MAX_QUERY_CHARS + 1)}, f"longer than {catalog.MAX_QUERY_CHARS} characters"),
        ({"query": 42}, "the search text must be a string, not int"),
    ],
)
def test_bad_requests_get_one_line_messages(index, kwargs, message):
    with pytest.raises(ArticleQueryError) as info:
        catalog.articles(index, **kwargs)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_pages_merge_segments_and_leave_out_replaced_articles(docs, tmp_path):
    few = dict(list(docs.items())[:40])
    build_from_documents(list(few.values()), tmp_path, "fake")
    changed = Document("doc_0010.txt", "Rhine rebuilt", "2024-02-01", "local/new.txt", "New body text.", "h10b")
    extra = Document("doc_0003a.txt", "Harbour extra", "2024-02-02", "local/extra.txt", "Extra body.", "hx")
    build_from_documents(list(few.values())[:10] + [extra, changed] + list(few.values())[11:], tmp_path, "fake")
    index = Index.load(tmp_path)
    assert len(index.segments) > 1  # the update went to a new segment
    every = sorted([*few, extra.doc_id])
    for limit in (1, 3, 7, 50):  # every page, from either end, is the slice of the merged list
        assert all([r.doc_id for r in page(index, "", o, limit).rows] == every[o : o + limit] for o in range(45))
    assert [r.title for r in page(index, "doc_0010").rows] == ["Rhine rebuilt"]  # the old copy is not listed
    rhine = [r.doc_id for r in page(index, "rhine", 0, MAX_LIMIT).rows]
    assert rhine == sorted(d for d in every if d == "doc_0010.txt" or (d != extra.doc_id and int(d[4:8]) % 7 == 0))
    assert [r.doc_id for r in page(index, "rhine", len(rhine) - 2, 5).rows] == rhine[-2:]  # from the end


def test_assistant_articles_and_documents_over_a_real_index(fake_assistant):
    listing = fake_assistant.documents()
    assert [d["doc_id"] for d in listing] == sorted(fake_assistant.index.documents)
    assert set(listing[0]) == {"doc_id", "title", "date", "source", "chunks"}
    got = fake_assistant.articles()
    assert got.total == len(listing) and [r.to_dict() for r in got.rows] == listing[:50]
    some = listing[0]
    found = fake_assistant.articles(some["title"].upper()[:12])
    assert some["doc_id"] in [r.doc_id for r in found.rows]
    with pytest.raises(ArticleQueryError, match="offset must be 0 or more"):
        fake_assistant.articles(offset=-5)


class ListingAssistant:
    """What the article handlers use of qa.api.Assistant, over a plain list: articles() and document()."""

    def __init__(self, docs):
        self.docs = docs
        self.rows = [ArticleRow(d.doc_id, d.title, d.date, d.source, 1) for _, d in sorted(docs.items())]

    def articles(self, query="", offset=0, limit=50):
        q = catalog.normalise_query(query)  # bad search text fails as in qa.catalog
        found = [r for r in self.rows if any(q in search_fold(f) for f in (r.title, r.source, r.doc_id))]
        return ArticlePage(" ".join((query or "").split()), offset, limit, len(found), found[offset : offset + limit])

    def document(self, doc_id):
        return self.docs[doc_id]


def test_handler_pages_clamp_and_report_bad_page_numbers(docs):
    h = ArticleHandlers(ListingAssistant(docs))
    html, number = h.page("", 2)
    assert number == 2 and f"Articles 51–100 of {N}" in html and html.count("<tr>") == PAGE_SIZE + 1
    last = -(-N // PAGE_SIZE)
    html, number = h.next("", last)
    assert number == last and f"of {N}" in html and f"page {last} of {last}" in html
    assert h.previous("", 1)[1] == 1
    html, number = h.search("RHINE")
    assert number == 1 and "matching “RHINE”" in html
    html, _ = h.search("nothing like this")
    assert "No article title, source or file name contains" in html
    for bad, message in ((-3, "1 or more (got -3)"), (0, "1 or more"), (2.5, "whole number"), ("x", "whole number")):
        html, _ = h.page("", bad)
        assert message in html and "qa-error" in html
    html, _ = h.page("x" * 500, 1)
    assert "longer than" in html
    assert page_number("7") == 7 and page_number(3.0) == 3
    with pytest.raises(PageError):
        page_number(float("inf"))


def test_filter_choices_are_a_bounded_search_that_keeps_the_selection(docs):
    h = ArticleHandlers(ListingAssistant(docs))
    assert len(h.filter_choices("")) == FILTER_CHOICES
    update = h.find("rhine", ["doc_0013.txt", "gone.txt"])
    values = [v for _, v in update["choices"]]
    assert values[0] == "doc_0013.txt" and len(values) <= FILTER_CHOICES + 1
    assert all("Rhine" in label for label, v in update["choices"][1:])
    assert update["value"] == ["doc_0013.txt"]  # an article no longer indexed is dropped
    assert "(2024-01-" in update["choices"][0][0]
    assert "longer than" in h.find("y" * 500, [])["info"]
    assert web_articles.choice_label("T" * 200, None).endswith("(no date)")


def test_page_load_gives_the_first_page_and_fresh_filter_choices(docs):
    h = ArticleHandlers(ListingAssistant(docs))
    html, number, update = h.page_load("", "rhine", ["doc_0001.txt"])
    assert number == 1 and f"Articles 1–50 of {N}" in html
    assert [v for _, v in update["choices"]][:2] == ["doc_0001.txt", "doc_0000.txt"]
