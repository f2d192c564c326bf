"""The Qdrant dense backend: chunk vectors in a Qdrant collection, one point per chunk row.

Point id = chunk row; payload {"row", "doc_id", "date"} (doc_id and date are filled by `save`, from
the segment's meta.sqlite, which the build writes before the dense index).
Distance is the dot product, as in FAISS (vectors are unit length), so scores are the same numbers.
Each build writes a new collection "<alias>-<stamp>"; the alias is switched to it only after the
generation is committed (qa.backends.after_commit), so an interrupted build never serves. A row filter
becomes a Qdrant filter: ranges on the indexed "row" payload when the allowed rows form few runs
(a document's chunks are contiguous rows), else a HasId condition.
Lexical scoring stays with bm25s in the generation folder (see docs/qdrant.md for why).
This module does not know about questions or answers.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from . import qdrant_conn as conn

UPLOAD_BATCH = 512
MAX_RANGE_RUNS = 64  # more runs of allowed rows than this: a HasId list is simpler for the engine
# HNSW graph on a server (local mode ignores it: it scans every vector). Same M and construction
# breadth as the FAISS graph (qa/backends/faiss_dense.py); search breadth set per query.
HNSW: dict[str, Any] = {"m": 32, "ef_construct": 80}
EF_SEARCH = 256


def location(
    url: str | None = None, path: str | Path | None = None, alias: str | None = None, timeout: float | None = None
) -> dict:
    """The `dense` choice for build_index/build_from_documents that selects this backend."""
    if url and path:
        from ..errors import QAError

        raise QAError("give either a Qdrant URL or a local Qdrant path, not both")
    if not url and str(path or ":memory:") != ":memory:":
        path = str(Path(str(path)).resolve())  # recorded in the manifest: valid from any working directory
    return {
        "backend": "qdrant",
        "url": url or None,
        "path": None if url else str(path or ":memory:"),
        "alias": alias or conn.DEFAULT_ALIAS,
        "timeout": timeout or conn.DEFAULT_TIMEOUT,
    }


def dense_choice(settings) -> str | dict | None:
    """The `dense` argument of a build from Settings (backend, qdrant_url/path/collection/timeout)."""
    backend = settings.backend or ("qdrant" if settings.qdrant_url or settings.qdrant_path else None)
    if backend in (None, "faiss"):
        return backend
    if backend != "qdrant":
        from ..errors import QAError

        raise QAError(f"unknown index backend '{backend}'; use faiss or qdrant")
    path = None if settings.qdrant_url else settings.qdrant_path or Path(settings.index_dir) / "qdrant"
    return location(settings.qdrant_url, path, settings.qdrant_collection, settings.qdrant_timeout)


class QdrantDense:
    kind = "qdrant"

    def __init__(self, loc: dict, collection: str, dim: int, ntotal: int = 0):
        self.loc, self.collection, self.dim, self._ntotal = loc, collection, dim, ntotal
        self.client = conn.client(loc)

    @classmethod
    def create(cls, loc: dict, dim: int) -> QdrantDense:
        from qdrant_client import models

        name = f"{loc.get('alias') or conn.DEFAULT_ALIAS}-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self = cls(loc, name, dim)
        with conn.guard(loc, name):
            self.client.create_collection(
                name,
                vectors_config=models.VectorParams(size=dim, distance=models.Distance.DOT),
                hnsw_config=models.HnswConfigDiff(**HNSW),
                metadata={"qa_dim": dim},
            )
            if loc.get("url"):  # local mode has no payload indexes (and warns about them)
                self.client.create_payload_index(name, "row", models.PayloadSchemaType.INTEGER)
            else:
                conn.fast_local_writes(self.client, name)
        return self

    @classmethod
    def load(cls, gen: Path, manifest: dict) -> QdrantDense:
        """The collection a generation names; refuses a missing one or one of another shape."""
        p = manifest["dense"]["params"]
        loc = {k: p.get(k) for k in ("url", "path", "alias", "timeout")}
        from .. import config

        served = config.settings().qdrant_url
        if loc["url"] and served:  # the same cluster under another name on this machine (QA_QDRANT_URL)
            loc["url"] = served
        self = cls(loc, p["collection"], int(p["dim"]))
        with conn.guard(loc, self.collection):
            if not self.client.collection_exists(self.collection):
                raise conn.CollectionMissingError(
                    f"Qdrant collection '{self.collection}' (index {gen}) not found at {conn.where(loc)}; "
                    f"rebuild with `python -m qa build --full --backend qdrant`"
                )
            size = self.client.get_collection(self.collection).config.params.vectors.size
            self._ntotal = self.client.count(self.collection, exact=True).count
        want = int(manifest["model"]["dim"])
        if int(size) != want or self.dim != want:
            raise conn.CollectionMismatchError(
                f"Qdrant collection '{self.collection}' holds {size}-d vectors but index {gen} was built "
                f"with model '{manifest['model']['name']}' ({want}-d); rebuild with `python -m qa build --full`"
            )
        return self

    @property
    def ntotal(self) -> int:
        return self._ntotal

    def add(self, vectors: np.ndarray) -> None:
        from qdrant_client import models

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        with conn.guard(self.loc, self.collection):
            for lo in range(0, len(vectors), UPLOAD_BATCH):
                rows = range(self._ntotal + lo, self._ntotal + min(lo + UPLOAD_BATCH, len(vectors)))
                self.client.upsert(
                    self.collection,
                    wait=True,
                    points=models.Batch(
                        ids=list(rows),
                        vectors=vectors[lo : lo + UPLOAD_BATCH].tolist(),
                        payloads=[{"row": r} for r in rows],
                    ),
                )
        self._ntotal += len(vectors)

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, breadth: float = 1.0
    ) -> tuple[np.ndarray, np.ndarray]:
        from qdrant_client import models

        k = min(int(k), self.ntotal if allowed is None else len(allowed))
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        with conn.guard(self.loc, self.collection):
            hits = self.client.query_points(
                self.collection,
                query=np.asarray(query, dtype=np.float32).ravel().tolist(),
                limit=k,
                query_filter=_row_filter(allowed),
                with_payload=False,
                # local mode scans every vector and warns that it ignores search parameters
                search_params=models.SearchParams(hnsw_ef=max(int(EF_SEARCH * breadth), k))
                if self.loc.get("url")
                else None,
            ).points
        rows = np.asarray([h.id for h in hits], dtype=np.int64)
        scores = np.asarray([h.score for h in hits], dtype=np.float32)
        order = np.lexsort((rows, -scores))  # best first, ties by lower row, as the FAISS backend
        return rows[order], scores[order]

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        with conn.guard(self.loc, self.collection):
            points = self.client.retrieve(self.collection, ids=rows.tolist(), with_vectors=True)
        got = {int(p.id): p.vector for p in points}
        return np.asarray([got[r] for r in rows.tolist()], dtype=np.float32).reshape(len(rows), self.dim)

    def save(self, directory: Path) -> None:
        """The vectors are in Qdrant already; this adds each point's doc_id and date to its payload
        (from the generation's files, when present) so that the collection stands on its own."""
        directory = Path(directory)
        from ..segment import META
        from ..segment_write import doc_runs

        if not (directory / META).exists():
            return
        from qdrant_client import models

        ops = [
            models.SetPayloadOperation(
                set_payload=models.SetPayload(payload={"doc_id": d, "date": date}, points=list(range(s, e)))
            )
            for d, date, s, e in doc_runs(directory)
            if e > s
        ]
        with conn.guard(self.loc, self.collection):
            for lo in range(0, len(ops), 1000):
                self.client.batch_update_points(self.collection, ops[lo : lo + 1000], wait=True)

    def describe(self) -> dict:
        params = {k: self.loc.get(k) for k in ("url", "path", "alias", "timeout")}
        return {
            "backend": "qdrant",
            "kind": self.kind,
            "params": params
            | {"collection": self.collection, "dim": self.dim, "hnsw": dict(HNSW), "ef_search": EF_SEARCH},
        }

    def stats(self) -> dict:
        return self.describe() | {"ntotal": self.ntotal, "dim": self.dim}


def _row_filter(allowed: np.ndarray | None):
    """A Qdrant filter keeping only `allowed` rows (sorted int64), or None."""
    if allowed is None:
        return None
    from qdrant_client import models

    allowed = np.asarray(allowed, dtype=np.int64)
    breaks = np.flatnonzero(np.diff(allowed) != 1) + 1
    runs = np.split(allowed, breaks)
    if len(runs) > MAX_RANGE_RUNS:
        return models.Filter(must=[models.HasIdCondition(has_id=allowed.tolist())])
    return models.Filter(
        should=[models.FieldCondition(key="row", range=models.Range(gte=int(r[0]), lte=int(r[-1]))) for r in runs]
    )
