"""The failed-login limit (qa.web.throttle): per address over a sliding window, cleared by a success,
bounded in memory; through raw ASGI calls (any client address) and on a real server with a login."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import pytest

from qa import config
from qa.web import throttle
from qa.web.throttle import LoginLimiter, LoginThrottle, client_key

from .test_web_client import free_port, make_web_assistant

PASSWORD = "s3cret-horse"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


async def fake_gradio(scope, receive, send):
    """Answers /login like gradio.routes.login: 200 for the right password, 400 otherwise."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    status = 200 if body == f"username=ann&password={PASSWORD}".encode() else 400
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def post(app, address: str, password: str, path: str = "/login") -> tuple[int, dict[bytes, bytes], bytes]:
    """One POST through the ASGI app from `address`; (status, headers, body)."""
    sent: list[dict] = []
    scope = {"type": "http", "method": "POST", "path": path, "client": (address, 50000), "headers": []}

    async def receive():
        return {"type": "http.request", "body": f"username=ann&password={password}".encode(), "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], dict(sent[0].get("headers", [])), b"".join(m.get("body", b"") for m in sent[1:])


def limiter(**kw) -> tuple[LoginLimiter, Clock]:
    clock = Clock()
    return LoginLimiter(fake_gradio, LoginThrottle(clock=clock, **kw)), clock


def test_wrong_passwords_are_refused_after_the_limit_while_others_still_log_in(caplog):
    app, clock = limiter()
    with caplog.at_level(logging.WARNING, logger="qa.web"):
        for _ in range(throttle.MAX_FAILURES):
            assert post(app, "198.51.100.7", "guess")[0] == 400
        status, headers, body = post(app, "198.51.100.7", PASSWORD)  # even the right one, and unseen
    assert status == 429 and b"too many failed logins" in body
    assert int(headers[b"retry-after"]) == int(throttle.WINDOW_SECONDS)
    assert post(app, "198.51.100.8", PASSWORD)[0] == 200  # another address is not locked out
    assert post(app, "198.51.100.8", "guess")[0] == 400
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "198.51.100.7" in lines[0]
    assert "ann" not in lines[0] and "guess" not in lines[0] and PASSWORD not in lines[0]


def test_the_window_slides_and_a_success_clears_the_count():
    app, clock = limiter()
    for _ in range(throttle.MAX_FAILURES):
        assert post(app, "203.0.113.5", "guess")[0] == 400
        clock.now += 10  # failures at 0, 10, 20, 30, 40 s
    clock.now = 1000.0 + throttle.WINDOW_SECONDS - 1
    status, headers, _ = post(app, "203.0.113.5", PASSWORD)
    assert status == 429 and headers[b"retry-after"] == b"1"
    clock.now = 1000.0 + throttle.WINDOW_SECONDS  # the first failure has left the window: one more try
    assert post(app, "203.0.113.5", PASSWORD)[0] == 200
    for _ in range(throttle.MAX_FAILURES - 1):  # the success cleared the count: four new failures pass
        assert post(app, "203.0.113.5", "guess")[0] == 400
    assert post(app, "203.0.113.5", PASSWORD)[0] == 200


def test_other_routes_and_non_guesses_are_not_counted():
    app, _ = limiter(max_failures=2)
    for _ in range(5):
        assert post(app, "192.0.2.1", "guess", path="/config")[0] == 400  # not /login: passed, not counted
    assert post(app, "192.0.2.1", "guess", path="/login/")[0] == 400
    lim = app.throttle
    key = "192.0.2.1"
    stamp = lim.begin(key)
    lim.end(key, stamp, 422)  # a malformed form is no guess
    assert lim.wait(key) == 0
    assert post(app, "192.0.2.1", "guess")[0] == 400
    assert post(app, "192.0.2.1", "guess")[0] == 429


def test_unanswered_attempts_count_so_parallel_guesses_cannot_slip_through():
    lim = LoginThrottle(max_failures=3, clock=Clock())
    for _ in range(3):
        assert lim.wait("192.0.2.9") == 0
        lim.begin("192.0.2.9")  # in flight, no answer yet
    assert lim.wait("192.0.2.9") > 0


def test_ipv6_is_counted_per_64_and_mapped_ipv4_as_ipv4():
    app, _ = limiter(max_failures=2)
    assert post(app, "2001:db8:1:2::a", "guess")[0] == 400
    assert post(app, "2001:db8:1:2:ffff::b", "guess")[0] == 400
    assert post(app, "2001:db8:1:2::c", PASSWORD)[0] == 429  # same /64
    assert post(app, "2001:db8:1:3::a", PASSWORD)[0] == 200  # another /64
    assert client_key({"client": ("::ffff:192.0.2.4", 1)}) == "192.0.2.4"
    assert client_key({}) == "unknown"


def test_memory_is_bounded_under_a_flood_of_addresses():
    clock = Clock()
    lim = LoginThrottle(max_addresses=100, clock=clock)
    for i in range(5000):
        key = f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"
        for _ in range(8):  # more than the limit: refused attempts are not stored
            if lim.wait(key) == 0:
                lim.end(key, lim.begin(key), 400)
    assert len(lim) == 100
    assert all(len(r.stamps) <= lim.max_failures for r in lim._records.values())
    assert lim.wait("10.0.19.135") > 0 and lim.wait("10.0.0.0") == 0  # the newest kept, the oldest forgotten


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real server with a login, a 2 s window (the wait for it to free is short), and uvicorn's proxy
    trust left as qa sets it (X-Forwarded-For trusted from no address)."""
    from qa.web.app import launch

    assistant = make_web_assistant(tmp_path_factory.mktemp("login_limit"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(throttle, "WINDOW_SECONDS", 2.0)
        mp.delenv("FORWARDED_ALLOW_IPS", raising=False)
        config.apply_environment()
        demo = launch(assistant, host="127.0.0.1", port=free_port(), block=False, auth=[("ann", PASSWORD)])
        httpx.get(demo.local_url, timeout=10)  # the middleware (and its window) is built on the first request
    yield demo.local_url.rstrip("/")
    demo.close()


@pytest.mark.web
def test_a_real_server_locks_out_guessing_and_lets_the_user_in_after_the_window(server):
    def login(password: str, forwarded: str | None = None) -> httpx.Response:
        headers = {"x-forwarded-for": forwarded} if forwarded else {}
        return httpx.post(server + "/login", data={"username": "ann", "password": password}, headers=headers)

    start = time.monotonic()
    # a new X-Forwarded-For on each guess does not make a new address
    statuses = [login("wrong", forwarded=f"192.0.2.{i}").status_code for i in range(throttle.MAX_FAILURES)]
    refused = login(PASSWORD)
    assert time.monotonic() - start < 2.0, "the guesses took longer than the test's window"
    assert statuses == [400] * throttle.MAX_FAILURES
    assert refused.status_code == 429 and refused.headers["retry-after"] in ("1", "2")
    assert "too many failed logins" in refused.text
    time.sleep(2.1)
    with httpx.Client() as session:
        assert session.post(server + "/login", data={"username": "ann", "password": PASSWORD}).status_code == 200
        assert session.get(server + "/config").status_code == 200
