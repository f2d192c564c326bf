"""The FAISS dense backend: an exact inner-product scan ("flat") or an HNSW graph ("hnsw").

Vectors are unit length, so inner product is cosine. The index file is memory-mapped on load
(FAISS's IO_FLAG_MMAP_IFC), so opening a generation costs little beyond the page cache; what a cold
page cache would make slow is read ahead sequentially (an exact index whole, an HNSW graph at load and
its vectors in the background: _open_hnsw), unless it is already cached. A row filter
is applied inside FAISS (an id bitmap), except when few rows are allowed: then those rows are scored
exactly, which is both cheaper and exact (a graph search with a very selective filter loses recall).
This module does not know about chunks, documents or questions.
"""

from __future__ import annotations

import os
import struct
import threading
from pathlib import Path

import faiss
import numpy as np

FILE = "dense.faiss"
# HNSW parameters, measured with benchmarks/ann_threshold.py (384-d synthetic vectors with MiniLM's
# variance spectrum, 2 busy cores): M=32, efConstruction=80. recall@10 against exact search, by efSearch:
#   10k rows:  128 0.982, 256 0.993          30k: 128 0.955, 256 0.985        100k: 128 0.906, 256 0.960
#   300k rows: 256 0.913, 512 0.947, 768 0.961, 1024 0.967
# and at 1M rows with benchmarks/ef_sweep.py (the scale.py archive, 315 questions in 3 seeded sets; worst
# set in brackets, ms a search on 2 busy cores): 256 0.910 (0.899) 3.1 ms, 384 0.942 (0.932) 4.6 ms,
# 512 0.957 (0.950) 5.9 ms, 640 0.968 (0.959) 7.1 ms, 768 0.974 (0.965) 8.5 ms, 1024 0.983 (0.978) 10.9 ms.
# The search breadth grows with the index (hnsw_params): the smallest efSearch keeping every set >= 0.96
# (768 up to 1M rows; 1024 beyond is an extrapolation). It is recorded in the manifest at build time, so
# an index keeps the breadth it was built with.
# Build time on the busy machine: 10 s (10k), 56 s (30k), 263 s (100k), 392-561 s (300k), 525-753 s (1M).
HNSW_DEFAULTS = {"M": 32, "efConstruction": 80, "efSearch": 256}
EF_SEARCH_BY_ROWS = ((50_000, 128), (150_000, 256), (1_000_000, 768), (None, 1024))  # (up to rows, efSearch)
SUBSET_EXACT_MAX = 20_000  # allowed rows up to this many are scored exactly (a small scan)
# One question is searched on one thread: OpenMP's threads wait for each other at every search, and on
# a busy 2-core machine that turned a 0.7 ms exact search of 10k rows into 80 ms (measured). Bulk adds
# (building) use every core.
SEARCH_THREADS = 1
READ_AHEAD_BLOCK = 8 << 20  # bytes per read when an HNSW file is read ahead at load
CACHE_SAMPLES = 256  # pages probed to tell whether a file range is already in the page cache
WARM_MAX_SHARE = 0.125  # an HNSW file's vectors are warmed after load when they take at most this share of RAM


def hnsw_params(n_rows: int) -> dict:
    """HNSW parameters for an index of `n_rows` vectors (efSearch wider for bigger graphs)."""
    ef = next(ef for limit, ef in EF_SEARCH_BY_ROWS if limit is None or n_rows <= limit)
    return {**HNSW_DEFAULTS, "efSearch": ef}


def _hnsw_layout(path: Path) -> tuple[int, int]:
    """(where the vectors start, file size) of an IndexHNSWFlat file: its graph comes first, then the
    float32 vectors (0, 0 for a file too short to say: FAISS names the damage)."""
    with open(path, "rb") as fh:
        head = fh.read(16)
        size = os.fstat(fh.fileno()).st_size
    if len(head) < 16:
        return 0, 0
    dim, n = struct.unpack_from("<iq", head, 4)  # after the 4-byte type code: d (int32), ntotal (int64)
    return max(size - 4 * max(dim, 0) * max(n, 0), 0), size


def _cached(fd: int, start: int, end: int) -> bool:
    """Whether bytes [start, end) of a file seem to be in the page cache: CACHE_SAMPLES pages spread
    over them all read without waiting for the disk (RWF_NOWAIT; False where that is not supported)."""
    nowait = getattr(os, "RWF_NOWAIT", None)
    if nowait is None or end <= start:
        return end <= start
    page = bytearray(4096)
    for pos in range(start, end, max((end - start) // CACHE_SAMPLES, len(page))):
        try:
            if os.preadv(fd, [page], pos, nowait) <= 0:
                return False
        except OSError:  # EAGAIN: that page is on disk only (or the file system cannot say)
            return False
    return True


def _read_ahead(path: Path, start: int, end: int) -> None:
    """Bring bytes [start, end) of a file into the page cache with large sequential reads, unless they
    already are there (a warm load then costs no copy of them)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if _cached(fd, start, end):
            return
        buf, pos = bytearray(READ_AHEAD_BLOCK), start
        while pos < end:
            got = os.preadv(fd, [buf], pos)
            if got <= 0:
                break
            pos += got
    except OSError:
        pass  # only a cache warm-up: a search reads what it needs itself
    finally:
        os.close(fd)


def _open_hnsw(path: Path) -> None:
    """Before FAISS reads an HNSW file: its graph read ahead, then its vectors warmed in the background.
    FAISS copies the graph out of a memory map it marks MADV_RANDOM: from a cold page cache that was one
    4 KB disk read per page, 9 s for the 270 MB graph of 1M chunks where sequential reads take 0.4 s.
    The vectors are searched in place through that map, again one 4 KB read per vector a search visits
    (~35,000 for efSearch 1024 at 1M rows: 8.7 s for the first question after a cold load); a background
    thread reads them sequentially so that questions soon find them in the cache (measured with
    benchmarks/scale.py --cold). Skipped when they would take more than WARM_MAX_SHARE of the memory."""
    vectors, size = _hnsw_layout(path)
    _read_ahead(path, 0, vectors)
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return
    if size - vectors <= WARM_MAX_SHARE * memory:
        threading.Thread(target=_read_ahead, args=(path, vectors, size), name="qa-warm-vectors", daemon=True).start()


class FaissDense:
    def __init__(self, index: faiss.Index, kind: str, params: dict):
        self.index, self.kind, self.params = index, kind, params

    @classmethod
    def create(cls, dim: int, kind: str, params: dict | None = None) -> FaissDense:
        if kind == "flat":
            return cls(faiss.IndexFlatIP(dim), "flat", {})
        if kind != "hnsw":
            raise ValueError(f"FAISS backend has no index kind '{kind}'")
        params = {**HNSW_DEFAULTS, **(params or {})}
        index = faiss.IndexHNSWFlat(dim, int(params["M"]), faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = int(params["efConstruction"])
        return cls(index, "hnsw", params)

    @classmethod
    def load(cls, gen: Path, info: dict, name: str = FILE) -> FaissDense:
        """Memory-mapped for searching (segments are immutable: no row is ever added to a saved index)."""
        kind = info.get("kind", "flat")
        if kind == "hnsw":
            _open_hnsw(Path(gen) / name)
        else:  # an exact scan reads every vector of every question: all of them, sequentially, now
            _read_ahead(Path(gen) / name, 0, (Path(gen) / name).stat().st_size)
        index = faiss.read_index(str(Path(gen) / name), faiss.IO_FLAG_MMAP_IFC)
        return cls(index, kind, {**(HNSW_DEFAULTS if kind == "hnsw" else {}), **info.get("params", {})})

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def add(self, vectors: np.ndarray) -> None:
        if len(vectors):
            faiss.omp_set_num_threads(os.cpu_count() or 1)
            try:
                self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))
            finally:
                faiss.omp_set_num_threads(SEARCH_THREADS)

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, breadth: float = 1.0
    ) -> tuple[np.ndarray, np.ndarray]:
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        k = min(int(k), self.ntotal if allowed is None else len(allowed))
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if allowed is not None and len(allowed) <= SUBSET_EXACT_MAX:
            return self._subset_exact(q[0], k, np.asarray(allowed, dtype=np.int64))
        faiss.omp_set_num_threads(SEARCH_THREADS)
        bitmap = None
        if allowed is not None:
            mask = np.zeros(self.ntotal, dtype=bool)
            mask[allowed] = True
            bitmap = np.packbits(mask, bitorder="little")  # kept alive until the search returns
        scores, rows = self.index.search(q, k, params=self._params(bitmap, k, breadth))
        keep = rows[0] >= 0
        return rows[0][keep].astype(np.int64), scores[0][keep]

    def _params(self, bitmap: np.ndarray | None, k: int, breadth: float = 1.0):
        sel = faiss.IDSelectorBitmap(bitmap) if bitmap is not None else None
        if self.kind == "hnsw":
            return faiss.SearchParametersHNSW(efSearch=max(int(self.params["efSearch"] * breadth), k), sel=sel)
        return faiss.SearchParameters(sel=sel) if sel is not None else None

    def _subset_exact(self, q: np.ndarray, k: int, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # FAISS's own single-threaded scan rather than numpy's product, whose BLAS threads stall when busy
        scores, top = faiss.knn(
            q.reshape(1, -1), self.index.reconstruct_batch(allowed), k, metric=faiss.METRIC_INNER_PRODUCT
        )
        scores, top = scores[0], top[0]
        order = np.lexsort((allowed[top], -scores))  # best first, ties by lower row
        return allowed[top[order]], scores[order].astype(np.float32)

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of `rows` (for bounded re-scoring)."""
        return self.index.reconstruct_batch(np.asarray(rows, dtype=np.int64))

    def save(self, directory: Path) -> None:
        faiss.write_index(self.index, str(Path(directory) / FILE))

    def describe(self) -> dict:
        return {"backend": "faiss", "kind": self.kind, "params": dict(self.params)}

    def stats(self) -> dict:
        return self.describe() | {"ntotal": self.ntotal, "dim": int(self.index.d)}
