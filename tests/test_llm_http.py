"""HTTPBackend against a small fake OpenAI-compatible server started by the test.

The server listens on 127.0.0.1 only, on a free port; every sleep in it is bounded (<= 2 s), and a
watchdog shuts it down after 60 s even if a test hangs, so it always stops by itself.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qa import config
from qa.errors import LLMError
from qa.llm.backends import HTTPBackend, make_backend
from qa.llm.grounded import llm_answer
from tests.test_llm_verify import DOCS, PASSAGES, _extractive, encode

PIECES = ["The new bridge ", "opened on Monday", " [1]."]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass

    def _json(self, code: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/v1/models":
            self._json(200, {"object": "list", "data": [{"id": m} for m in self.server.models]})
        else:
            self._json(404, {"error": {"message": "not found"}})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, body))
        mode = self.server.mode
        if mode == "hang":
            time.sleep(2.0)  # bounded: longer than the client's timeout, never forever
        if mode == "status":
            return self._json(404, {"error": {"message": f"model '{body['model']}' not found"}})
        if mode == "json":
            return self._json(200, {"choices": [{"message": {"role": "assistant", "content": "".join(PIECES)}}]})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self._events(mode)

    def _events(self, mode: str) -> None:
        try:
            self.wfile.write(b": ping\n\n")
            for i, piece in enumerate(PIECES):
                if mode == "slow" and i == 1:
                    time.sleep(2.0)
                chunk = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            if mode == "error_event":
                self.wfile.write(b'data: {"error": {"message": "out of memory"}}\n\n')
            last = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "timings": {"predicted_n": 4}}
            self.wfile.write(f"data: {json.dumps(last)}\n\n".encode())  # as llama.cpp's server ends a reply
            self.wfile.write(b"data: [DONE]\n\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests): fine


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.mode, srv.models, srv.requests = "ok", ["tiny"], []
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    watchdog = threading.Timer(60.0, srv.shutdown)
    watchdog.daemon = True
    watchdog.start()
    srv.base = f"http://127.0.0.1:{srv.server_address[1]}"
    yield srv
    watchdog.cancel()
    srv.shutdown()
    srv.server_close()


def _settings(**kw) -> config.Settings:
    s = config.Settings()
    s.llm_model, s.llm_url, s.llm_name, s.llm_timeout = None, None, None, 5.0
    for k, v in kw.items():
        setattr(s, k, v)
    return s


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_streams_deltas_in_order_with_an_openai_request(server):
    backend = make_backend(_settings(llm_url=server.base + "/v1", llm_name="tiny"))
    assert isinstance(backend, HTTPBackend) and backend.prompt_style == "chat"
    assert list(backend.stream([{"role": "user", "content": "hi"}], 20, ["\nQuestion:"])) == PIECES
    path, body = server.requests[-1]
    assert path == "/v1/chat/completions" and body["stream"] is True and body["model"] == "tiny"
    assert body["messages"] == [{"role": "user", "content": "hi"}] and body["max_tokens"] == 20
    assert body["stop"] == ["\nQuestion:"]
    assert backend.last_timings == {"predicted_n": 4}  # from the server's last chunk (llama.cpp's server)


@pytest.mark.parametrize("suffix", ["", "/", "/v1/", "/v1/chat/completions"])
def test_url_forms_and_single_model_is_picked_when_unnamed(server, suffix):
    backend = make_backend(_settings(llm_url=server.base + suffix))
    assert backend.model == "tiny" and list(backend.stream("hi", 5)) == PIECES
    assert server.requests[-1][0] == "/v1/chat/completions"


def test_several_models_and_no_name_asks_for_one(server):
    server.models = ["a", "b"]
    with pytest.raises(LLMError, match="--llm-name"):
        make_backend(_settings(llm_url=server.base + "/v1"))


def test_server_down_is_a_clear_error():
    url = f"http://127.0.0.1:{_free_port()}/v1"
    with pytest.raises(LLMError, match="cannot reach the model server .* is it running"):
        make_backend(_settings(llm_url=url, llm_name="tiny"))
    with pytest.raises(LLMError, match="cannot reach"):
        list(HTTPBackend(url, "tiny", timeout=2).stream("hi", 5))


def test_timeout_before_the_reply(server):
    server.mode = "hang"
    started = time.monotonic()
    with pytest.raises(LLMError, match="within 0.5 s"):
        list(HTTPBackend(server.base + "/v1", "tiny", timeout=0.5).stream("hi", 5))
    assert time.monotonic() - started < 1.9


def test_timeout_in_the_middle_of_the_stream(server):
    server.mode = "slow"
    got = []
    with pytest.raises(LLMError, match="stopped replying for 0.5 s"):
        for delta in HTTPBackend(server.base + "/v1", "tiny", timeout=0.5).stream("hi", 5):
            got.append(delta)
    assert got == PIECES[:1]


def test_bad_status_shows_the_servers_message(server):
    server.mode = "status"
    with pytest.raises(LLMError, match="HTTP 404.*model 'nope' not found"):
        list(HTTPBackend(server.base + "/v1", "nope").stream("hi", 5))


def test_error_event_in_the_stream(server):
    server.mode = "error_event"
    with pytest.raises(LLMError, match="out of memory"):
        list(HTTPBackend(server.base + "/v1", "tiny").stream("hi", 5))


def test_server_that_ignores_stream_true(server):
    server.mode = "json"
    assert list(HTTPBackend(server.base + "/v1", "tiny").stream("hi", 5)) == ["".join(PIECES)]


def test_proxy_settings_are_ignored_for_the_local_endpoint(server, monkeypatch):
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{_free_port()}")
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{_free_port()}")
    assert list(HTTPBackend(server.base + "/v1", "tiny").stream("hi", 5)) == PIECES


def test_grounded_answer_over_http(server):
    backend = make_backend(_settings(llm_url=server.base + "/v1", llm_name="tiny"))
    streamed: list[str] = []
    answer = llm_answer("When did the bridge open?", PASSAGES, DOCS, backend, encode, _extractive,
                        on_token=streamed.append)
    assert streamed == PIECES and answer.mode == "llm"
    assert answer.text == "The new bridge opened on Monday [1]." and answer.citations[0].doc_id == "bridge"
    messages = server.requests[-1][1]["messages"]
    assert messages[0]["role"] == "system" and "BEGIN PASSAGE [1]" in messages[1]["content"]


@pytest.mark.parametrize("kw, match", [
    ({"llm_url": "file:///etc/passwd"}, "http"),
    ({"llm_url": "http://127.0.0.1:1/v1", "llm_model": "x.gguf"}, "use one"),
    ({"llm_model": "/nonexistent/model.gguf"}, "no GGUF model file"),
    ({"llm_url": "http://127.0.0.1:1/v1", "llm_timeout": 0}, "timeout"),
])
def test_bad_configuration(kw, match):
    with pytest.raises(LLMError, match=match):
        make_backend(_settings(**kw))


def test_not_configured_is_none():
    assert make_backend(_settings()) is None


def test_a_file_that_is_not_gguf_is_refused(tmp_path):
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"<html>not a model</html>")
    with pytest.raises(LLMError, match="not a GGUF"):
        make_backend(_settings(llm_model=str(fake)))
