"""A real headless Chromium (Debian's, driven by Python Playwright) against the running app.

Types a question, waits for the answer and a highlighted source, clicks a citation; asks about an
article full of XSS payloads and checks that no dialog fires, no payload becomes markup and no request
leaves 127.0.0.1. Screenshots go to a temp dir (or $QA_SCREENSHOT_DIR). Skipped, with the reason, only
when no Chromium is installed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.test_web_client import CITED_QUESTION, XSS_QUESTION, make_web_assistant, serve

pytestmark = pytest.mark.web

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-default-apps",
    "--disable-extensions",
]


def find_chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser():
    exe = find_chromium()
    if exe is None:
        pytest.skip("no Chromium browser installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="python playwright is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    demo, url = serve(make_web_assistant(tmp_path_factory.mktemp("web_browser")))
    yield url
    demo.close()


@pytest.fixture()
def page(browser, app_url):
    """A fresh page that records dialogs and every request, aborting any that is not to the app."""
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    pg = context.new_page()
    pg.dialogs, pg.requests, pg.blocked = [], [], []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    host = urlsplit(app_url).netloc

    def route(r):
        pg.requests.append(r.request.url)
        parts = urlsplit(r.request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc == host:
            return r.continue_()
        pg.blocked.append(r.request.url)
        return r.abort()

    context.route("**/*", route)
    pg.goto(app_url)
    pg.wait_for_selector("#qa-question textarea", timeout=20_000)
    yield pg
    context.close()


def screenshot_dir(tmp_path: Path) -> Path:
    out = Path(os.environ.get("QA_SCREENSHOT_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def ask(page, question: str) -> None:
    page.fill("#qa-question textarea", question)
    page.click("#qa-ask")
    page.wait_for_selector("#qa-chat .qa-answer:not(.qa-streaming)", timeout=20_000)


def test_ask_see_highlighted_source_and_click_citation(page, tmp_path):
    assert page.title().startswith("qa")
    ask(page, CITED_QUESTION)
    page.wait_for_selector("#qa-sources #src-1 mark", timeout=10_000)
    assert "1,000" in page.inner_text("#qa-chat .qa-short")
    assert "Patriot" in page.inner_text("#qa-sources #src-1 mark")
    shots = screenshot_dir(tmp_path)
    page.screenshot(path=str(shots / "qa_chat.png"))
    page.locator("#qa-chat a.qa-cite").last.click()
    page.wait_for_function("location.hash === '#src-1'", timeout=5_000)
    assert page.evaluate("document.querySelector(':target')?.id") == "src-1"
    assert page.locator("#qa-sources #src-1").is_visible()
    page.screenshot(path=str(shots / "qa_cited.png"))
    assert (shots / "qa_chat.png").stat().st_size > 10_000
    assert page.blocked == [] and page.dialogs == []


def test_xss_article_and_question_render_as_inert_text(page, tmp_path):
    ask(page, "<img src=x onerror=alert('q')> " + XSS_QUESTION)
    page.wait_for_selector("#qa-sources .qa-src", timeout=10_000)
    page.wait_for_timeout(500)  # give any injected handler a chance to fire
    chat, sources = page.inner_text("#qa-chat"), page.inner_text("#qa-sources")
    assert "<script>alert('title')</script>" in chat + sources  # shown literally, as text
    assert "onerror" in chat + sources
    assert "![tracker](http://198.51.100.7/pixel.png)" in sources or "![tracker]" in chat
    for area in ("#qa-chat", "#qa-sources"):
        assert page.locator(f"{area} img, {area} script, {area} svg[onload], {area} iframe").count() == 0
        assert page.locator(f"{area} [onerror], {area} [onload], {area} a[href^='javascript']").count() == 0
    page.screenshot(path=str(screenshot_dir(tmp_path) / "qa_xss.png"))
    assert page.dialogs == [], page.dialogs
    assert page.blocked == [], page.blocked
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in page.requests)


def test_articles_tab_upload_and_rebuild(page, tmp_path):
    page.get_by_role("tab", name="Articles").click()
    page.wait_for_selector("#qa-docs table.qa-docs", timeout=10_000)
    before = page.locator("#qa-docs tbody tr").count()
    assert before >= 6 and page.locator("#qa-docs img, #qa-docs script").count() == 0
    article = tmp_path / "Lighthouse <i>news.txt"
    article.write_text("Lighthouse reopens\n\nThe old lighthouse reopened on Sunday, the keeper said.\n")
    (tmp_path / "tool.sh").write_text("echo hi")
    page.set_input_files("#qa-upload input[type=file]", [str(article), str(tmp_path / "tool.sh")])
    page.wait_for_function(
        "document.querySelector('#qa-upload-status textarea')?.value.includes('saved as')", timeout=15_000
    )
    status = page.input_value("#qa-upload-status textarea")
    assert "saved as uploads/Lighthouse" in status and "tool.sh: saved" not in status
    page.click("#qa-rebuild")
    page.wait_for_function("document.querySelector('#qa-report textarea')?.value.includes('Indexed')", timeout=20_000)
    page.wait_for_function(f"document.querySelectorAll('#qa-docs tbody tr').length === {before + 1}", timeout=10_000)
    assert page.dialogs == [] and page.blocked == []


def type_into(page, selector: str, text: str) -> None:
    """Key by key, as a person types (Gradio's `input` event follows key presses; `fill` does not fire it)."""
    page.fill(selector, "")
    page.click(selector)
    page.keyboard.type(text, delay=20)


def test_articles_tab_searches_and_filter_finds_articles(page, tmp_path):
    page.get_by_role("tab", name="Articles").click()
    page.wait_for_selector("#qa-docs table.qa-docs", timeout=10_000)
    assert "Articles 1–" in page.inner_text("#qa-docs .qa-hint")
    type_into(page, "#qa-docs-search textarea", "HARBOUR council")
    page.wait_for_function(
        "document.querySelector('#qa-docs .qa-hint')?.innerText.includes('matching')", timeout=10_000
    )
    assert page.locator("#qa-docs tbody tr").count() == 1
    assert "<script>" in page.inner_text("#qa-docs tbody")  # the XSS title, as text
    page.click("#qa-docs-next")  # already the last page: stays on page 1
    page.wait_for_timeout(500)
    assert "page 1 of 1" in page.inner_text("#qa-docs .qa-hint")
    type_into(page, "#qa-docs-search textarea", "no article is called this")
    page.wait_for_function("document.querySelector('#qa-docs')?.innerText.includes('No article title')", timeout=10_000)
    page.get_by_role("tab", name="Chat").click()
    page.get_by_text("Filter by article or date").click()
    type_into(page, "#qa-filter-find textarea", "harbour")
    page.wait_for_timeout(1_000)  # the choices come back from the server
    page.click("#qa-filter-docs input")
    options = page.locator("#qa-filter-docs [role=option]")
    options.first.wait_for(timeout=10_000)
    assert options.count() == 1 and "Harbour council" in options.first.inner_text()
    options.first.click()
    page.screenshot(path=str(screenshot_dir(tmp_path) / "qa_filter.png"))
    ask(page, CITED_QUESTION)  # answered from a Patriot article without the filter; now only harbour is searched
    page.wait_for_selector("#qa-sources .qa-src", timeout=10_000)
    titles = page.locator("#qa-sources .qa-src-title").all_inner_texts()
    assert titles and all(t.startswith("Harbour council") for t in titles)
    assert page.dialogs == [] and page.blocked == []
