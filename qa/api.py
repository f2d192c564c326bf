"""The Python API: `Assistant.load(...)`, then `.ask(question)` -> Answer with verbatim citations.

Wires the parts in one direction: index -> retrieve -> answer (extractive, or the optional local
model) -> citations. The embedder loads lazily on the first query and must match the model the
index was built with. The CLI and the web app are thin layers over this class; it renders nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import answerers, catalog, config, local_model, retrieve
from .answer import Extractor
from .build import BuildReport, build_index
from .embedder import Embedder, load_embedder
from .errors import IndexMissingError
from .followup import resolve_followup
from .index import Index
from .local_model import LocalModel
from .progress import Progress
from .questions import check_question, search_form
from .types import Answer, Document, Passage

if TYPE_CHECKING:  # the llm package is imported only when a local model is used
    from .llm.backends import LLMBackend

__all__ = ["Assistant", "check_question"]  # check_question: public here too (qa.api.check_question)


class Assistant:
    """Questions over one built index: `Assistant.load(...)`, then `ask`, `stream` or `retrieve`."""

    def __init__(self, index: Index, settings: config.Settings, model: str | Embedder | None = None):
        # index and extractor are swapped together by rebuild(); a question in flight keeps the pair it
        # started with, so its row numbers can never be read against a newer index
        self._state = (index, Extractor(index))
        self.settings = settings
        self._model = model
        self._embedder: Embedder | None = None
        if model is not None and not isinstance(model, str):
            index.check_embedder(model)  # an Embedder object must match the index's vectors too
            self._embedder = model
        self._llm = LocalModel()

    # Tuning values live in settings (QA_FUSION, QA_ABSTAIN_BELOW); these names stay for older callers.
    @property
    def fusion(self) -> str:
        return self.settings.fusion

    @fusion.setter
    def fusion(self, value: str) -> None:
        self.settings = dataclasses.replace(self.settings, fusion=value)

    @property
    def abstain_below(self) -> float:
        return self.settings.abstain_below

    @classmethod
    def load(
        cls,
        index_dir: Path | str | None = None,
        model: str | Embedder | None = None,
        settings: config.Settings | None = None,
        build_if_missing: bool = False,
        progress: Progress | None = None,
    ) -> Assistant:
        """Open a built index and return an Assistant over it (the embedding model loads on the first question).

        Args:
            index_dir: the index folder; default `settings.index_dir` (QA_INDEX, else `embeddings/`).
            model: embedding model name or local path, or a loaded Embedder; default the model the
                index was built with. It must match the index's model.
            settings: paths and options; default `qa.config.settings()` (environment variables).
            build_if_missing: build the index from `settings.corpus_dir` first when there is none.
            progress: called as progress(done, total, stage) during that build.

        Returns:
            An Assistant ready for ask, stream and retrieve.

        Raises:
            IndexMissingError: no index in `index_dir` and build_if_missing is False.
            IndexMismatchError / IndexCorruptError: the index has another format version or
                damaged files. CorpusError, BuildLockedError, ModelLoadError: from the build.

        Example:
            >>> assistant = Assistant.load("embeddings")
            >>> assistant.ask("When did the Baltic states regain their independence?").short_answer
            '1991'
        """
        config.apply_environment()  # before the embedder's Hugging Face import
        settings = settings or config.settings()
        if index_dir is not None:
            settings = dataclasses.replace(settings, index_dir=Path(index_dir))
        try:
            index = Index.load(settings.index_dir)
        except IndexMissingError:
            if not build_if_missing:
                raise
            from .backends.qdrant import dense_choice

            dense = dense_choice(settings)  # faiss or qdrant, from the settings
            build_index(
                settings.corpus_dir, settings.index_dir, model or settings.model, progress=progress, dense=dense
            )
            index = Index.load(settings.index_dir)
        return cls(index, settings, model)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            # an Embedder object given at construction is already self._embedder: only a spec is left here
            spec = self._model if isinstance(self._model, str) else None
            self._embedder = load_embedder(spec or self.index.model_spec)
            self.index.check_embedder(self._embedder)
        return self._embedder

    @property
    def corpus_dir(self) -> Path:
        return self.settings.corpus_dir

    def encode_question(self, question: str) -> np.ndarray:
        return self.embedder.encode([question])[0]

    @property
    def index(self) -> Index:
        return self._state[0]

    def _passages(self, index: Index, question: str, qvec: np.ndarray, k: int, filters: dict | None):
        hits = retrieve.search(index, qvec, question, filters, self.fusion, dense_weight=self.settings.dense_weight)
        groups = retrieve.group(index, hits, k)
        passages = [retrieve.to_passage(index, i + 1, h, d) for i, (h, d) in enumerate(groups)]
        rows = [index.chunk_sentence_rows[h.row] for h, _ in groups]
        return passages, rows

    def retrieve(self, question: str, k: int = 5, filters: dict | None = None) -> list[Passage]:
        """The k best passages for a question (hybrid BM25 + dense ranking), without answering it.

        Args:
            question: plain text, at most `config.MAX_QUESTION_CHARS` characters; whitespace is collapsed.
            k: how many passages; near-copies of one passage in other articles are folded into it
                (`Passage.also_in`), so each of the k is distinct.
            filters: optional {"doc_ids": [...], "date_from": "YYYY-MM-DD", "date_to": "YYYY-MM-DD"};
                a date range leaves out undated articles.

        Returns:
            Passages ranked 1..k (fewer if the index or the filter holds fewer), each with document
            offsets: `document(p.doc_id).text[p.start:p.end] == p.text`.

        Raises:
            InvalidQuestionError: empty or too long. ModelLoadError / IndexMismatchError: the embedding
                model cannot load or differs from the index's.

        Example:
            >>> passages = assistant.retrieve("air defence for Ukraine", k=3)
            >>> [p.rank for p in passages], passages[0].doc_id
            ([1, 2, 3], '000_b8f282db394e9f24.txt')
        """
        question = search_form(check_question(question))
        return self._passages(self.index, question, self.encode_question(question), k, filters)[0]

    def ask(
        self,
        question: str,
        k: int = 5,
        mode: str = "extractive",
        filters: dict | None = None,
        history: list[tuple[str, str]] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer a question from the articles, citing verbatim sentences (or abstain and say so).

        Args:
            question: plain text, at most `config.MAX_QUESTION_CHARS` characters.
            k: how many passages to read (as in `retrieve`).
            mode: "extractive" (default: quotes the best-supported sentences) or "llm" (a configured
                local model writes the answer and every sentence is checked against the passages;
                unsupported sentences are removed, and with none left the extractive answer comes
                back with a `note`), or any mode added with `qa.answerers.register`.
            filters: as in `retrieve`.
            history: earlier (question, answer text) turns, oldest first; a short follow-up such as
                "and Estonia?" is then rewritten into a full question (qa.followup) before the search.
            on_token: streaming modes ("llm") only: called with each piece of text as it is written.

        Returns:
            An Answer; `answer.question` is the question actually searched (the rewritten one for a
            follow-up, without references to the articles themselves), `abstained` is True when the
            articles do not support an answer.

        Raises:
            InvalidQuestionError: empty or too long question, or an unknown mode (the message names
                the registered ones).
            LLMError: mode "llm" with no local model configured, or the model failed or timed out.
            ModelLoadError / IndexMismatchError: as in `retrieve`.

        Example:
            >>> answer = assistant.ask("Which Russian exclave borders Lithuania?")
            >>> print(answer.citations[0].quote)
            Lithuania, which borders the Russian exclave of Kaliningrad and Russia's ally Belarus, is one of
            Kiev's key supporters.
        """
        question = check_question(question)
        if history:  # a short follow-up such as "and Estonia?" becomes a full question
            question = resolve_followup(question, history)
        question = search_form(question)  # "according to the article" names no passage: every one is from it
        answerer = answerers.get(mode)  # before any work: an unknown mode is one line naming the known ones
        qvec = self.encode_question(question)
        index, extractor = self._state
        passages, rows = self._passages(index, question, qvec, max(1, int(k)), filters)
        request = answerers.AnswerRequest(
            question, qvec, passages, rows, index, extractor, self.settings, self.embedder, self.llm_backend, on_token
        )
        return answerer(request)

    def stream(self, question: str, **kwargs) -> Iterator[str | Answer]:
        """The answer as it is produced: text pieces (str), then the final Answer, always last.

        Args:
            question: as in `ask`.
            **kwargs: any of ask's keyword arguments (k, mode, filters, history) except on_token.
                With mode "llm" the pieces are the model's tokens as it writes them (the final
                Answer's text can be shorter: unsupported sentences are removed); otherwise the
                finished extractive answer is yielded word by word.

        Yields:
            str pieces, then one Answer.

        Raises:
            The errors of `ask`, raised in the caller's thread when iteration reaches them.

        Example:
            >>> for item in assistant.stream("How many Patriot missiles are allies procuring?", mode="llm"):
            ...     print(item if isinstance(item, str) else "\n" + item.to_markdown(), end="")
        """
        yield from answerers.stream_answer(self.ask, question, kwargs)

    @property
    def llm_available(self) -> bool:
        return local_model.available(self.settings)

    def llm_hint(self) -> str:
        return local_model.hint(self.settings)

    def llm_backend(self) -> LLMBackend:
        """The configured local model's backend, made once even when questions arrive together; LLMError
        when none is configured or it is unusable."""
        return self._llm.backend(self.settings)

    def warm_llm(self) -> None:
        """Make the backend and load its model now (the chat does this at start, in the background),
        so the first question does not wait for the load; LLMError when the model is unusable."""
        self.llm_backend().warm()

    def documents(self) -> list[dict]:
        """The indexed articles by doc_id: {"doc_id", "title", "date", "source", "chunks"} each, from the
        index's metadata (no article text is read)."""
        index = self.index
        return index.articles("", 0, len(index.documents))[1]

    def articles(self, query: str = "", offset: int = 0, limit: int = 50) -> catalog.ArticlePage:
        """A page of the articles (doc_id order) whose title, source or doc_id contains `query`; see qa.catalog."""
        return catalog.articles(self.index, query, offset, limit)

    def document(self, doc_id: str) -> Document:
        return self.index.documents[doc_id]

    def rebuild(
        self, corpus_dir: Path | None = None, full: bool = False, progress: Progress | None = None
    ) -> BuildReport:
        """Update the index from `corpus_dir` (default settings.corpus_dir; `full`: re-embed everything) and
        answer from the new one; a question already in flight finishes on the index it started with."""
        report = build_index(
            corpus_dir or self.corpus_dir, self.settings.index_dir, self.embedder, full=full, progress=progress
        )
        index = Index.load(self.settings.index_dir)
        self._state = (index, Extractor(index))
        return report
