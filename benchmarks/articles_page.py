"""The web chat's Articles tab at archive size: its first page, its search and the filter's search, at 1k
articles (the baseline) and 100k (issue 13's goal: first page <= 2 s), through the real handler and HTTP.

For each --articles N it writes (or, with --keep, reuses) a synthetic index of N articles straight into
the store with benchmarks/scale_data.py, without the encoder. The tab reads no vectors and no chunk text,
so each article gets one chunk (4 sentences of 15 words) and 16-d vectors: that keeps a 100k-article index
small and fast to write without changing what the listing costs. Then, in this process:

- handler: `Handlers.articles.search("")` (the page-load event) cold, i.e. the first call after loading,
  then warm (p50 of --rounds); a search matching a few percent of the articles (cold and warm), one
  matching none, page 10 of a search matching all, the last page and the middle one of all (the dearest:
  a page is read from the nearer end), and the filter's search (`articles.find`). Every page comes from
  the index's SQLite metadata (qa.listing); nothing is built or cached first.
- HTTP: the app is started on a free 127.0.0.1 port; GET of the page and /config, then the page-load
  event through Gradio's queue (POST queue/join, read the SSE stream to process_completed): "first page
  over HTTP" is config + that event, the bytes a browser fetches before the table shows.
- browser (--browser): a headless Chromium opens the page, clicks the Articles tab and waits for the
  table, then types the ~1% search and waits for its page.
- before: what the old tab did on every page load, `render_documents(assistant.documents())` (every
  row), timed and sized, for comparison.

- --existing DIR (repeatable): the same listing figures for an index already on disk (say the 1M-chunk
  archive of benchmarks/scale_store.py), through `Index.articles` alone (no encoder, no web app); with
  --cold each first call follows an eviction of the index's SQLite files from the page cache (only
  those files, so use a copy of an index others are reading).

    python benchmarks/articles_page.py [--articles 1000 --articles 100000] [--rounds 5] [--keep DIR] [--browser]
    python benchmarks/articles_page.py --existing INDEX_DIR [--rounds 5] [--cold]

Prints human-readable lines, then one JSON object per size on its own line. A script, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import scale_data  # noqa: E402  (benchmarks/ is on sys.path when this file runs)

from qa import Assistant, config, store  # noqa: E402
from qa.errors import QAError  # noqa: E402
from qa.index import Index  # noqa: E402

SMALL_DIM = 16
CHROMIUM = "/usr/bin/chromium"
GOAL_S = 2.0
PAGE = 50  # rows of a page of the Articles tab


@contextmanager
def one_chunk_articles():
    """scale_data with one chunk per article and SMALL_DIM vectors (its module settings, restored after)."""
    saved = scale_data.CHUNKS_PER_DOC, scale_data.DIM
    scale_data.CHUNKS_PER_DOC, scale_data.DIM = 1, SMALL_DIM
    try:
        yield
    finally:
        scale_data.CHUNKS_PER_DOC, scale_data.DIM = saved


def ensure_index(index_dir: Path, n: int) -> tuple[float, bool]:
    """(seconds spent writing, reused?) for an index of n synthetic articles in index_dir."""
    try:
        if store.read_manifest(store.require_generation(index_dir))["counts"]["documents"] == n:
            return 0.0, True
    except (QAError, KeyError, OSError):
        pass
    shutil.rmtree(index_dir, ignore_errors=True)
    t0 = time.perf_counter()
    with one_chunk_articles():
        embedder = scale_data.WordSumEmbedder(scale_data.vocabulary())
        scale_data.write_index(index_dir, n, embedder, dense="flat")
    return time.perf_counter() - t0, False


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return (time.perf_counter() - t0) * 1000, out


def p50(fn, *args, rounds: int) -> float:
    return statistics.median(timed(fn, *args)[0] for _ in range(rounds))


def common_title_word(assistant) -> str:
    """The word most first-page titles share (a topic word: it matches a few percent of the articles)."""
    titles = [set(r.title.lower().split()) for r in assistant.articles(limit=50).rows]
    return Counter(w for t in titles for w in t if len(w) > 3).most_common(1)[0][0]


def handler_figures(assistant, rounds: int) -> dict:
    from qa.web.handlers import Handlers

    h = Handlers(assistant)
    cold_ms, (html, _) = timed(h.articles.search, "")
    word = common_title_word(assistant)
    search_cold_ms, _ = timed(h.articles.search, word)
    last = -(-assistant.articles(limit=1).total // PAGE)
    return {
        "first_page_cold_ms": cold_ms,
        "first_page_warm_ms": p50(h.articles.search, "", rounds=rounds),
        "page_html_kb": len(html.encode()) / 1024,
        "search_word": word,
        "search_matches": assistant.articles(word, limit=1).total,
        "search_cold_ms": search_cold_ms,
        "search_warm_ms": p50(h.articles.search, word, rounds=rounds),
        "search_none_ms": p50(h.articles.search, f"zq{uuid.uuid4().hex}", rounds=1),
        "search_all_page10_ms": p50(h.articles.page, "syn_", 10, rounds=rounds),
        "last_page_ms": p50(h.articles.page, "", last, rounds=rounds),
        "middle_page_ms": p50(h.articles.page, "", (last + 1) // 2, rounds=rounds),
        "filter_find_ms": p50(h.articles.find, word[:4], [], rounds=rounds),
    }


def evict(index) -> None:
    """Drop the page cache of the index's SQLite files (only those files: POSIX_FADV_DONTNEED)."""
    for seg in index.segments:
        fd = os.open(seg.dir / "meta.sqlite", os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def listing_figures(index_dir: Path, rounds: int, cold: bool) -> dict:
    """Index.articles on an index already on disk: pages of all and searches, the first call (from an
    evicted page cache with `cold`) then warm."""
    load_ms, index = timed(Index.load, index_dir)
    total = index.articles(limit=1)[0]
    titles = [set(a["title"].lower().split()) for a in index.articles(limit=50)[1]]
    word = Counter(w for t in titles for w in t if len(w) > 3).most_common(1)[0][0]
    calls = {
        "first_page": ("", 0),
        "page_10": ("", 9 * PAGE),
        "middle_page": ("", total // 2),
        "last_page": ("", max(0, total - PAGE)),
        "search": (word, 0),
        "search_page_10": (word, 9 * PAGE),
        "search_none": (f"zq{uuid.uuid4().hex}", 0),
    }
    out: dict = {
        "index": str(index_dir),
        "cold": cold,
        "articles": total,
        "segments": len(index.segments),
        "load_ms": load_ms,
    }
    out |= {"search_word": word, "search_matches": index.articles(word, limit=1)[0]}
    for name, (query, offset) in calls.items():
        if cold:
            evict(index)
        out[f"{name}_first_ms"] = timed(index.articles, query, offset, PAGE)[0]
        out[f"{name}_ms"] = p50(index.articles, query, offset, PAGE, rounds=rounds)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call_event(http: httpx.Client, url: str, fn_index: int, data: list) -> tuple[float, int]:
    """(ms, response bytes) of one queued event: join the queue, read its SSE stream to the end."""
    session = uuid.uuid4().hex
    t0 = time.perf_counter()
    joined = http.post(
        f"{url}gradio_api/queue/join",
        json={"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None},
    )
    joined.raise_for_status()
    size = 0
    with http.stream("GET", f"{url}gradio_api/queue/data", params={"session_hash": session}) as stream:
        for line in stream.iter_lines():
            size += len(line)
            if line.startswith("data:") and json.loads(line[5:]).get("msg") == "process_completed":
                if not json.loads(line[5:]).get("success"):
                    raise RuntimeError(f"event {fn_index} failed: {line[:200]}")
                break
    return (time.perf_counter() - t0) * 1000, size


def browser_figures(url: str, word: str) -> dict:
    """A headless Chromium: open the page, click the Articles tab, wait for the table; then search."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 950})
        t0 = time.perf_counter()
        page.goto(url)
        page.get_by_role("tab", name="Articles").click()
        page.wait_for_selector("#qa-docs table.qa-docs", timeout=60_000)
        open_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        page.click("#qa-docs-search textarea")
        page.keyboard.type(word)  # the `input` event follows key presses (page.fill does not fire it)
        page.wait_for_function(
            f"document.querySelector('#qa-docs')?.innerText.includes('matching “{word}”')", timeout=60_000
        )
        search_ms = (time.perf_counter() - t0) * 1000
        browser.close()
    return {"browser_open_to_table_ms": open_ms, "browser_search_ms": search_ms}


def http_figures(assistant, rounds: int, word: str, browser: bool) -> dict:
    from qa.web.app import launch

    t0 = time.perf_counter()
    demo = launch(assistant, host="127.0.0.1", port=free_port(), block=False)
    start_ms = (time.perf_counter() - t0) * 1000
    url = demo.local_url
    try:
        with httpx.Client(timeout=60) as http:
            page_ms, page = timed(http.get, url)
            config_ms, cfg = timed(http.get, f"{url}config")
            deps = cfg.json()["dependencies"]
            load = next(i for i, d in enumerate(deps) if any(t[1] == "load" for t in d.get("targets", [])))
            runs = [call_event(http, url, load, ["", "", []]) for _ in range(rounds)]  # search, find, chosen
        extra = browser_figures(url, word) if browser else {}
        return extra | {
            "app_start_ms": start_ms,
            "page_get_ms": page_ms,
            "config_ms": config_ms,
            "config_kb": len(cfg.content) / 1024,
            "load_event_ms": statistics.median(r[0] for r in runs),
            "load_event_kb": runs[0][1] / 1024,
            "first_page_http_ms": config_ms + statistics.median(r[0] for r in runs),
        }
    finally:
        demo.close()


def before_figures(assistant) -> dict:
    """The old tab: every article rendered into one table on every page load."""
    from qa.web import render

    ms, html = timed(lambda: render.render_documents(assistant.documents()))
    return {"all_rows_ms": ms, "all_rows_kb": len(html.encode()) / 1024}


def run_size(n: int, parent: Path, rounds: int, browser: bool) -> dict:
    index_dir = parent / f"articles-{n}"
    write_s, reused = ensure_index(index_dir, n)
    settings = config.Settings(
        corpus_dir=parent / "corpus",
        index_dir=index_dir,
        model="synthetic",
        cache_dir=parent / "cache",
        llm_model=None,
        llm_url=None,
    )
    load_ms, assistant = timed(lambda: Assistant.load(index_dir, settings=settings))
    out = {"articles": n, "write_s": write_s, "reused": reused, "load_ms": load_ms}
    out |= handler_figures(assistant, rounds)
    out |= http_figures(assistant, rounds, out["search_word"], browser)
    out |= before_figures(assistant)
    return out


def describe(r: dict) -> str:
    seen = ""
    if "browser_open_to_table_ms" in r:
        seen = (
            f"\n         in Chromium: page opened to table shown {r['browser_open_to_table_ms']:.0f} ms, "
            f"a typed search {r['browser_search_ms']:.0f} ms"
        )
    return (
        f"{r['articles']:>7,} articles: first page {r['first_page_cold_ms']:.0f} ms cold, "
        f"{r['first_page_warm_ms']:.1f} ms warm, {r['page_html_kb']:.0f} KB; "
        f"over HTTP "
        f"{r['first_page_http_ms']:.0f} ms (config {r['config_kb']:.0f} KB + page-load event "
        f"{r['load_event_ms']:.0f} ms)\n"
        f"         search '{r['search_word']}' ({r['search_matches']:,} matches) "
        f"{r['search_cold_ms']:.0f} ms cold, "
        f"{r['search_warm_ms']:.1f} ms warm; no match {r['search_none_ms']:.0f} ms; page 10 of all "
        f"{r['search_all_page10_ms']:.1f} ms; last page {r['last_page_ms']:.1f} ms, middle page "
        f"{r['middle_page_ms']:.1f} ms; filter search {r['filter_find_ms']:.1f} ms\n"
        f"         index load {r['load_ms'] / 1000:.1f} s, app start {r['app_start_ms'] / 1000:.1f} s; "
        f"before (every row): {r['all_rows_ms']:.0f} ms, {r['all_rows_kb']:,.0f} KB per page load" + seen
    )


def describe_listing(r: dict) -> str:
    pages = ("first_page", "page_10", "middle_page", "last_page", "search", "search_page_10", "search_none")
    times = ", ".join(f"{p.replace('_', ' ')} {r[p + '_first_ms']:.0f} / {r[p + '_ms']:.1f} ms" for p in pages)
    return (
        f"{r['index']}: {r['articles']:,} articles in {r['segments']} segment(s), loaded in {r['load_ms']:.0f} ms; "
        f"search '{r['search_word']}' matches {r['search_matches']:,}\n         first call / warm p50: {times}"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, action="append", help="sizes (default 1000 and 100000)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--browser", action="store_true", help=f"also time a real page in {CHROMIUM}")
    parser.add_argument("--keep", default=None, help="parent directory for the indexes (kept and reused)")
    parser.add_argument("--existing", action="append", help="an index on disk: time Index.articles on it only")
    parser.add_argument("--cold", action="store_true", help="with --existing: evict its SQLite files first")
    args = parser.parse_args(argv)
    config.apply_environment()
    if args.existing:
        for index_dir in args.existing:
            r = listing_figures(Path(index_dir), args.rounds, args.cold)
            print(describe_listing(r))
            print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}))
        return 0
    parent = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="qa-articles-"))
    parent.mkdir(parents=True, exist_ok=True)
    try:
        results = [run_size(n, parent, args.rounds, args.browser) for n in (args.articles or [1000, 100_000])]
    finally:
        if not args.keep:
            shutil.rmtree(parent, ignore_errors=True)
    for r in results:
        print(describe(r))
    base, top = results[0], results[-1]
    if len(results) > 1:
        print(
            f"{top['articles']:,} vs {base['articles']:,} articles: first page cold x"
            f"{top['first_page_cold_ms'] / base['first_page_cold_ms']:.1f}, warm x"
            f"{top['first_page_warm_ms'] / base['first_page_warm_ms']:.1f}, over HTTP x"
            f"{top['first_page_http_ms'] / base['first_page_http_ms']:.1f}"
        )
    worst = max(top["first_page_cold_ms"], top["first_page_http_ms"], top.get("browser_open_to_table_ms", 0)) / 1000
    print(
        f"goal: first page <= {GOAL_S} s at {top['articles']:,} articles: {worst:.2f} s, "
        f"{'met' if worst <= GOAL_S else 'MISSED'}"
    )
    for r in results:
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
