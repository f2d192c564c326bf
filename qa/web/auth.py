"""The web chat's optional login: credentials from a file or the environment, never the command line.

`credentials(settings)` reads QA_AUTH_FILE (lines `user:password`; blank lines and `#` comments
skipped) and QA_AUTH (`user:password`), both through qa.config. `web_auth(settings)` returns what
Gradio's `launch(auth=...)` takes (a list of (user, password) pairs, compared in constant time by
Gradio) or None, and refuses to serve a non-loopback host without a login unless --no-auth was given.
It does not serve anything, and no message ever repeats a password.
"""

from __future__ import annotations

import stat
import sys
from pathlib import Path

from qa.errors import AuthError
from qa.web.guard import is_loopback_name


def is_loopback(host: str) -> bool:
    return is_loopback_name(host)  # one rule for the login requirement and the request guard


def _pair(text: str, where: str) -> tuple[str, str]:
    user, sep, password = text.partition(":")
    if not sep or not user.strip() or not password:
        raise AuthError(f"{where} is not user:password (a user name, a colon, a non-empty password)")
    return user.strip(), password


def _read_file(path: Path) -> list[tuple[str, str]]:
    try:
        text = path.read_text("utf-8")
        mode = path.stat().st_mode
    except (OSError, UnicodeDecodeError) as exc:
        raise AuthError(
            f"cannot read the login file {path} (QA_AUTH_FILE / --auth-file): {type(exc).__name__}"
        ) from None
    if mode & (stat.S_IRGRP | stat.S_IROTH):  # like ssh keys: others on the machine could read it
        print(f"warning: the login file {path} is readable by other users; chmod 600 it", file=sys.stderr)
    pairs = [
        _pair(line.strip(), f"line {n} of {path}")
        for n, line in enumerate(text.splitlines(), 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not pairs:
        raise AuthError(f"the login file {path} holds no user:password line")
    return pairs


def credentials(settings) -> list[tuple[str, str]] | None:
    """Every (user, password) from the login file and QA_AUTH, or None when neither is set."""
    pairs: list[tuple[str, str]] = []
    if settings.auth_file is not None:
        pairs += _read_file(Path(settings.auth_file))
    if settings.auth:
        pairs.append(_pair(settings.auth, "QA_AUTH"))
    return pairs or None


def web_auth(settings) -> list[tuple[str, str]] | None:
    """The login for `launch`, or None; AuthError when a non-loopback host would be served without one
    and --no-auth was not given."""
    pairs = credentials(settings)
    if pairs is None and not is_loopback(settings.host) and not settings.no_auth:
        raise AuthError(
            f"serving on {settings.host} needs a login: set QA_AUTH_FILE (lines user:password) "
            "or QA_AUTH=user:password, or pass --no-auth to serve without one"
        )
    return pairs
