"""Event handlers for the web page: they call the `Assistant` and turn results into safe HTML.

What it does: streams a chat turn (question -> deltas -> final Answer), keeps the conversation in a
per-session list of turns (used for follow-up questions), serves the JSON `ask` endpoint, runs the
incremental rebuild with progress, and saves uploads into the corpus. The Articles tab's paging and
the article filter's search are in `qa.web.articles`.

What it does not do: retrieval, answering or citation building (all in `qa.api`), or any HTML
escaping of its own (all in `qa.web.render`).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import gradio as gr

from qa.errors import QAError
from qa.types import Answer
from qa.web import render
from qa.web.articles import ArticleHandlers
from qa.web.uploads import save_uploads

log = logging.getLogger("qa.web")
MAX_TURNS = 50  # per session; older turns are dropped from the page and from follow-up history


class FormError(QAError, ValueError):
    """A control on the page holds an unusable value (shown to the user as is)."""


def parse_filters(doc_ids: list[str] | None, date_from: str | None, date_to: str | None) -> dict | None:
    """The Assistant's `filters` dict from the form, or FormError with a readable message."""
    filters: dict = {}
    if doc_ids:
        filters["doc_ids"] = [str(d) for d in doc_ids]
    for key, value in (("date_from", date_from), ("date_to", date_to)):
        value = (value or "").strip()
        if value:
            try:
                filters[key] = dt.date.fromisoformat(value).isoformat()
            except ValueError:
                raise FormError(f"'{value}' is not a date; use YYYY-MM-DD") from None
    if filters.get("date_from", "") > filters.get("date_to", "9999"):
        raise FormError("the 'from' date is after the 'to' date")
    return filters or None


def history_of(turns: list[dict]) -> list[tuple[str, str]]:
    """(question as understood, answer text) for answered turns, oldest first."""
    return [(t["resolved"] or t["question"], t["answer"].text) for t in turns if t.get("answer") is not None]


def chat_messages(turns: list[dict], pending: tuple[str, str] | None = None) -> list[dict]:
    """Chatbot messages; only the latest answer's [n] links point at the sources panel."""
    out, last = [], len(turns) - 1
    for i, t in enumerate(turns):
        out.append({"role": "user", "content": render.render_question(t["question"])})
        if t.get("answer") is not None:
            linked = pending is None and i == last
            body = render.render_answer(t["answer"], t.get("resolved"), linked=linked)
        else:
            body = render.render_error(t.get("error") or "no answer")
        out.append({"role": "assistant", "content": body})
    if pending is not None:
        out.append({"role": "user", "content": render.render_question(pending[0])})
        out.append({"role": "assistant", "content": render.render_streaming(pending[1])})
    return out


def user_message(exc: Exception) -> str:
    if isinstance(exc, QAError):
        return str(exc)
    log.exception("unexpected error while answering")
    return f"Something went wrong while answering ({type(exc).__name__}). The server log has details."


class Handlers:
    """Callbacks bound to one Assistant (shared by all sessions; per-session data lives in gr.State)."""

    def __init__(self, assistant):
        self.assistant = assistant
        self.articles = ArticleHandlers(assistant)

    def chat(self, question, turns, k, mode, doc_ids, date_from, date_to):
        """Generator: yields (chatbot messages, sources html, turns, question box) while answering."""
        turns = list(turns or [])[-MAX_TURNS:]
        question = (question or "").strip()
        if not question:
            yield chat_messages(turns), gr.skip(), turns, ""
            return
        history = history_of(turns)
        turn: dict = {"question": question, "resolved": None}
        yield chat_messages(turns, (question, "")), render.render_message("Searching the articles…"), turns, ""
        try:
            filters = parse_filters(doc_ids, date_from, date_to)
            partial, answer = "", None
            stream = self.assistant.stream(
                question, k=int(k or 5), mode=mode or "extractive", filters=filters, history=history or None
            )
            for item in stream:
                if isinstance(item, Answer):
                    answer = item
                else:
                    partial += str(item)
                    yield chat_messages(turns, (question, partial)), gr.skip(), turns, ""
            if answer is None:
                raise RuntimeError("the assistant returned no answer")
            turn["answer"] = answer
            # Assistant.ask resolved the follow-up and answers the question it searched for
            if answer.question != " ".join(question.split()):
                turn["resolved"] = answer.question
            sources = render.render_sources(answer)
        except Exception as exc:  # shown in the chat; the page stays usable
            turn["error"] = user_message(exc)
            sources = render.render_message("No sources: the question could not be answered.")
        turns = turns + [turn]
        yield chat_messages(turns), sources, turns, ""

    def ask_api(self, question: str, k: int = 5, mode: str = "extractive") -> dict:
        """JSON endpoint for gradio_client: Answer.to_dict() with verbatim citations."""
        try:
            return self.assistant.ask(question, k=int(k), mode=mode).to_dict()
        except QAError as exc:
            raise gr.Error(str(exc)) from None

    def rebuild(
        self,
        full: bool,
        query: str = "",
        find: str = "",
        selected: list[str] | None = None,
        progress=gr.Progress(),  # noqa: B008 - Gradio injects the bar via this default
    ):
        """Incremental (or full) rebuild with a progress bar; returns the report, the Articles tab's first
        page for `query`, its page number, and the filter's choices for `find` (keeping `selected`)."""

        def report_progress(done: int, total: int, stage: str) -> None:
            progress((done, max(total, 1)), desc=stage)

        try:
            report = self.assistant.rebuild(full=bool(full), progress=report_progress)
            text = report.summary()
        except Exception as exc:
            text = f"Rebuild failed: {user_message(exc)}"
        return text, *self.articles.search(query), self.articles.find(find, selected)

    def upload(self, files) -> str:
        paths = [f if isinstance(f, str) else getattr(f, "name", str(f)) for f in (files or [])]
        if not paths:
            return "No files received."
        saved, messages = save_uploads(paths, Path(self.assistant.corpus_dir))
        tail = "\nPress “Rebuild index” to add them to the index." if saved else ""
        return "\n".join(messages) + tail

    @staticmethod
    def clear():
        return [], render.render_sources(None), [], ""
