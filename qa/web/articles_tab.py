"""The Articles tab's layout: a search box, previous/next and a page number over one page of the article
table, Rebuild with its report, and uploads.

What it does not do: page, search, rebuild or save anything itself (qa.web.articles, qa.web.handlers).
"""

from __future__ import annotations

import gradio as gr

from qa import catalog, config
from qa.web import render
from qa.web.handlers import Handlers
from qa.web.uploads import ALLOWED_SUFFIXES


def article_list(h: Handlers):
    """Search box, previous/next and one page of the table; returns (search box, page number, table)."""
    with gr.Row(equal_height=True):
        query = gr.Textbox(
            label="Search articles",
            placeholder="Part of a title, source or file name",
            scale=4,
            max_length=catalog.MAX_QUERY_CHARS,
            elem_id="qa-docs-search",
        )
        prev = gr.Button("‹ Previous", size="sm", scale=1, min_width=90, elem_id="qa-docs-prev")
        page = gr.Number(value=1, precision=0, label="Page", scale=1, min_width=90, elem_id="qa-docs-page")
        nxt = gr.Button("Next ›", size="sm", scale=1, min_width=90, elem_id="qa-docs-next")
    # filled by the page-load event (qa.web.app.build_app): every visit sees the live index, even after a Rebuild
    table = gr.HTML(render.render_message("Loading the articles…"), js_on_load=None, elem_id="qa-docs")
    events = {"api_visibility": "private", "show_progress": "hidden", "concurrency_id": "articles"}
    for trigger in (query.input, query.submit):
        trigger(h.articles.search, [query], [table, page], trigger_mode="always_last", **events)
    page.submit(h.articles.page, [query, page], [table, page], **events)
    prev.click(h.articles.previous, [query, page], [table, page], **events)
    nxt.click(h.articles.next, [query, page], [table, page], **events)
    return query, page, table


def articles_tab(h: Handlers, doc_filter):
    """The tab's contents; `doc_filter` is the chat's (search box, dropdown), refreshed by a rebuild."""
    gr.Markdown(
        "The indexed articles. **Rebuild** re-reads the corpus folder and only embeds what changed; "
        "files it cannot index are listed with the reason."
    )
    query, page, table = article_list(h)
    with gr.Row():
        rebuild = gr.Button("Rebuild index", variant="primary", elem_id="qa-rebuild")
        full = gr.Checkbox(label="Full rebuild (re-embed everything)", value=False)
    report = gr.Textbox(label="Build report", lines=6, interactive=False, elem_id="qa-report")
    find, doc_ids = doc_filter
    rebuild.click(
        h.rebuild,
        [full, query, find, doc_ids],
        [report, table, page, doc_ids],
        api_visibility="private",
        concurrency_limit=1,
        concurrency_id="build",
    )
    kb = config.MAX_UPLOAD_BYTES // 1024
    files = gr.File(
        label=f"Add articles ({', '.join(ALLOWED_SUFFIXES)}; at most {kb} KB each)",
        file_count="multiple",
        file_types=list(ALLOWED_SUFFIXES),
        type="filepath",
        elem_id="qa-upload",
    )
    status = gr.Textbox(label="Upload result", lines=3, interactive=False, elem_id="qa-upload-status")
    files.upload(h.upload, [files], [status], api_visibility="private", concurrency_limit=1, concurrency_id="build")
    return query, page, table
