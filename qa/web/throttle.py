"""Slow down password guessing on the web chat's login (an ASGI middleware in front of Gradio).

Gradio's `POST /login` answers 200 for the right user and password and 400 ("Incorrect credentials.")
otherwise, as often and as fast as it is asked. `LoginLimiter` counts login attempts per client
address over a sliding window: an address with `MAX_FAILURES` failed (or still unanswered) attempts in
the last `WINDOW_SECONDS` gets `429 Too Many Requests` with `Retry-After`, without Gradio seeing the
request, until its oldest counted attempt leaves the window; a successful login clears its count.
Unanswered attempts count so that many parallel requests cannot slip past before their answers come.
IPv6 addresses are counted per /64 network (one host usually holds a whole /64). At most
`MAX_ADDRESSES` addresses are remembered, the least recently failing forgotten first, so a flood of
distinct addresses costs bounded memory. One warning line is logged per lock-out, with the address and
never a user name or password.

What it does not do: read X-Forwarded-For (the address is the ASGI `client`; see docs/web-chat.md for
proxies), limit anything but `/login`, or check credentials (Gradio does).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from qa.web.guard import send_plain

log = logging.getLogger("qa.web")
# 5 failures a minute: a person mistyping a password needs a few tries, and at 5/min a guesser gets
# about 7,200 guesses a day per address, against the thousands a second Gradio would otherwise answer.
MAX_FAILURES = 5
WINDOW_SECONDS = 60.0
# Each remembered address costs a few hundred bytes (about 5 MB at this bound, docs/web-chat.md); past
# it the least recently failing address is forgotten (which only ever frees that address early).
MAX_ADDRESSES = 10_000
LOGIN_PATHS = ("/login", "/login/")  # gradio.routes: @app.post("/login") and "/login/"
SUCCESS, FAILURE = 200, 400  # gradio.routes.login: JSONResponse on success, HTTPException(400) otherwise


@dataclass
class _Record:
    stamps: list[float] = field(default_factory=list)  # attempts (failed or unanswered) still in the window
    # the end of the lock-out already logged: one line per lock-out (an address that keeps guessing at
    # the limit stays locked out, and is logged again once a window)
    logged_until: float = -math.inf


class LoginThrottle:
    """Login attempts per address over a sliding window, bounded in addresses (see module doc)."""

    def __init__(
        self,
        max_failures: int | None = None,
        window: float | None = None,
        max_addresses: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        # the defaults are read at construction, so a test can change the module's constants first
        self.max_failures = max_failures or MAX_FAILURES
        self.window = window or WINDOW_SECONDS
        self.max_addresses = max_addresses or MAX_ADDRESSES
        self.clock = clock
        self._records: OrderedDict[str, _Record] = OrderedDict()

    def __len__(self) -> int:
        return len(self._records)

    def _recent(self, key: str, now: float) -> _Record | None:
        record = self._records.get(key)
        if record is not None:
            record.stamps = [t for t in record.stamps if now - t < self.window]
        return record

    def wait(self, key: str) -> float:
        """Seconds until `key` may try again (0: it may try now)."""
        now = self.clock()
        record = self._recent(key, now)
        if record is None or len(record.stamps) < self.max_failures:
            return 0.0
        return record.stamps[0] + self.window - now

    def begin(self, key: str) -> float:
        """Count an attempt from `key` (call `wait` first); returns its stamp for `end`."""
        now = self.clock()
        record = self._recent(key, now)
        if record is None:
            record = self._records[key] = _Record()
            while len(self._records) > self.max_addresses:
                self._records.popitem(last=False)
        self._records.move_to_end(key)
        record.stamps.append(now)
        return now

    def end(self, key: str, stamp: float, status: int | None) -> None:
        """Settle the attempt `stamp` by Gradio's answer: a success clears `key`, a failure stays counted,
        anything else (a malformed form, an error) is not a guess and is uncounted."""
        record = self._records.get(key)
        if record is None:
            return
        if status == SUCCESS:
            del self._records[key]
        elif status != FAILURE:
            if stamp in record.stamps:
                record.stamps.remove(stamp)
        elif len(record.stamps) >= self.max_failures and record.stamps[0] >= record.logged_until:
            record.logged_until = record.stamps[0] + self.window
            log.warning(
                "login: %d failed attempts from %s within %gs; refusing its logins for up to %gs",
                len(record.stamps),
                key,
                self.window,
                self.window,
            )


def client_key(scope) -> str:
    """The address the attempts are counted under: the ASGI client's, an IPv6 one as its /64."""
    client = scope.get("client")
    host = client[0] if client else "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return str(host)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _is_login(scope) -> bool:
    if scope["type"] != "http" or scope.get("method") != "POST":
        return False
    path, root = scope.get("path", ""), scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path in LOGIN_PATHS


class LoginLimiter:
    """ASGI middleware: 429 for an address after too many failed logins; see module doc."""

    def __init__(self, app, throttle: LoginThrottle | None = None):
        self.app = app
        self.throttle = LoginThrottle() if throttle is None else throttle  # an empty one is falsy

    async def __call__(self, scope, receive, send):
        if not _is_login(scope):
            return await self.app(scope, receive, send)
        key = client_key(scope)
        wait = self.throttle.wait(key)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            text = f"too many failed logins; try again in {seconds} s"
            return await send_plain(send, 429, text, [(b"retry-after", str(seconds).encode())])
        stamp = self.throttle.begin(key)
        status: int | None = None

        async def watch(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            self.throttle.end(key, stamp, status)
