"""Index backends: the dense (vector) and lexical (BM25) halves of an index generation, behind two
small protocols, so that another engine (Qdrant, a segment store, ...) can be added here without
touching retrieval or answering.

Only the modules of this package import faiss or bm25s. A generation's manifest records which dense
index was built (`manifest["dense"] = {"backend", "kind", "params"}`) and `load_dense` reopens the same
one; generations written before that key existed hold an exact FAISS index. Rows are chunk rows
(0..n-1, in the order of chunks.jsonl); `allowed` is a sorted int64 array of rows or None for all.
The Qdrant backend (qdrant.py, qdrant_conn.py: only they import qdrant_client; docs/qdrant.md) is chosen
by passing a Qdrant location where a FAISS kind would go.
This package does not fuse rankings, read metadata or decide anything about answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

import numpy as np

# Up to this many chunks an exact scan; above it an HNSW graph. Measured with benchmarks/ann_threshold.py
# (one question, one thread, 2 busy cores): an exact scan took 0.6 ms at 10k rows (in cache), 33 ms at
# 30k, 41 ms at 100k and 176 ms at 1M (memory-bound past the cache), against 1-4 ms for HNSW
# at recall@10 >= 0.95; below ~50k the exact scan stays within the ask budget and keeps results exact,
# and spares every rebuild the graph construction (56 s at 30k rows, 263 s at 100k).
EXACT_MAX_ROWS = 50_000
DENSE_KINDS = ("auto", "flat", "hnsw")


class DenseBackend(Protocol):
    kind: str

    @property
    def ntotal(self) -> int: ...

    def add(self, vectors: np.ndarray) -> None: ...

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, breadth: float = 1.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) of the k nearest rows by inner product, best first, only `allowed` rows.
        `breadth` scales an approximate index's search breadth (HNSW efSearch; never below k) for
        callers that only need candidates; exact scans ignore it."""

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of `rows`."""

    def save(self, directory: Path) -> None: ...

    def describe(self) -> dict:
        """What the manifest records: {"backend", "kind", "params"}."""

    def stats(self) -> dict: ...


class LexicalBackend(Protocol):
    @property
    def num_docs(self) -> int: ...

    def top_k(self, question: str, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) of the k best-scoring rows with a score > 0, best first (ties: lower row)."""

    def scores_for(self, question: str, rows: np.ndarray) -> np.ndarray:
        """The score of each of `rows` for `question` (0 where no question word occurs)."""

    def idf(self, power: float = 1.0) -> Mapping[str, float]:
        """BM25 IDF per indexed token (lazy mapping), raised to `power`; `.unknown` for unseen tokens."""

    def save(self, directory: Path) -> None: ...

    def stats(self) -> dict: ...


def choose_kind(n_rows: int, kind: str | Mapping | None = "auto") -> str:
    """The dense index for `n_rows` chunks: `kind` when given, else exact below EXACT_MAX_ROWS;
    "qdrant" when `kind` is a Qdrant location (see qa.backends.qdrant.location)."""
    if isinstance(kind, Mapping):  # a Qdrant location (qa.backends.qdrant.location)
        return "qdrant"
    kind = kind or "auto"
    if kind not in DENSE_KINDS:
        from ..errors import QAError

        raise QAError(f"unknown dense index '{kind}'; use one of {', '.join(DENSE_KINDS)}")
    if kind != "auto":
        return kind
    return "flat" if n_rows <= EXACT_MAX_ROWS else "hnsw"


def same_dense(info: dict, n_rows: int, dense: str | Mapping | None) -> bool:
    """Whether a generation's dense entry `info` is what a build with `dense` would make (then an
    unchanged corpus needs no new generation): the same FAISS kind, or the same Qdrant place."""
    kind = choose_kind(n_rows, dense)
    if kind != "qdrant" or info.get("backend") != "qdrant" or not isinstance(dense, Mapping):
        return info.get("kind", "flat") == kind
    return all(info["params"].get(k) == dense.get(k) for k in ("url", "path", "alias"))


def resolve_dense(index_dir: Path, dense: str | Mapping | None) -> str | Mapping:
    """The dense choice of a build: "auto"/None follows the live generation when it is on Qdrant (so a
    rebuild, a web upload or `build` without flags stays there) and is FAISS by size otherwise;
    "faiss" is FAISS by size; "flat"/"hnsw" and a Qdrant location are taken as given."""
    if dense == "faiss":
        return "auto"
    if dense not in (None, "auto"):
        return dense
    from .. import store
    from ..errors import QAError

    try:
        gen = store.current_generation(Path(index_dir))
        info = (store.read_manifest(gen, verify=False).get("dense") or {}) if gen else {}
    except QAError:
        return "auto"  # an unreadable live index gives nothing to follow
    if info.get("backend") != "qdrant":
        return "auto"
    return {"backend": "qdrant"} | {k: info["params"].get(k) for k in ("url", "path", "alias", "timeout")}


def build_dense(vectors: np.ndarray, kind: str | Mapping | None = "auto", params: dict | None = None) -> DenseBackend:
    """A dense index over `vectors` (rows 0..n-1): `kind` as choose_kind decides, parameters by size;
    a new Qdrant collection when `kind` is a Qdrant location."""
    if isinstance(kind, Mapping):
        from .qdrant import QdrantDense

        qdrant = QdrantDense.create(dict(kind), vectors.shape[1])
        qdrant.add(vectors)
        return qdrant
    from .faiss_dense import FaissDense, hnsw_params

    kind = choose_kind(len(vectors), kind)
    params = {**hnsw_params(len(vectors)), **(params or {})} if kind == "hnsw" else params
    dense = FaissDense.create(vectors.shape[1], kind, params)
    dense.add(vectors)
    return dense


def load_dense(gen: Path, manifest: dict) -> DenseBackend:
    """The dense index of a generation, as its manifest describes it."""
    info = manifest.get("dense") or {"backend": "faiss", "kind": "flat", "params": {}}
    if info.get("backend") == "qdrant":
        from .qdrant import QdrantDense

        return QdrantDense.load(gen, manifest)
    if info.get("backend", "faiss") != "faiss":
        from ..errors import IndexMismatchError

        raise IndexMismatchError(f"index {gen} uses dense backend '{info['backend']}', which this qa lacks")
    from .faiss_dense import FaissDense

    return FaissDense.load(gen, info)


def after_commit(index_dir: Path) -> None:
    """Once a generation is committed: switch a Qdrant alias to the live collection and delete the
    collections no kept generation names. Nothing to do (and nothing imported) for FAISS-only indexes."""
    import json

    dense = []
    for manifest_path in sorted(Path(index_dir).glob("generations/[!.]*/manifest.json")):
        text = manifest_path.read_text("utf-8")
        if '"qdrant"' in text:  # a FAISS index's (large) manifests are not parsed
            dense.append(json.loads(text).get("dense") or {})
    if not any(d.get("backend") == "qdrant" for d in dense):
        return
    from .. import store
    from .qdrant_conn import publish

    live = store.read_manifest(store.require_generation(Path(index_dir)), verify=False).get("dense") or {}
    publish(dense, live if live.get("backend") == "qdrant" else None)


def build_lexical(texts: Iterable[str], prior: tuple[int, int] = (0, 0)):
    """BM25 over `texts`; `prior` = (tokens, rows) of the index's other segments (see BM25Index.build)."""
    from .bm25 import BM25Index

    return BM25Index.build(texts, prior)


def load_lexical(gen: Path, mmap: bool = False) -> LexicalBackend:
    from .bm25 import BM25Index

    return BM25Index.load(gen, mmap=mmap)
