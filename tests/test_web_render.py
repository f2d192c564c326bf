"""Unit tests for the web layer without a server: HTML escaping, highlighting, handlers, uploads, app build."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa import config
from qa.errors import InvalidQuestionError
from qa.followup import resolve_followup
from qa.types import Answer, Citation, Passage
from qa.web import render
from qa.web.handlers import Handlers, chat_messages, parse_filters
from qa.web.uploads import safe_name, save_uploads

PAYLOAD = (
    "Pier <script>alert('s')</script> vote <img src=x onerror=\"alert('i')\"> "
    "<a href=\"javascript:alert('j')\">minutes</a> ![t](http://198.51.100.7/p.png) [m](javascript:alert(1)) "
    "<svg onload=alert(2)></svg>"
)
DOC_TEXT = "Intro line.\n" + PAYLOAD + " The mayor said the pier will cost 4 million euros. End."


def make_answer(text=DOC_TEXT, abstained=False, question="q") -> Answer:
    q_start = text.index("The mayor")
    q_end = text.index("euros.") + len("euros.")
    passage = Passage(
        rank=1,
        doc_id="d1",
        title="Harbour <b>news</b>",
        source="javascript:alert('src')",
        date="2024-05-01",
        text=text,
        start=0,
        end=len(text),
        score=0.9,
    )
    if abstained:
        return Answer(question, "I could not find this in the articles.", None, [], [passage], True)
    cite = Citation(
        n=1,
        doc_id="d1",
        title=passage.title,
        source=passage.source,
        date="2024-05-01",
        quote=text[q_start:q_end],
        start=q_start,
        end=q_end,
    )
    return Answer(
        question,
        f"{text[q_start:q_end]} [1] and [7] <img src=y onerror=alert(3)>",
        "4 million euros",
        [cite],
        [passage],
        False,
    )


class FakeAssistant:
    """Implements the qa.api.Assistant methods the web layer uses, with real qa.types objects."""

    def __init__(self, corpus_dir: Path | None = None):
        self.corpus_dir = corpus_dir or Path("/nonexistent")
        self.llm_available = False
        self.settings = config.settings(corpus_dir=self.corpus_dir)
        self.asked: list[dict] = []

    def llm_hint(self):
        return "No local model configured."

    def ask(self, question, k=5, mode="extractive", filters=None, history=None):
        if not question.strip():
            raise InvalidQuestionError("the question is empty")
        self.asked.append({"question": question, "k": k, "filters": filters, "history": history})
        # like Assistant.ask: a follow-up is resolved there, and the Answer carries the question searched
        return make_answer(question=resolve_followup(question, history) if history else question)

    def stream(self, question, **kw):
        answer = self.ask(question, **kw)
        for word in answer.text.split(" "):
            yield word + " "
        yield answer

    def documents(self):
        return [
            {"doc_id": "d1", "title": "Harbour <b>news</b>", "date": "2024-05-01", "source": "harbour.txt", "chunks": 2}
        ]

    def articles(self, query="", offset=0, limit=50):
        from qa.catalog import ArticlePage, ArticleRow, normalise_query

        rows = [ArticleRow(**d) for d in self.documents()]
        found = [r for r in rows if normalise_query(query) in f"{r.title}\0{r.source}\0{r.doc_id}".casefold()]
        return ArticlePage(query, offset, limit, len(found), found[offset : offset + limit])

    def document(self, doc_id):
        from qa.types import Document

        return Document(
            doc_id,
            "Harbour news",
            "2024-05-01",
            "harbour.txt",
            "The mayor said the pier will cost 4 million euros.",
            "h",
        )


def no_live_markup(html: str) -> None:
    """Only tags we generate may appear; payload tags must be escaped."""
    assert "<script" not in html and "<img" not in html and "<svg" not in html and "<iframe" not in html
    assert "javascript:" not in re.sub(r"&[a-z#0-9]+;", "", "".join(re.findall(r"<[^>]*>", html)))
    assert not re.search(r"<[^>]+\son\w+\s*=", html)


def test_answer_escapes_text_and_links_only_real_citations():
    html = render.render_answer(make_answer())
    no_live_markup(html)
    assert '<a class="qa-cite" href="#src-1"' in html
    assert "#src-7" not in html and "[7]" in html  # a marker without a citation stays plain text
    assert '<div class="qa-short">4 million euros</div>' in html
    assert "&lt;img src=y onerror=alert(3)&gt;" in html


def test_unlinked_answer_has_no_anchors():
    assert "<a " not in render.render_answer(make_answer(), linked=False)


def test_sources_highlight_quote_and_escape_article():
    html = render.render_sources(make_answer())
    no_live_markup(html)
    assert 'id="src-1"' in html
    assert "<mark>The mayor said the pier will cost 4 million euros.</mark>" in html
    assert "Harbour &lt;b&gt;news&lt;/b&gt;" in html
    assert "![t](http://198.51.100.7/p.png)" in html  # a markdown image stays literal text
    assert 'href="javascript' not in html


def test_abstention_says_so_and_shows_nearest_passages():
    answer = make_answer(abstained=True)
    chat = render.render_answer(answer)
    assert "could not find" in chat and "qa-abstained" in chat
    panel = render.render_sources(answer)
    assert "Not found in the articles" in panel and "Nearest passages" in panel and "near-1" in panel
    no_live_markup(panel)


def test_source_links_only_for_http_urls():
    assert render.source_html("https://example.org/a?b=1&c=2").startswith('<a class="qa-src-link" href="https://')
    assert "&amp;" in render.source_html("https://example.org/a?b=1&c=2")
    for bad in ("javascript:alert(1)", "data:text/html,x", 'https://x.org/"onmouseover=alert(1)', "corpus/a.txt"):
        assert "<a " not in render.source_html(bad)


def test_highlight_uses_offsets_and_trims_context():
    text = "a" * 1000 + "QUOTE" + "b" * 1000
    out = render.highlight(text, [(1000, 1005)])
    assert "<mark>QUOTE</mark>" in out and out.startswith("…") and out.endswith("…")
    assert len(out) < 800


def test_quote_span_falls_back_to_search_when_offsets_disagree():
    answer = make_answer()
    c = answer.citations[0]
    moved = Citation(c.n, c.doc_id, c.title, c.source, c.date, c.quote, c.start + 3, c.end + 3)
    span = render.quote_span(answer.passages[0], moved)
    assert span and answer.passages[0].text[span[0] : span[1]] == c.quote


@given(st.text(max_size=300))
def test_any_text_is_inert(text):
    answer = make_answer(text=text + " The mayor said the pier will cost 4 million euros. x")
    for html in (
        render.render_answer(answer),
        render.render_sources(answer),
        render.render_question(text),
        render.render_documents([{"title": text, "date": text, "source": text, "chunks": 1}]),
    ):
        stripped = re.sub(
            r"<(/?)(div|span|a|mark|br|article|header|blockquote|h3|p|table|thead|tbody|tr|th|td)"
            r"(\s[^<>]*)?>",
            "",
            html,
        )
        assert "<" not in stripped and ">" not in stripped


def test_documents_table_escapes():
    html = render.render_documents([{"title": "<script>x</script>", "date": None, "source": "a.txt", "chunks": 3}])
    assert "&lt;script&gt;" in html and "<script" not in html and "—" in html


def test_parse_filters():
    assert parse_filters([], "", " ") is None
    assert parse_filters(["d1"], "2024-01-01", "2024-12-31") == {
        "doc_ids": ["d1"],
        "date_from": "2024-01-01",
        "date_to": "2024-12-31",
    }
    with pytest.raises(ValueError, match="not a date"):
        parse_filters(None, "yesterday", "")
    with pytest.raises(ValueError, match="after"):
        parse_filters(None, "2024-12-31", "2024-01-01")


def test_chat_handler_streams_then_renders_and_keeps_history():
    fake = FakeAssistant()
    h = Handlers(fake)
    steps = list(h.chat("What did the mayor say?", [], 3, "extractive", ["d1"], "", ""))
    assert len(steps) > 2
    messages, sources, turns, box = steps[-1]
    assert box == "" and len(turns) == 1 and fake.asked[0]["filters"] == {"doc_ids": ["d1"]}
    assert 'href="#src-1"' in messages[-1]["content"] and 'id="src-1"' in sources
    assert "qa-streaming" in steps[1][0][-1]["content"]
    # A follow-up passes the history and shows how it was read.
    steps = list(h.chat("and the harbour?", turns, 3, "extractive", [], "", ""))
    messages, _, turns, _ = steps[-1]
    assert fake.asked[-1]["history"] == [("What did the mayor say?", make_answer().text)]
    assert len(turns) == 2 and "href" not in messages[1]["content"]  # older answers lose their links
    assert "Searched as" not in messages[1]["content"] and "Searched as" in messages[3]["content"]
    assert turns[1]["resolved"] == "The harbour? (about: What did the mayor say?)"
    for m in messages:
        no_live_markup(m["content"])


def test_chat_handler_reports_errors_in_chat():
    h = Handlers(FakeAssistant())
    *_, (messages, sources, turns, _) = h.chat("q", [], 5, "extractive", [], "bad-date", "")
    assert "qa-error" in messages[-1]["content"] and "not a date" in messages[-1]["content"]
    assert turns[0]["error"]


def test_chat_messages_escape_questions():
    turns = [{"question": "<img src=x onerror=alert(1)>", "resolved": None, "answer": make_answer()}]
    for m in chat_messages(turns):
        no_live_markup(m["content"])


def test_ask_api_returns_json_dict():
    out = Handlers(FakeAssistant()).ask_api("q", 2)
    assert out["citations"][0]["n"] == 1 and out["short_answer"] == "4 million euros"


def test_safe_name():
    assert safe_name("../../etc/passwd") is None
    assert safe_name("../../x/evil.txt") == "evil.txt"
    assert safe_name("My Article (1).MD") == "My_Article_1.md"
    assert safe_name("shell.sh") is None and safe_name(".txt") is None and safe_name("a.txt.exe") is None


def test_uploads_are_checked_and_saved_inside_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    up = tmp_path / "up"
    up.mkdir()
    (up / "good.txt").write_text("A new article about the pier.")
    (up / "bin.txt").write_bytes(b"abc\x00def")
    (up / "latin.txt").write_bytes("caf\xe9".encode("latin-1"))
    (up / "big.txt").write_text("x" * 2000)
    (up / "page.exe").write_text("MZ")
    paths = [up / n for n in ("good.txt", "bin.txt", "latin.txt", "big.txt", "page.exe", "good.txt")]
    saved, messages = save_uploads(paths, corpus, max_bytes=1000)
    assert saved == ["uploads/good.txt", "uploads/good-1.txt"]
    assert (corpus / "uploads" / "good.txt").read_text() == "A new article about the pier."
    joined = "\n".join(messages)
    for word in ("binary", "UTF-8", "larger than", "not accepted (allowed"):
        assert word in joined
    assert sorted(p.name for p in (corpus / "uploads").iterdir()) == ["good-1.txt", "good.txt"]


def test_uploads_refuse_a_symlinked_upload_folder(tmp_path):
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    corpus.mkdir()
    outside.mkdir()
    (corpus / "uploads").symlink_to(outside)
    (tmp_path / "a.txt").write_text("text")
    saved, messages = save_uploads([tmp_path / "a.txt"], corpus)
    assert saved == [] and "outside the corpus" in messages[0] and not list(outside.iterdir())


def test_build_app_constructs_without_launching():
    import gradio as gr

    from qa.web.app import build_app, launch_options

    demo = build_app(FakeAssistant())
    assert isinstance(demo, gr.Blocks) and not demo.is_running
    cfg = demo.get_config_file()
    apis = {d.get("api_name") for d in cfg["dependencies"] if d.get("api_visibility") == "public"}
    assert apis == {"ask"}
    assert demo._queue.max_size == 16
    opts = launch_options(FakeAssistant())
    assert opts["allowed_paths"] == [] and opts["max_file_size"] > 0
    assert any(p.endswith("/main") or "corpus" in p or "nonexistent" in p for p in opts["blocked_paths"])
