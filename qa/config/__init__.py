"""Settings: every tunable value, with its type, range or choices, environment variable and CLI flag.

The one place environment variables are read (this package). Each `Settings` field (the table in
qa.config.table) carries an `Option` (qa.config.options) in its metadata; the CLI generates its flags
from them (qa.cli.add_setting_flags), and a wrong value from the environment, a flag or Python is one
`SettingsError` line naming the variable or flag and what it accepts. Process-wide environment defaults
(Hugging Face offline, OpenMP waits, ...) are set only by an explicit `apply_environment()` call at
start-up. Nothing here loads models or touches the network.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import fields
from pathlib import Path

from ..errors import SettingsError
from .options import ALL_COMMANDS, Option, env_value, parse
from .table import ABSTAIN_BELOW, DEFAULT_MODEL, DENSE_WEIGHT, QUERY, REPO_ROOT, Settings

__all__ = [
    "ABSTAIN_BELOW",
    "ALL_COMMANDS",
    "DEFAULT_MODEL",
    "DENSE_WEIGHT",
    "ENVIRONMENT_DEFAULTS",
    "MAX_FILE_BYTES",
    "MAX_QUESTION_CHARS",
    "MAX_UPLOAD_BYTES",
    "QUERY",
    "REPO_ROOT",
    "Option",
    "Settings",
    "apply_environment",
    "debug_enabled",
    "from_flags",
    "options",
    "parse",
    "settings",
]

MAX_QUESTION_CHARS = 1000
MAX_FILE_BYTES = 5 * 1024 * 1024  # a single article larger than this is skipped as "too large"
MAX_UPLOAD_BYTES = 2 * 1024 * 1024

ENVIRONMENT_DEFAULTS = {
    # offline, always: no model may be fetched from a hub at run time
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    # the model loads from disk in a blink; its "Loading weights" bar would only clutter every command
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    # llama.cpp (optional LLM) shares torch's OpenMP runtime; spinning waiters made 2-thread decoding fall
    # to 1-2 tok/s on a busy machine against 26 tok/s with passive waits (benchmarks/llm_speed.py)
    "OMP_WAIT_POLICY": "PASSIVE",
    # uvicorn (Gradio's server) takes the client address from X-Forwarded-For on connections from the
    # proxies listed here, by default 127.0.0.1 and ::1, so any local process could pose as endless
    # addresses to the failed-login limit (qa.web.throttle). Trust none unless the user lists a proxy.
    "FORWARDED_ALLOW_IPS": "",
}


def apply_environment() -> None:
    """Set the process-wide defaults above (a value the user set is kept). Call before any Hugging Face
    or llama.cpp import: the CLI, Assistant.load and qa.embedder do."""
    for name, value in ENVIRONMENT_DEFAULTS.items():
        os.environ.setdefault(name, value)


def gradio_temp_dir() -> Path:
    """Where Gradio keeps uploads and cached files (its own GRADIO_TEMP_DIR, else the system temp dir)."""
    return Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio").resolve()


def options() -> dict[str, Option]:
    """Field name -> Option, in declaration order."""
    return {f.name: f.metadata["option"] for f in fields(Settings)}


def settings(**overrides) -> Settings:
    """A fresh Settings from the current environment (tests change it), with `overrides` applied."""
    return Settings(**overrides)


def from_flags(given: dict[str, str]) -> Settings:
    """Settings from the environment, overridden by CLI flag strings keyed by field name; an error
    names the flag."""
    opts = options()
    return Settings(**{name: parse(opts[name], raw, opts[name].flag or name) for name, raw in given.items()})


def debug_enabled() -> bool:
    """QA_DEBUG, read on its own so that a bad value elsewhere still lets the CLI decide (bad -> off)."""
    try:
        return bool(env_value(options()["debug"], False))
    except SettingsError:
        return False
