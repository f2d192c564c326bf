"""How one setting is given, read and checked: its `Option` (variable, flag, kind, range or choices),
`parse`, `env_value` and `setting` (the dataclass field the table declares each setting with).

A raw value from the environment, a flag or Python becomes the option's type, or one `SettingsError`
line naming where it came from and what the option accepts. `env_value` is where qa.config reads an
environment variable. It holds no setting (qa.config.table does) and changes no environment variable.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SettingsError

_SWITCH_WORDS = {"1": "on", "true": "on", "yes": "on", "0": "off", "false": "off", "no": "off"}
_BOOL_WORDS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
ALL_COMMANDS = ("build", "ask", "chat", "eval", "check")


@dataclass(frozen=True)
class Option:
    """How one setting is given and checked. kind: path | text | int | float | choice | switch | bool."""

    env: str | None
    flag: str | None
    kind: str
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    commands: tuple[str, ...] = ALL_COMMANDS
    optional: bool = False  # None (unset) is allowed

    def allowed(self) -> str:
        """What the option accepts, in words (the second half of every error message)."""
        if self.kind in ("choice", "switch"):
            return "one of " + ", ".join(self.choices)
        if self.kind == "bool":
            return "1/0, true/false, yes/no or on/off"
        if self.kind in ("int", "float"):
            noun = "a whole number" if self.kind == "int" else "a number"
            lo = "" if self.low is None else f" from {_num(self.low)}"
            return f"{noun}{lo}" + ("" if self.high is None else f" to {_num(self.high)}")
        return "a non-empty " + ("path" if self.kind == "path" else "text")


def _num(x: float) -> str:
    return str(int(x)) if math.isfinite(x) and x == int(x) else f"{x:g}"


def parse(option: Option, raw: Any, source: str) -> Any:
    """`raw` (a string from the environment or a flag, or a Python value) as the option's type, or a
    SettingsError naming `source` and the allowed values."""
    if raw is None and option.optional:
        return None

    def bad() -> SettingsError:
        return SettingsError(f"{source}={raw!r} is not valid: expected {option.allowed()}")

    text = raw.strip() if isinstance(raw, str) else raw
    if option.kind in ("path", "text"):
        if not isinstance(text, (str, Path)) or not str(text):
            raise bad()
        return Path(text).expanduser() if option.kind == "path" else str(text)
    if option.kind in ("choice", "switch", "bool"):
        if isinstance(raw, bool) and option.kind == "bool":
            return raw
        word = str(text).lower()
        if option.kind == "bool":
            if word not in _BOOL_WORDS:
                raise bad()
            return _BOOL_WORDS[word]
        word = _SWITCH_WORDS.get(word, word) if option.kind == "switch" else word
        if word not in option.choices:
            raise bad()
        return word
    return _number(option, text, bad)


def _number(option: Option, text: Any, bad: Callable[[], SettingsError]) -> int | float:
    if isinstance(text, bool):
        raise bad()
    value: int | float
    try:
        value = int(text) if option.kind == "int" else float(text)
    except (TypeError, ValueError):
        raise bad() from None
    if option.kind == "int" and isinstance(text, float) and text != value:
        raise bad()
    if (
        math.isnan(value)
        or (option.low is not None and value < option.low)
        or (option.high is not None and value > option.high)
    ):
        raise bad()
    return value


def env_value(option: Option, default: Any) -> Any:
    """The option's value from the environment (empty counts as unset), else `default`."""
    if not option.env:
        return default
    raw = os.environ.get(option.env, "")
    if raw == "":
        return default
    return parse(option, raw, option.env)


def setting(default, env: str | None, flag: str | None, kind: str, help: str, secret: bool = False, **more) -> Any:
    """A Settings field: its Option in the metadata, its default read from `env` when a Settings is made
    (a callable default is called then); `secret` keeps the value out of repr()."""
    option = Option(env, flag, kind, help, **more)
    factory = (lambda: env_value(option, default())) if callable(default) else (lambda: env_value(option, default))
    return field(default_factory=factory, metadata={"option": option}, repr=not secret)
