"""Safe HTML for the web page: chat bubbles, the sources panel and the articles table.

Every piece of article or question text goes through `html.escape` on its own before it is put
into markup we build here, so `<script>`, `<img onerror>`, `javascript:` links and markdown images
in an article stay inert text (nothing is parsed as markdown anywhere on the page). The only links
we create are `#src-n` anchors for citation markers (built from `Answer.citations`, i.e. retrieval
results, never from generated text) and, for a source that is an http(s) URL, a plain outbound link.

This module does no retrieval and no I/O; it only turns qa.types objects into strings.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from qa.types import Answer, Citation, Passage

ABSTAIN_NOTE = "No article supports an answer, so none is given. The nearest passages are shown for reference."
CONTEXT_CHARS = 320  # passage text kept on each side of a highlighted quote
_MARKER = re.compile(r"\[(\d{1,3})\]")


def esc(text: object) -> str:
    """Escape text for HTML element content and double-quoted attributes."""
    return html.escape("" if text is None else str(text), quote=True)


def text_html(text: str) -> str:
    """Escaped text with line breaks kept."""
    return esc(text).replace("\r\n", "\n").replace("\n", "<br>")


def link_markers(text: str, numbers: set[int], linked: bool = True) -> str:
    """Escape `text`, then turn [n] markers that match a real citation into anchors to #src-n."""

    def sub(m: re.Match) -> str:
        n = int(m.group(1))
        if n not in numbers:
            return m.group(0)
        if not linked:
            return f'<span class="qa-cite">[{n}]</span>'
        return f'<a class="qa-cite" href="#src-{n}" title="Show source {n}">[{n}]</a>'

    return _MARKER.sub(sub, text_html(text))


def render_question(question: str) -> str:
    return f'<div class="qa-question">{text_html(question)}</div>'


def render_streaming(partial: str) -> str:
    body = text_html(partial) if partial else "Searching the articles…"
    return f'<div class="qa-answer qa-streaming">{body}<span class="qa-cursor">▍</span></div>'


def render_error(message: str) -> str:
    return f'<div class="qa-answer qa-error" role="alert">⚠ {text_html(message)}</div>'


def render_answer(answer: Answer, resolved: str | None = None, linked: bool = True) -> str:
    """One assistant bubble: interpreted follow-up, short answer, text with [n] links, notes."""
    parts = ['<div class="qa-answer' + (" qa-abstained" if answer.abstained else "") + '">']
    # the caller passes it only when the question was rewritten (a follow-up, or "according to the article" dropped)
    if resolved:
        parts.append(f'<div class="qa-resolved">Searched as: “{esc(resolved)}”</div>')
    if answer.short_answer and not answer.abstained:
        parts.append(f'<div class="qa-short">{text_html(answer.short_answer)}</div>')
    numbers = {c.n for c in answer.citations}
    parts.append(f'<div class="qa-text">{link_markers(answer.text, numbers, linked)}</div>')
    if answer.abstained:
        parts.append(f'<div class="qa-hint">{esc(ABSTAIN_NOTE)}</div>')
    if answer.note:
        parts.append(f'<div class="qa-note">{text_html(answer.note)}</div>')
    parts.append("</div>")
    return "".join(parts)


def source_html(source: str) -> str:
    """A source label: a link only for a well-formed http(s) URL, escaped text otherwise."""
    src = (source or "").strip()
    try:
        parts = urlsplit(src)
    except ValueError:
        parts = None
    if parts and parts.scheme in ("http", "https") and parts.netloc and not re.search(r"[\s\"'<>`]", src):
        return (
            f'<a class="qa-src-link" href="{esc(src)}" target="_blank" '
            f'rel="noopener noreferrer nofollow">{esc(parts.netloc)}</a>'
        )
    return f'<span class="qa-src-path">{esc(src)}</span>'


def highlight(text: str, spans: list[tuple[int, int]], context: int | None = CONTEXT_CHARS) -> str:
    """Escape `text` with each (start, end) span wrapped in <mark>; trim far context with ellipses."""
    spans = sorted((max(0, s), min(len(text), e)) for s, e in spans if e > s and s < len(text) and e > 0)
    lo, hi = 0, len(text)
    if spans and context is not None:
        lo, hi = max(0, spans[0][0] - context), min(len(text), spans[-1][1] + context)
    out, pos = ["…" if lo > 0 else ""], lo
    for s, e in spans:
        if s < pos:  # overlapping spans merge into the previous mark
            s = pos
        if e <= s:
            continue
        out.append(esc(text[pos:s]) + "<mark>" + esc(text[s:e]) + "</mark>")
        pos = e
    out.append(esc(text[pos:hi]) + ("…" if hi < len(text) else ""))
    return "".join(out).replace("\n", "<br>")


def quote_span(passage: Passage, citation: Citation) -> tuple[int, int] | None:
    """Where the citation's quote sits inside the passage text, from document offsets."""
    s, e = citation.start - passage.start, citation.end - passage.start
    if 0 <= s < e <= len(passage.text) and passage.text[s:e] == citation.quote:
        return s, e
    found = passage.text.find(citation.quote) if citation.quote else -1
    return (found, found + len(citation.quote)) if found >= 0 else None


def _containing(answer: Answer, c: Citation) -> Passage | None:
    return next(
        (p for p in answer.passages if p.doc_id == c.doc_id and p.start <= c.start and c.end <= p.end),
        next((p for p in answer.passages if p.doc_id == c.doc_id and c.quote in p.text), None),
    )


def _meta(date: str | None, source: str) -> str:
    when = f'<span class="qa-src-date">{esc(date)}</span> · ' if date else ""
    return f'<div class="qa-src-meta">{when}{source_html(source)}</div>'


def _also_in(passage: Passage | None) -> str:
    if not passage or not passage.also_in:
        return ""
    items = ", ".join(f"{esc(d.get('title', ''))} ({esc(d.get('source', ''))})" for d in passage.also_in[:5])
    return f'<div class="qa-also">Also in: {items}</div>'


def render_citation(answer: Answer, c: Citation) -> str:
    passage = _containing(answer, c)
    span = quote_span(passage, c) if passage else None
    body = highlight(passage.text, [span]) if passage and span else f"<mark>{text_html(c.quote)}</mark>"
    return (
        f'<article class="qa-src" id="src-{c.n}"><header><span class="qa-src-n">[{c.n}]</span> '
        f'<span class="qa-src-title">{esc(c.title)}</span></header>{_meta(c.date, c.source)}'
        f'<blockquote class="qa-src-passage">{body}</blockquote>{_also_in(passage)}</article>'
    )


def render_passage(p: Passage, i: int) -> str:
    body = highlight(p.text, [], context=None)
    return (
        f'<article class="qa-src qa-near" id="near-{i}"><header><span class="qa-src-title">{esc(p.title)}'
        f'</span></header>{_meta(p.date, p.source)}<blockquote class="qa-src-passage">{body}</blockquote>'
        f"{_also_in(p)}</article>"
    )


def render_sources(answer: Answer | None, max_nearest: int = 5) -> str:
    """The sources panel for the latest answer (or a placeholder before the first question)."""
    if answer is None:
        return (
            '<div class="qa-sources qa-empty">Sources for the latest answer appear here: each cited '
            "article with its date, source and the quoted passage highlighted.</div>"
        )
    if answer.citations:
        cards = "".join(render_citation(answer, c) for c in answer.citations)
        return f'<div class="qa-sources"><h3>Sources</h3>{cards}</div>'
    head = "Not found in the articles" if answer.abstained else "No citations"
    near = "".join(render_passage(p, i) for i, p in enumerate(answer.passages[:max_nearest], 1))
    near = near or '<p class="qa-hint">No passages were retrieved.</p>'
    return (
        f'<div class="qa-sources qa-abstain"><h3>{head}</h3><p class="qa-hint">Nearest passages '
        f"(they do not answer the question):</p>{near}</div>"
    )


def render_message(text: str) -> str:
    """A one-line notice in the sources panel (busy, error, searching)."""
    return f'<div class="qa-sources qa-empty">{text_html(text)}</div>'


def render_documents(docs: list[dict], caption: str | None = None) -> str:
    """The Articles tab table: title, date, source, chunks (all escaped); `caption` is trusted markup."""
    if not docs:
        return '<p class="qa-hint">No articles are indexed yet. Add files to the corpus folder and press Rebuild.</p>'
    rows = "".join(
        f"<tr><td>{esc(d.get('title', ''))}</td><td>{esc(d.get('date') or '—')}</td>"
        f"<td>{source_html(d.get('source', ''))}</td><td class='qa-num'>{esc(d.get('chunks', ''))}</td></tr>"
        for d in docs
    )
    caption = caption if caption is not None else f"{len(docs)} article(s) indexed."
    return (
        f'<p class="qa-hint">{caption}</p><table class="qa-docs"><thead><tr>'
        f"<th>Title</th><th>Date</th><th>Source</th><th>Chunks</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def render_article_page(page, number: int, pages: int) -> str:
    """One page of the Articles tab (a qa.catalog.ArticlePage): where it sits in the list, then its rows."""
    matching = f" matching “{esc(page.query)}”" if page.query else ""
    if not page.total:
        if page.query:
            return f'<p class="qa-hint">No article title, source or file name contains “{esc(page.query)}”.</p>'
        return render_documents([])
    if not page.rows:
        return f'<p class="qa-hint">Page {number:,} is past the end: {page.total:,} article(s){matching}.</p>'
    first, last = page.offset + 1, page.offset + len(page.rows)
    caption = (
        f'<span id="qa-docs-range">Articles {first:,}–{last:,} of {page.total:,}{matching}</span> · '
        f"page {number:,} of {pages:,}"
    )
    return render_documents([r.to_dict() for r in page.rows], caption)
