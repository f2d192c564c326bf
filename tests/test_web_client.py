"""A real server on a free loopback port, asked through gradio_client (real Assistant, fake embedder)."""

from __future__ import annotations

import shutil
import socket
import ssl
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.web

REPO = Path(__file__).resolve().parent.parent
XSS_ARTICLE = (
    "Harbour council <script>alert('title')</script> votes on pier\n\n"
    "The harbour council voted on Tuesday to rebuild the old pier <img src=x onerror=\"alert('img')\"> after a long "
    "debate.\n\n"
    "Read the <a href=\"javascript:alert('js')\">full minutes</a> here. ![tracker](http://198.51.100.7/pixel.png) "
    "The mayor said the new pier will cost 4 million euros. <svg onload=alert('svg')></svg> "
    "[click me](javascript:alert('md'))\n\n"
    '<iframe src="http://198.51.100.7/frame"></iframe> Councillors said construction starts in May.\n'
)
CITED_QUESTION = "How many Patriot missiles are allies procuring?"
XSS_QUESTION = "What did the harbour council vote on?"


def make_web_assistant(root: Path):
    """The seed corpus plus an article full of XSS payloads, indexed with the fake embedder."""
    from qa import Assistant, config
    from qa.build import build_index

    corpus, index = root / "corpus", root / "index"
    shutil.copytree(REPO / "corpus", corpus)
    (corpus / "harbour.txt").write_text(XSS_ARTICLE, encoding="utf-8")
    build_index(corpus, index, "fake")
    settings = config.Settings(
        corpus_dir=corpus, index_dir=index, model="fake", cache_dir=root / "cache", llm_model=None, llm_url=None
    )
    return Assistant.load(index, model="fake", settings=settings)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(assistant):
    """Start the app in this process on a free loopback port; returns (demo, url)."""
    from qa.web.app import launch

    demo = launch(assistant, host="127.0.0.1", port=free_port(), block=False)
    return demo, demo.local_url


def client(url: str):
    from gradio_client import Client

    # A plain-http loopback URL needs no TLS; a shared SSLContext stops httpx from re-reading the CA bundle
    # for every request gradio_client makes.
    return Client(url, verbose=False, ssl_verify=ssl.create_default_context())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    assistant = make_web_assistant(tmp_path_factory.mktemp("web_client"))
    demo, url = serve(assistant)
    yield assistant, url
    demo.close()


def test_client_gets_a_cited_answer(server):
    assistant, url = server
    out = client(url).predict(CITED_QUESTION, api_name="/ask")
    assert not out["abstained"] and out["citations"]
    for c in out["citations"]:
        assert assistant.document(c["doc_id"]).text[c["start"] : c["end"]] == c["quote"]
        assert f"[{c['n']}]" in out["answer"]
    assert "1,000" in (out["short_answer"] or out["answer"])


def test_client_passes_k_and_gets_clean_errors(server):
    from gradio_client.exceptions import AppError

    _, url = server
    c = client(url)
    assert len(c.predict(CITED_QUESTION, 2, "extractive", api_name="/ask")["passages"]) <= 2
    with pytest.raises(AppError, match="empty"):
        c.predict("   ", api_name="/ask")
    with pytest.raises(AppError, match="limit"):
        c.predict("x" * 5000, api_name="/ask")
    with pytest.raises(AppError, match="(?i)model"):
        c.predict(CITED_QUESTION, 5, "llm", api_name="/ask")


def test_only_the_ask_endpoint_is_public(server):
    _, url = server
    info = client(url).view_api(print_info=False, return_format="dict")
    assert set(info["named_endpoints"]) == {"/ask"} and not info["unnamed_endpoints"]


def test_served_on_loopback_with_no_share_link(server):
    _, url = server
    assert url.startswith("http://127.0.0.1:")
    page = httpx.get(url, timeout=10)
    assert page.status_code == 200 and "qa — ask the news articles" in page.text


def test_files_outside_the_app_are_not_served(server):
    assistant, url = server
    corpus_file = next(Path(assistant.corpus_dir).glob("*.txt")).resolve()
    for path in (
        corpus_file,
        REPO / "qa" / "config" / "__init__.py",
        Path("/etc/passwd"),
        Path(assistant.settings.index_dir).resolve() / "manifest.json",
    ):
        for route in ("gradio_api/file=", "file="):
            r = httpx.get(f"{url}{route}{path}", timeout=10)
            assert r.status_code in (403, 404), (route, path, r.status_code)
            assert "air defence" not in r.text and "root:" not in r.text


def test_uploads_over_the_cap_are_refused(server):
    _, url = server
    big = b"x" * (3 * 1024 * 1024)
    r = httpx.post(f"{url}gradio_api/upload", files={"files": ("big.txt", big, "text/plain")}, timeout=30)
    assert r.status_code in (400, 413)


def test_a_full_queue_answers_busy():
    import time
    from concurrent.futures import ThreadPoolExecutor

    from tests.test_web_render import FakeAssistant

    class Slow(FakeAssistant):
        def ask(self, question, **kw):
            time.sleep(0.5)
            return super().ask(question, **kw)

    demo, url = serve(Slow())
    try:
        cfg = httpx.get(f"{url}config", timeout=10).json()
        fn = next(i for i, d in enumerate(cfg["dependencies"]) if d.get("api_name") == "ask")

        def join(i):
            return httpx.post(
                f"{url}gradio_api/queue/join",
                timeout=10,
                json={"data": ["q", 5, "extractive"], "fn_index": fn, "session_hash": f"s{i}"},
            )

        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(join, range(30)))
        busy = [r for r in responses if r.status_code == 503]
        assert busy and len(responses) - len(busy) >= 16  # 16 wait in the queue, the rest are told it is full
        assert "Queue is full" in busy[0].text
    finally:
        demo.close()


@pytest.mark.slow
def test_real_model_answer_through_the_client(real_assistant):
    demo, url = serve(real_assistant)
    try:
        out = client(url).predict("What did Zelensky say about air defence systems?", api_name="/ask")
        assert not out["abstained"] and out["citations"]
        c = out["citations"][0]
        assert real_assistant.document(c["doc_id"]).text[c["start"] : c["end"]] == c["quote"]
    finally:
        demo.close()
