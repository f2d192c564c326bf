"""The OpenAI-compatible HTTP backend: a local server (Ollama, llama.cpp server, LM Studio, vLLM)
streamed over server-sent events, with timeouts and one-line errors for every way it can fail.

It only talks to the URL it is given, never through a proxy from the environment. It does not build
prompts or check answers (qa.llm.prompt, qa.llm.verify).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

from ..errors import LLMError


def _chunk_error(chunk: dict) -> str | None:
    if "choices" in chunk:
        return None
    err = chunk.get("error", chunk)
    if isinstance(err, dict):
        return str(err.get("message") or err)
    return str(err)


def _chunk_text(chunk: dict) -> str:
    choice = (chunk.get("choices") or [{}])[0]
    if "delta" in choice:
        return (choice["delta"] or {}).get("content") or ""
    if "message" in choice:
        return (choice["message"] or {}).get("content") or ""
    return choice.get("text") or ""


def _endpoint(url: str) -> str:
    """The chat completions URL for a base URL such as http://127.0.0.1:11434/v1."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LLMError(f"--llm-url must be an http(s) URL such as http://127.0.0.1:11434/v1, not {url!r}")
    base = url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    return base + ("/chat/completions" if parts.path.rstrip("/").endswith("/v1") else "/v1/chat/completions")


class HTTPBackend:
    """An OpenAI-compatible chat endpoint on the user's machine, streamed over SSE."""

    def __init__(
        self,
        url: str,
        model: str | None = None,
        timeout: float = 60.0,
        max_tokens: int = 256,
        ctx: int = 4096,
        prompt_style: str = "chat",
    ):
        self.url, self.endpoint = url, _endpoint(url)
        self.model, self.timeout, self.max_tokens, self.ctx = model, timeout, max_tokens, ctx
        self.prompt_style = prompt_style
        self.last_timings: dict = {}  # llama.cpp's server sends them with its last chunk; others send none
        self.name = f"http:{model or '?'}@{urlsplit(url).netloc}"
        # never through a proxy from the environment: the endpoint is meant to be local
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _open(self, request: urllib.request.Request, timeout: float):
        try:
            return self._opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            detail = " ".join(exc.read(300).decode("utf-8", "replace").split())
            raise LLMError(f"the model server at {self.url} answered HTTP {exc.code}: {detail or exc.reason}") from None
        except (TimeoutError, OSError) as exc:  # URLError is an OSError
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError) or isinstance(exc, TimeoutError):
                raise LLMError(f"no reply from the model server at {self.url} within {timeout:g} s") from None
            raise LLMError(f"cannot reach the model server at {self.url} ({reason}); is it running?") from None

    def check(self) -> None:
        """Fail early when the server is down; pick its only model when no name was given."""
        models_url = self.endpoint.rsplit("/chat/completions", 1)[0] + "/models"
        try:
            with self._open(urllib.request.Request(models_url), min(self.timeout, 5.0)) as resp:
                ids = [m.get("id") for m in json.loads(resp.read(1_000_000)).get("data", []) if m.get("id")]
        except LLMError as exc:
            if "answered HTTP" in str(exc):
                return  # reachable, just without a model list; the chat request will tell more
            raise
        except (ValueError, AttributeError):
            return
        if not self.model:
            if len(ids) != 1:
                raise LLMError(f"name the model with --llm-name (the server offers: {', '.join(ids) or 'none'})")
            self.model = ids[0]
            self.name = f"http:{self.model}@{urlsplit(self.url).netloc}"

    def warm(self) -> None:
        """Nothing to load here: the server holds the model, and make_backend already checked it is up."""

    def close(self) -> None:
        """Nothing to free: every request opens and closes its own connection."""

    def stream(
        self, prompt: str | list[dict], max_tokens: int | None = None, stop: list[str] | None = None
    ) -> Iterator[str]:
        messages = prompt if isinstance(prompt, list) else [{"role": "user", "content": prompt}]
        body: dict[str, object] = {
            "model": self.model or "default",
            "messages": messages,
            "stream": True,
            "max_tokens": int(max_tokens or self.max_tokens),
            "temperature": 0,
        }
        if stop:
            body["stop"] = list(stop)[:4]  # the OpenAI API accepts at most four
        request = urllib.request.Request(
            self.endpoint,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Accept": "text/event-stream"},
        )
        deadline = time.monotonic() + self.timeout
        self.last_timings = {}
        with self._open(request, self.timeout) as resp:
            sse = "text/event-stream" in resp.headers.get("Content-Type", "")
            for chunk in self._events(resp, deadline) if sse else [self._whole(resp)]:
                if (err := _chunk_error(chunk)) is not None:
                    raise LLMError(f"the model server at {self.url} failed: {err}")
                if isinstance(chunk.get("timings"), dict):
                    self.last_timings = chunk["timings"]
                if text := _chunk_text(chunk):
                    yield text

    def _whole(self, resp) -> dict:
        """The one JSON reply of a server that ignored stream=true."""
        try:
            return json.loads(resp.read(5_000_000))
        except (ValueError, OSError) as exc:
            raise LLMError(f"unreadable reply from the model server at {self.url}: {exc}") from None

    def _events(self, resp, deadline: float) -> Iterator[dict]:
        """The JSON payloads of the SSE stream, until [DONE] or the end of the body."""
        while True:
            try:
                line = resp.readline(1_000_000)
            except TimeoutError:
                raise LLMError(f"the model server at {self.url} stopped replying for {self.timeout:g} s") from None
            except OSError as exc:
                raise LLMError(f"lost the connection to the model server at {self.url}: {exc}") from None
            if time.monotonic() > deadline:
                raise LLMError(f"the model server at {self.url} did not finish within {self.timeout:g} s")
            data = line.decode("utf-8", "replace").strip()
            if not line or data.replace(" ", "") == "data:[DONE]":
                return
            if data.startswith("data:"):  # skip blank separators, ": ping" comments, event names
                try:
                    yield json.loads(data[5:])
                except ValueError:
                    continue
