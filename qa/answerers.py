"""Answer modes: a small registry of answerers, all with one signature, `answerer(request) -> Answer`.

`Assistant.ask(mode=...)` retrieves the passages once, packs them into an `AnswerRequest` and calls the
answerer registered under that name. Registered here: "extractive" (qa.answer: quotes the best-supported
sentences) and "llm" (qa.llm.grounded: a local model writes, every sentence is checked, the extractive
answer is the fallback). `register` adds another; an unknown mode is one InvalidQuestionError line
naming the registered ones. An answerer must return an Answer whose every
`Citation.quote == document.text[start:end]`. Nothing here retrieves passages or chooses a model: the
request carries them (its `llm` makes the configured backend on first call).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import config
from .answer import Extractor, extractive_answer
from .embedder import Embedder
from .errors import InvalidQuestionError
from .index import Index
from .types import Answer, Passage

if TYPE_CHECKING:  # the llm package is imported only when a local model is used
    from .llm.backends import LLMBackend


@dataclass(frozen=True)
class AnswerRequest:
    """Everything an answerer may use for one question, retrieved and encoded once by Assistant.ask."""

    question: str  # as searched (a follow-up already rewritten)
    qvec: np.ndarray  # the question's embedding
    passages: list[Passage]  # ranked 1..k
    rows: list[list[int]]  # each passage's sentence rows in the index
    index: Index  # the index the passages come from (a rebuild cannot swap it mid-question)
    extractor: Extractor
    settings: config.Settings  # the live settings (abstain_below, llm_max_tokens, ...)
    embedder: Embedder  # the index's model (the llm answerer checks generated sentences with it)
    llm: Callable[[], LLMBackend]  # the configured local model; LLMError when there is none
    on_token: Callable[[str], None] | None = None  # called with each piece of generated text

    def extractive(self) -> Answer:
        """The extractive answer to this request (the default mode, and the fallback of the others)."""
        return extractive_answer(
            self.index,
            self.extractor,
            self.question,
            self.qvec,
            self.passages,
            self.rows,
            abstain_below=self.settings.abstain_below,
            method=self.settings.abstain,
        )


Answerer = Callable[[AnswerRequest], Answer]


@dataclass(frozen=True)
class _Entry:
    answerer: Answerer
    streams: bool  # calls request.on_token while it writes (Assistant.stream then forwards the pieces)


_REGISTRY: dict[str, _Entry] = {}


def register(name: str, answerer: Answerer, streams: bool = False) -> None:
    """Make `answerer` the one for mode `name` (replacing any earlier one of that name)."""
    _REGISTRY[name] = _Entry(answerer, streams)


def unregister(name: str) -> None:
    """Remove mode `name` (a no-op when it is not registered)."""
    _REGISTRY.pop(name, None)


def modes() -> tuple[str, ...]:
    """The registered mode names, in registration order."""
    return tuple(_REGISTRY)


def get(name: str) -> Answerer:
    """The answerer of mode `name`; InvalidQuestionError naming the registered modes otherwise."""
    entry = _REGISTRY.get(name)
    if entry is None:
        raise InvalidQuestionError(f"unknown mode '{name}'; use one of {', '.join(_REGISTRY)}")
    return entry.answerer


def streams(name: str) -> bool:
    """Whether mode `name` produces its text piece by piece (False for an unknown mode)."""
    entry = _REGISTRY.get(name)
    return entry is not None and entry.streams


def _llm(request: AnswerRequest) -> Answer:
    from .llm.grounded import llm_answer

    return llm_answer(
        request.question,
        request.passages,
        request.index.documents,
        request.llm(),
        request.embedder.encode,
        request.extractive,
        on_token=request.on_token,
        max_tokens=request.settings.llm_max_tokens,
    )


register("extractive", AnswerRequest.extractive)
register("llm", _llm, streams=True)


def stream_answer(ask: Callable[..., Answer], question: str, kwargs: dict) -> Iterator[str | Answer]:
    """Assistant.stream: the pieces of `ask(question, **kwargs)`'s answer as they are produced, then the
    Answer. A streaming mode runs in a thread and its on_token pieces are yielded as they come; any other
    answer exists at once and is yielded word by word (for the UI)."""
    if not streams(kwargs.get("mode", "extractive")):
        answer = ask(question, **kwargs)
        for word in answer.text.split(" "):
            yield word + " "
        yield answer
        return
    yield from _pieces(lambda on_token: ask(question, on_token=on_token, **kwargs))


def _pieces(ask: Callable[[Callable[[str], None]], Answer]) -> Iterator[str | Answer]:
    """Run `ask(on_token)` in a thread and yield each piece it passes to on_token, then its Answer;
    its exception is raised here, in the caller's thread."""
    deltas: queue.Queue = queue.Queue()
    result: dict = {}

    def work() -> None:
        try:
            result["answer"] = ask(deltas.put)
        except Exception as exc:  # re-raised in the caller's thread below
            result["error"] = exc
        deltas.put(None)

    threading.Thread(target=work, daemon=True).start()
    while (delta := deltas.get()) is not None:
        yield delta
    if "error" in result:
        raise result["error"]
    yield result["answer"]
