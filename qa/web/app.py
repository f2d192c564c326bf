"""The web chat: `build_app(assistant)` lays out Gradio components; `launch(...)` serves them locally.

What it does: a two-column chat page (chat left, sources right), answer controls, corpus-generated
example questions, a searchable article filter, an Articles tab (qa.web.articles_tab), and a JSON `ask` endpoint for
`gradio_client`. It serves on 127.0.0.1 by default, never makes a share link unless asked, caps the
queue (a full queue shows Gradio's "busy, try again" message) and upload size, blocks the corpus
and index folders from Gradio's file route, and asks for a login when given one (qa.web.auth).

What it does not do: retrieval, answering, escaping or file handling; those live in `qa.api`,
`qa.web.render`, `qa.web.handlers` and `qa.web.uploads`. Building the app starts no server.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

import gradio as gr

from qa import catalog, config
from qa.examples import example_questions
from qa.web import guard, render, style
from qa.web.articles import FILTER_CHOICES
from qa.web.articles_tab import articles_tab
from qa.web.auth import is_loopback
from qa.web.handlers import Handlers

log = logging.getLogger("qa.web")
QUEUE_SIZE = 16
SESSION_CAPACITY = 1000
CONCURRENCY = 2
TITLE = "qa — ask the news articles"
MAX_EXAMPLE_DOCS = 300


def _examples(assistant) -> list[str]:
    try:
        docs = [assistant.document(r.doc_id) for r in assistant.articles(limit=MAX_EXAMPLE_DOCS).rows]
        return example_questions(docs, n=4)
    except Exception:  # examples are a nicety; never block the page on them
        log.exception("could not generate example questions")
        return []


def _header(assistant) -> str:
    n = assistant.articles(limit=1).total
    return (
        f'<div id="qa-header"><h1>{render.esc(TITLE)}</h1><p>Answers quote the articles verbatim; every '
        f"[n] links to its source on the right. {n:,} article(s) indexed.</p></div>"
    )


def _controls(assistant, h: Handlers):
    with gr.Row():
        k = gr.Slider(1, 10, value=5, step=1, label="Passages to read", scale=2)
        llm = assistant.llm_available
        local = "local model" if llm else "local model (not configured)"
        mode = gr.Radio(
            [("extractive (quotes)", "extractive"), (local, "llm")],
            value="extractive",
            label="Answer mode",
            interactive=llm,
            info=assistant.llm_hint(),
            scale=3,
            elem_id="qa-mode",
        )
    with gr.Accordion("Filter by article or date", open=False):
        # the choices are a search's first matches, never the whole archive (qa.web.articles)
        find = gr.Textbox(
            label="Find articles",
            placeholder="Type part of a title, source or file name",
            max_length=catalog.MAX_QUERY_CHARS,
            elem_id="qa-filter-find",
        )
        doc_ids = gr.Dropdown(
            choices=h.articles.filter_choices(""),
            multiselect=True,
            label="Only these articles",
            value=[],
            elem_id="qa-filter-docs",
            info=f"Up to {FILTER_CHOICES} matches are listed; type to find others.",
        )
        with gr.Row():
            date_from = gr.Textbox(label="From (YYYY-MM-DD)", max_length=10)
            date_to = gr.Textbox(label="To (YYYY-MM-DD)", max_length=10)
    for trigger in (find.input, find.submit):
        trigger(
            h.articles.find,
            [find, doc_ids],
            [doc_ids],
            api_visibility="private",
            show_progress="hidden",
            trigger_mode="always_last",
            concurrency_id="articles",
        )
    return k, mode, (find, doc_ids), date_from, date_to


def _chat_tab(assistant, h: Handlers):
    turns = gr.State([])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=360):
            chatbot = gr.Chatbot(
                label="Chat",
                height=480,
                render_markdown=False,
                sanitize_html=True,
                feedback_options=None,
                group_consecutive_messages=False,
                elem_id="qa-chat",
                buttons=["copy", "copy_all"],
                placeholder="Ask a question about the articles. Answers cite their sources.",
            )
            with gr.Row():
                question = gr.Textbox(
                    show_label=False,
                    placeholder="Ask about the articles…",
                    scale=5,
                    max_length=config.MAX_QUESTION_CHARS,
                    elem_id="qa-question",
                    lines=1,
                )
                ask = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="qa-ask")
            examples = _examples(assistant)
            if examples:
                gr.Examples([[q] for q in examples], inputs=[question], label="Example questions from your corpus")
            k, mode, doc_filter, date_from, date_to = _controls(assistant, h)
            doc_ids = doc_filter[1]
            new = gr.Button("New conversation", size="sm")
        with gr.Column(scale=2, min_width=320):
            sources = gr.HTML(render.render_sources(None), elem_id="qa-sources", js_on_load=None)
    inputs = [question, turns, k, mode, doc_ids, date_from, date_to]
    outputs = [chatbot, sources, turns, question]
    for trigger in (question.submit, ask.click):
        trigger(h.chat, inputs, outputs, api_visibility="undocumented", show_progress="hidden", concurrency_id="answer")
    new.click(h.clear, None, outputs, api_visibility="private", queue=False)
    chatbot.clear(h.clear, None, outputs, api_visibility="private", queue=False)
    return doc_filter


def build_app(assistant) -> gr.Blocks:
    """The Gradio Blocks for `assistant` (anything with the qa.api.Assistant methods). Starts nothing."""
    h = Handlers(assistant)
    # delete_cache: uploads are copied into the corpus at once; Gradio's cached copies would pile up forever
    with gr.Blocks(title=TITLE, analytics_enabled=False, fill_width=True, delete_cache=(3600, 3600)) as demo:
        gr.HTML(_header(assistant), js_on_load=None)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                doc_filter = _chat_tab(assistant, h)
            with gr.Tab("Articles", id="articles"):
                query, page, table = articles_tab(h, doc_filter)
        find, doc_ids = doc_filter
        demo.load(  # every visit sees the live index, also after a Rebuild made in another tab
            h.articles.page_load,
            [query, find, doc_ids],
            [table, page, doc_ids],
            api_visibility="private",
            show_progress="hidden",
            concurrency_id="articles",
        )
        gr.api(h.ask_api, api_name="ask", concurrency_id="answer")
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY)
    return demo


def _blocked_paths(assistant) -> list[str]:
    """Folders Gradio's file route must never serve (skipping any that would contain its own temp dir)."""
    settings = assistant.settings
    candidates = [
        assistant.corpus_dir,
        settings.index_dir,
        settings.cache_dir,
        config.REPO_ROOT,
        Path.home() / ".ssh",
    ]
    gradio_tmp = config.gradio_temp_dir()
    out = []
    for p in candidates:
        if p is None:
            continue
        p = Path(p).resolve()
        if not gradio_tmp.is_relative_to(p):
            out.append(str(p))
    return out


def launch_options(assistant, host: str = "127.0.0.1") -> dict:
    """Keyword arguments for `Blocks.launch` (theme, CSS, file-access and size limits, cross-site guard)."""
    return {
        "theme": style.theme(),
        "css": style.CSS,
        "footer_links": ["api"],
        "allowed_paths": [],
        "app_kwargs": guard.app_kwargs(host),
        # every browser tab or API client is a session holding its chat turns; Gradio keeps 10,000
        # by default, which a client inventing session ids could fill (benchmarks/soak.py)
        "state_session_capacity": SESSION_CAPACITY,
        "blocked_paths": _blocked_paths(assistant),
        "max_file_size": config.MAX_UPLOAD_BYTES,
        "ssr_mode": False,
        "mcp_server": False,
        "pwa": False,
        "enable_monitoring": False,
        "show_error": False,
        "inbrowser": False,
    }


def _console_progress(done: int, total: int, stage: str) -> None:
    print(f"\r{stage}: {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)


def launch(
    assistant=None,
    host: str = "127.0.0.1",
    port: int = 7860,
    share: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
    *,
    block: bool = True,
    auth: list[tuple[str, str]] | None = None,
) -> gr.Blocks:
    """Serve the chat. With no assistant, load the default index (building it first, with progress).
    `auth`: (user, password) pairs every page and API call must log in with (qa.web.auth.web_auth).

    `block=False` returns the running Blocks at once (tests, benchmarks); call `.close()` to stop it.
    """
    if assistant is None:
        from qa import Assistant

        print("Loading the index (building it first if it is missing)…", file=sys.stderr)
        assistant = Assistant.load(build_if_missing=True, progress=progress or _console_progress)
    if not is_loopback(host) and not auth:  # only with --no-auth (qa.web.auth refuses it otherwise)
        print(
            f"Warning: serving on {host} without a login; anyone who can reach this address can use the app.",
            file=sys.stderr,
        )
    demo = build_app(assistant)
    demo.launch(
        server_name=host,
        server_port=port,
        share=share,
        prevent_thread_lock=not block,
        quiet=not block,
        auth=auth or None,
        auth_message="Log in to ask the articles.",
        **launch_options(assistant, host),
    )
    return demo
