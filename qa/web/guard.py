"""Refuse cross-site requests to the web app before Gradio sees them (an ASGI middleware).

Gradio's own CORS layer only leaves out the `Access-Control-Allow-Origin` header: a cross-origin
request is still executed, and a `multipart/form-data` upload needs no preflight at all, so any web
page the user visits could write files into Gradio's upload cache or queue questions. And a page on a
domain that re-resolves to 127.0.0.1 (DNS rebinding) is same-origin with itself, so CORS never applies.
This guard answers 403 when
- the request carries an `Origin` that is not the address it was sent to (cross-site), or `null`;
- the app is served on a loopback address and the `Host` header is not a loopback name (rebinding).
Requests without an `Origin` (gradio_client, curl, the page's own GETs) pass: a browser always sends
`Origin` with a cross-site POST. It does no authentication (see the login option) and no logging;
`app_kwargs` also installs the failed-login limiter (qa.web.throttle) behind it.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def _host_name(host: str) -> str:
    """'127.0.0.1:7860' -> '127.0.0.1', '[::1]:7860' -> '::1'; lower-cased."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_loopback_name(name: str) -> bool:
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return name == "localhost" or name.endswith(".localhost")


def refusal(headers: dict[str, str], loopback_only: bool) -> str | None:
    """Why a request with these (lower-cased) headers is refused, or None to let it through."""
    host = headers.get("host", "")
    if loopback_only and not is_loopback_name(_host_name(host)):
        return "host not allowed"
    origin = headers.get("origin")
    if origin is None:
        return None
    parts = urlsplit(origin.strip().lower())
    if origin.strip().lower() == "null" or not parts.netloc:
        return "cross-origin request refused"
    if parts.netloc != host.strip().lower():
        return "cross-origin request refused"
    return None


class OriginGuard:
    """ASGI middleware: 403 for cross-origin or (on loopback) foreign-Host requests; see module doc."""

    def __init__(self, app, loopback_only: bool = True):
        self.app = app
        self.loopback_only = loopback_only

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        why = refusal(headers, self.loopback_only)
        if why is None:
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": 1008})
        await send_plain(send, 403, why)


async def send_plain(send, status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Answer an HTTP request with `status` and a short plain-text body (the app never sees it)."""
    body = text.encode()
    head = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": head + (headers or [])})
    await send({"type": "http.response.body", "body": body})


def app_kwargs(host: str) -> dict:
    """`Blocks.launch(app_kwargs=...)` that installs the guard and the login limiter (qa.web.throttle,
    behind the guard: a cross-site login is refused before it counts) for an app served on `host`."""
    from starlette.middleware import Middleware

    from qa.web.throttle import LoginLimiter  # it imports send_plain from here

    return {
        "middleware": [
            Middleware(OriginGuard, loopback_only=is_loopback_name(_host_name(host))),
            Middleware(LoginLimiter),
        ]
    }
