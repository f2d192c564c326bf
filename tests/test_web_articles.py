"""The article listing behind the Articles tab and the article filter: qa.catalog (paging, search, bounds,
bad input), Assistant.articles over a real index, and the web handlers in qa.web.articles (no server)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from qa import catalog
from qa.catalog import MAX_LIMIT, ArticleQueryError, Catalog
from qa.types import Document
from qa.web import articles as web_articles
from qa.web.articles import FILTER_CHOICES, PAGE_SIZE, ArticleHandlers, PageError, page_number

N = 260


def make_docs(n: int = N) -> dict[str, Document]:
    """Titles name a river every 7th article and a harbour every 13th; sources say where they came from."""
    docs = {}
    for i in range(n):
        topic = "Rhine flood warning" if i % 7 == 0 else ("Harbour PIER vote" if i % 13 == 0 else "Council budget")
        source = f"https://news.example/{i}" if i % 2 else f"local/file_{i}.txt"
        docs[f"doc_{i:04d}.txt"] = Document(
            f"doc_{i:04d}.txt",
            f"{topic} {i}",
            f"2024-01-{i % 28 + 1:02d}",
            source,
            f"Body text secretword{i} of article {i}.",
            f"h{i}",
        )
    return docs


class CountingDocs(Mapping):
    """A Mapping[str, Document] that counts whole passes and single look-ups (as a lazy store would serve)."""

    def __init__(self, docs):
        self.docs, self.passes, self.lookups = docs, 0, 0

    def __getitem__(self, key):
        self.lookups += 1
        return self.docs[key]

    def __iter__(self):
        self.passes += 1
        return iter(self.docs)

    def __len__(self):
        return len(self.docs)


@pytest.fixture(scope="module")
def docs():
    return make_docs()


def test_pages_follow_doc_id_order_and_cover_every_article_once(docs):
    cat = Catalog(docs, {d: i % 5 + 1 for i, d in enumerate(sorted(docs))})
    seen = []
    for offset in range(0, N, 50):
        page = cat.page("", offset, 50)
        assert page.total == N and page.offset == offset and len(page.rows) == min(50, N - offset)
        seen += [r.doc_id for r in page.rows]
    assert seen == sorted(docs)
    row = cat.page("", 3, 1).rows[0]
    assert (row.title, row.date, row.source) == (docs[row.doc_id].title, docs[row.doc_id].date, docs[row.doc_id].source)
    assert row.chunks == 3 + 1 and row.to_dict()["doc_id"] == row.doc_id
    assert cat.page("", 0, 2).to_dict()["total"] == N


def test_search_is_case_insensitive_over_title_source_and_doc_id(docs):
    cat = Catalog(docs)
    rhine = cat.page("rHiNe   FLOOD", 0, MAX_LIMIT)
    assert rhine.total == len([i for i in range(N) if i % 7 == 0]) and rhine.query == "rHiNe FLOOD"
    assert all("Rhine flood" in r.title for r in rhine.rows)
    assert cat.page("harbour pier", 0, 10).total == len([i for i in range(N) if i % 13 == 0 and i % 7])
    by_source = cat.page("NEWS.EXAMPLE/1", 0, MAX_LIMIT)  # /1, /11, /13, /15, ... /199 and /1xx: odd numbers only
    assert {r.source for r in by_source.rows} == {
        f"https://news.example/{i}" for i in range(1, N, 2) if str(i).startswith("1")
    }
    assert [r.doc_id for r in cat.page("doc_0042", 0, 5).rows] == ["doc_0042.txt"]


def test_search_finds_nothing_in_article_text_or_across_fields(docs):
    cat = Catalog(docs)
    assert cat.page("secretword5", 0, 10).total == 0  # text is not searched (and not kept)
    assert "secretword" not in cat.text
    assert cat.page("budget 2 local", 0, 10).total == 0  # would only match across title and source
    empty = cat.page("no such words anywhere", 0, 10)
    assert empty.total == 0 and empty.rows == []


def test_offsets_past_the_end_give_no_rows_and_the_total(docs):
    cat = Catalog(docs)
    page = cat.page("", N, 50)
    assert page.rows == [] and page.total == N
    assert len(cat.page("", N - 1, 50).rows) == 1
    assert cat.page("rhine", 10**12, 5).rows == []


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
def test_bad_requests_get_one_line_messages(docs, kwargs, message):
    with pytest.raises(ArticleQueryError) as info:
        Catalog(docs).page(**kwargs)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_one_pass_over_the_documents_and_only_page_rows_read_back(docs):
    counting = CountingDocs(docs)
    cat = Catalog(counting)
    assert counting.passes == 1 and counting.lookups == N  # items() of a Mapping looks each one up once
    counting.lookups = 0
    cat.page("", 100, 20)
    cat.page("rhine", 0, 7)
    assert counting.passes == 1 and counting.lookups == 20 + 7


def test_recent_searches_are_cached_and_bounded(docs, monkeypatch):
    monkeypatch.setattr(catalog, "QUERIES", 3)
    cat = Catalog(docs)
    first = cat.matches("rhine")
    assert cat.matches("rhine") is first
    for q in ("budget", "harbour", "council"):
        cat.matches(q)
    assert len(cat._found) == 3 and "rhine" not in cat._found


class FakeIndex:
    def __init__(self, docs):
        self.documents = docs
        self.manifest = {"documents": {d: {"chunks": 4} for d in docs}}


def test_one_catalog_per_loaded_index_and_only_a_few_kept(docs):
    a, b, c = FakeIndex(docs), FakeIndex(make_docs(5)), FakeIndex(make_docs(6))
    assert catalog.catalog_of(a) is catalog.catalog_of(a)
    assert catalog.articles(a, "", 0, 1).rows[0].chunks == 4
    assert catalog.articles(b).total == 5 and catalog.articles(c).total == 6
    assert len(catalog._cache) <= catalog.CATALOGS
    assert catalog.articles(a).total == N  # rebuilt after eviction, same answer


def test_assistant_articles_over_a_real_index(fake_assistant):
    listing = fake_assistant.documents()
    page = fake_assistant.articles()
    assert page.total == len(listing) and [r.to_dict() for r in page.rows] == listing[:50]
    some = listing[0]
    found = fake_assistant.articles(some["title"].upper()[:12])
    assert some["doc_id"] in [r.doc_id for r in found.rows]
    with pytest.raises(ArticleQueryError, match="offset must be 0 or more"):
        fake_assistant.articles(offset=-5)


class ListingAssistant:
    """What the article handlers use of qa.api.Assistant: articles() and document()."""

    def __init__(self, docs):
        self.docs, self.cat = docs, Catalog(docs)

    def articles(self, query="", offset=0, limit=50):
        return self.cat.page(query, offset, limit)

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


def test_the_catalog_of_a_replaced_index_is_freed():
    import gc

    old = FakeIndex(make_docs(3))
    cat = catalog.catalog_of(old)
    del old
    gc.collect()
    new = FakeIndex(make_docs(4))
    catalog.catalog_of(new)
    assert all(ref() is not None for ref, _ in catalog._cache.values())
    assert all(c is not cat for _, c in catalog._cache.values())


def test_page_load_gives_the_first_page_and_fresh_filter_choices(docs):
    h = ArticleHandlers(ListingAssistant(docs))
    html, number, update = h.page_load("", "rhine", ["doc_0001.txt"])
    assert number == 1 and f"Articles 1–50 of {N}" in html
    assert [v for _, v in update["choices"]][:2] == ["doc_0001.txt", "doc_0000.txt"]
