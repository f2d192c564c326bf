"""The Python API: `Assistant.load(...)`, then `.ask(question)` -> Answer with verbatim citations.

Wires the parts in one direction: index -> retrieve -> answer (extractive, or the optional local
model) -> citations. The embedder loads lazily on the first query and must match the model the
index was built with. The CLI and the web app are thin layers over this class; it renders nothing.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from . import config, retrieve
from .answer import ABSTAIN_BELOW, Extractor, extractive_answer
from .build import BuildReport, build_index
from .embedder import Embedder, load_embedder
from .errors import IndexMissingError, InvalidQuestionError, LLMError
from .index import Index
from .types import Answer, Document, Passage

MODES = ("extractive", "llm")


def check_question(question: str) -> str:
    if not isinstance(question, str) or not question.strip():
        raise InvalidQuestionError("the question is empty")
    if len(question) > config.MAX_QUESTION_CHARS:
        raise InvalidQuestionError(
            f"the question is {len(question)} characters; the limit is {config.MAX_QUESTION_CHARS}")
    return " ".join(question.split())


class Assistant:
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
        self._llm = None
        self._llm_lock = threading.Lock()
        self.fusion = retrieve.DEFAULT_FUSION  # or "rrf"; `qa eval --fusion` compares them
        self.abstain_below = ABSTAIN_BELOW  # `qa eval` lowers it to see every answer's confidence

    @classmethod
    def load(cls, index_dir: Path | str | None = None, model: str | Embedder | None = None,
             settings: config.Settings | None = None, build_if_missing: bool = False,
             progress: Callable[[int, int, str], None] | None = None) -> "Assistant":
        settings = settings or config.settings()
        if index_dir is not None:
            settings.index_dir = Path(index_dir)
        try:
            index = Index.load(settings.index_dir)
        except IndexMissingError:
            if not build_if_missing:
                raise
            from .backends.qdrant import dense_choice

            build_index(settings.corpus_dir, settings.index_dir, model or settings.model, progress=progress,
                        dense=dense_choice(settings))
            index = Index.load(settings.index_dir)
        return cls(index, settings, model)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self._model or self.index.model_spec)
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
        hits = retrieve.search(index, qvec, question, filters, self.fusion)
        groups = retrieve.group(index, hits, k)
        passages = [retrieve.to_passage(index, i + 1, h, d) for i, (h, d) in enumerate(groups)]
        rows = [index.chunk_sentence_rows[h.row] for h, _ in groups]
        return passages, rows

    def retrieve(self, question: str, k: int = 5, filters: dict | None = None) -> list[Passage]:
        question = check_question(question)
        return self._passages(self.index, question, self.encode_question(question), k, filters)[0]

    def ask(self, question: str, k: int = 5, mode: str = "extractive", filters: dict | None = None,
            history: list[tuple[str, str]] | None = None,
            on_token: Callable[[str], None] | None = None) -> Answer:
        question = self._resolve(check_question(question), history)
        if mode not in MODES:
            raise InvalidQuestionError(f"unknown mode '{mode}'; use one of {', '.join(MODES)}")
        qvec = self.encode_question(question)
        index, extractor = self._state
        passages, rows = self._passages(index, question, qvec, max(1, int(k)), filters)

        def extractive() -> Answer:
            return extractive_answer(index, extractor, question, qvec, passages, rows,
                                     abstain_below=self.abstain_below)

        if mode == "extractive":
            return extractive()
        return self._llm_answer(question, passages, index, extractive, on_token)

    def stream(self, question: str, **kwargs) -> Iterator[str | Answer]:
        """Text deltas while the answer is produced, then the final Answer (always last)."""
        if kwargs.get("mode", "extractive") != "llm":
            answer = self.ask(question, **kwargs)
            for word in answer.text.split(" "):  # extractive answers exist at once; stream them for the UI
                yield word + " "
            yield answer
            return
        import queue
        import threading

        deltas: queue.Queue = queue.Queue()
        result: dict = {}

        def work():
            try:
                result["answer"] = self.ask(question, on_token=deltas.put, **kwargs)
            except Exception as exc:  # re-raised in the caller's thread below
                result["error"] = exc
            deltas.put(None)

        threading.Thread(target=work, daemon=True).start()
        while (delta := deltas.get()) is not None:
            yield delta
        if "error" in result:
            raise result["error"]
        yield result["answer"]

    def _resolve(self, question: str, history) -> str:
        if not history:
            return question
        from .followup import resolve_followup

        return resolve_followup(question, history)

    @property
    def llm_available(self) -> bool:
        return bool(self.settings.llm_model or self.settings.llm_url)

    def llm_hint(self) -> str:
        if self.llm_available:
            return "Answers are generated by the local model and every [n] is checked against the article."
        return ("No local model configured: start with --llm-model PATH.gguf or --llm-url URL --llm-name NAME "
                "(or set QA_LLM_MODEL / QA_LLM_URL).")

    def _llm_answer(self, question, passages, index, extractive, on_token) -> Answer:
        from .llm.grounded import llm_answer

        return llm_answer(question, passages, index.documents, self.llm_backend(), self.embedder.encode,
                          extractive, on_token=on_token, max_tokens=self.settings.llm_max_tokens)

    def llm_backend(self):
        """The configured local model's backend, made once even when questions arrive together."""
        if not self.llm_available:
            raise LLMError("no local model configured. " + self.llm_hint())
        with self._llm_lock:
            if self._llm is None:
                from .llm.backends import make_backend

                self._llm = make_backend(self.settings)
            return self._llm

    def warm_llm(self) -> None:
        """Make the backend and load its model now (the chat does this at start, in the background),
        so the first question does not wait for the load; LLMError when the model is unusable."""
        backend = self.llm_backend()
        if hasattr(backend, "warm"):
            backend.warm()

    def documents(self) -> list[dict]:
        per_doc = self.index.manifest["documents"]
        return [{"doc_id": d.doc_id, "title": d.title, "date": d.date, "source": d.source,
                 "chunks": per_doc.get(d.doc_id, {}).get("chunks", 0)}
                for d in sorted(self.index.documents.values(), key=lambda d: d.doc_id)]

    def document(self, doc_id: str) -> Document:
        return self.index.documents[doc_id]

    def rebuild(self, corpus_dir: Path | None = None, full: bool = False,
                progress: Callable[[int, int, str], None] | None = None) -> BuildReport:
        report = build_index(corpus_dir or self.corpus_dir, self.settings.index_dir, self.embedder,
                             full=full, progress=progress)
        index = Index.load(self.settings.index_dir)
        self._state = (index, Extractor(index))
        return report
