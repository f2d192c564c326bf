"""Event handlers for the Articles tab (one page of the list, next/previous, search) and the chat's
searchable article filter, over `Assistant.articles(query, offset, limit)`.

What it does: turns a page number and search text into one page of rows (never the whole archive), and
search text into at most FILTER_CHOICES filter choices, keeping the articles already chosen.

What it does not do: search or page itself (qa.catalog, through the Assistant), or escape HTML
(qa.web.render).
"""

from __future__ import annotations

import math

import gradio as gr

from qa.errors import QAError
from qa.web import render

PAGE_SIZE = 50
FILTER_CHOICES = 50


class PageError(QAError, ValueError):
    """The page number on the Articles tab is not usable (shown to the user as is)."""


def page_number(value: object) -> int:
    """A page number from the form (1 or more), or PageError with a readable message."""
    try:  # gr.Number sends a float; a script might send anything
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number != int(number):
        raise PageError(f"the page must be a whole number, not '{value}'")
    if number < 1:
        raise PageError(f"the page must be 1 or more (got {int(number)})")
    return int(number)


def choice_label(title: str, date: str | None) -> str:
    return f"{title[:80]} ({date or 'no date'})"


class ArticleHandlers:
    """Callbacks bound to one Assistant (anything with `articles` and `document`)."""

    def __init__(self, assistant):
        self.assistant = assistant

    def page(self, query: str | None, page: object):
        """(table html, page shown) for `page` of the articles matching `query`; past the end, the last page."""
        try:
            number = page_number(page)
            result = self.assistant.articles(query or "", (number - 1) * PAGE_SIZE, PAGE_SIZE)
            pages = max(1, -(-result.total // PAGE_SIZE))
            if number > pages:  # the list shrank, or a page number past the end was typed
                number = pages
                result = self.assistant.articles(query or "", (number - 1) * PAGE_SIZE, PAGE_SIZE)
            return render.render_article_page(result, number, pages), number
        except QAError as exc:
            return render.render_error(str(exc)), gr.skip()

    def search(self, query: str | None):
        """A new search starts at page 1."""
        return self.page(query, 1)

    def previous(self, query: str | None, page: object):
        return self.page(query, max(1, self._current(page) - 1))

    def next(self, query: str | None, page: object):
        return self.page(query, self._current(page) + 1)

    @staticmethod
    def _current(page: object) -> int:
        try:
            return page_number(page)
        except PageError:  # a bad number in the box: the buttons restart from the first page
            return 1

    def page_load(self, query: str | None, find: str | None, selected: list[str] | None):
        """A page (re)load: the tab's first page and the filter's choices, from the index serving now."""
        return *self.search(query), self.find(find, selected)

    def filter_choices(self, query: str | None, selected: list[str] | None = None) -> list[tuple[str, str]]:
        """The chosen articles first (so a new search never drops them), then up to FILTER_CHOICES matches."""
        chosen = [str(d) for d in (selected or [])]
        choices = []
        for doc_id in chosen:
            try:
                doc = self.assistant.document(doc_id)
            except KeyError:  # gone after a rebuild: no longer offered, and dropped from the selection
                continue
            choices.append((choice_label(doc.title, doc.date), doc_id))
        for row in self.assistant.articles(query or "", 0, FILTER_CHOICES).rows:
            if row.doc_id not in chosen:
                choices.append((choice_label(row.title, row.date), row.doc_id))
        return choices

    def find(self, query: str | None, selected: list[str] | None):
        """The filter dropdown's choices for what was typed in its search box."""
        try:
            choices = self.filter_choices(query, selected)
        except QAError as exc:  # e.g. an over-long search: keep the choices, say why in the label
            return gr.update(info=str(exc))
        kept = {value for _, value in choices}
        return gr.update(
            choices=choices,
            value=[d for d in (selected or []) if d in kept],
            info=f"Up to {FILTER_CHOICES} matches are listed; type to find others.",
        )
