"""One suite for every dense backend: FAISS (exact, HNSW) and Qdrant (local in-process mode, in memory
and in a folder). Search returns the nearest rows, filters are respected, a saved or reopened index
gives the same results, stored vectors come back, and the manifest records the backend."""
from __future__ import annotations

import numpy as np
import pytest

from qa import backends
from qa.backends import qdrant, qdrant_conn
from qa.build import build_index
from qa.index import Index

from .conftest import copy_corpus
from .test_backends import _clustered, _exact  # the same synthetic vectors and exact ranking

BACKENDS = ["faiss-flat", "faiss-hnsw", "qdrant-memory", "qdrant-path"]
EXACT = {"faiss-flat", "qdrant-memory", "qdrant-path"}  # Qdrant's local mode scans every vector


def _dense_choice(name: str, tmp_path):
    if name.startswith("faiss"):
        return name.split("-")[1]
    return qdrant.location(path=":memory:" if name == "qdrant-memory" else tmp_path / "qdrant")


@pytest.fixture(params=BACKENDS)
def dense(request, tmp_path):
    x = _clustered(3000)
    index = backends.build_dense(x, _dense_choice(request.param, tmp_path))
    yield request.param, index, x
    if request.param == "qdrant-path":
        qdrant_conn.forget(index.loc)  # frees the folder's lock for the next test


def test_search_returns_the_nearest_rows(dense):
    name, index, x = dense
    assert index.ntotal == len(x)
    queries = x[:40] + 0.05 * np.random.default_rng(1).normal(size=(40, x.shape[1])).astype(np.float32)
    recall = []
    for q in queries:
        rows, scores = index.search(q, 10)
        assert list(scores) == sorted(scores, reverse=True)
        np.testing.assert_allclose(scores, x[rows] @ q, rtol=1e-4, atol=1e-5)
        recall.append(len(set(rows.tolist()) & set(_exact(x, q, 10))) / 10)
    assert min(recall) == 1.0 if name in EXACT else np.mean(recall) >= 0.95


@pytest.mark.parametrize("shape", ["random", "runs", "few"])
def test_filters_are_respected(dense, shape):
    # random rows: Qdrant gets a HasId list; a few runs of rows (whole documents): ranges on "row"
    name, index, x = dense
    rng = np.random.default_rng(2)
    if shape == "random":
        allowed = np.sort(rng.choice(len(x), 600, replace=False))
    elif shape == "runs":
        allowed = np.concatenate([np.arange(s, s + 40) for s in range(100, 2900, 300)])
    else:
        allowed = np.array([7, 8, 2500])
    allowed = allowed.astype(np.int64)
    for q in x[:20]:
        rows, _ = index.search(q, 10, allowed)
        assert len(rows) == min(10, len(allowed)) and set(rows.tolist()) <= set(allowed.tolist())
        if name in EXACT:
            assert rows.tolist() == _exact(x, q, 10, allowed)
    assert len(index.search(x[0], 10, np.zeros(0, np.int64))[0]) == 0


def test_stored_vectors_come_back(dense):
    _, index, x = dense
    rows = np.array([5, 0, 2999, 5])
    np.testing.assert_allclose(index.vectors(rows), x[rows], rtol=1e-6)


def test_save_and_reopen_round_trip(dense, tmp_path):
    name, index, x = dense
    index.save(tmp_path)
    before = [index.search(q, 10)[0].tolist() for q in x[:10]]
    manifest = {"dense": index.describe(), "model": {"name": "test", "dim": x.shape[1]}}
    if name == "qdrant-path":
        qdrant_conn.forget(index.loc)  # a real reopen: a new client reads the folder from disk
    again = backends.load_dense(tmp_path, manifest)
    assert again.kind == index.kind and again.ntotal == len(x) and again.describe() == index.describe()
    for q, expected in zip(x[:10], before):
        got = again.search(q, 10)[0].tolist()
        assert got == expected
        if name in EXACT:
            assert got == _exact(x, q, 10)


@pytest.mark.parametrize("backend", ["faiss", "qdrant"])
def test_manifest_records_the_backend_and_ask_finds_it(tmp_path, backend):
    from qa import Assistant

    corpus = copy_corpus(tmp_path / "corpus")
    dense = "auto" if backend == "faiss" else qdrant.location(path=tmp_path / "q")
    build_index(corpus, tmp_path / "idx", "fake", dense=dense)
    index = Index.load(tmp_path / "idx")
    assert index.manifest["dense"] == index.dense.describe()
    assert index.manifest["dense"]["backend"] == backend and index.dense.ntotal == len(index.chunks)
    answer = Assistant.load(tmp_path / "idx", model="fake").ask("How many Patriot missiles are allies procuring?")
    assert not answer.abstained and "1,000" in answer.text
    # a later build without a backend choice stays where the live index is
    report = build_index(corpus, tmp_path / "idx", "fake", full=True)
    assert not report.unchanged and Index.load(tmp_path / "idx").manifest["dense"]["backend"] == backend


def test_hnsw_file_layout_found_for_the_read_ahead(tmp_path, monkeypatch):
    """Loading reads an HNSW file's graph ahead and warms its vectors: both need where the vectors start
    (after the graph, float32 rows to the end), found from the file's header alone."""
    import threading

    from qa.backends import faiss_dense

    x = _clustered(2000)
    backends.build_dense(x, "hnsw").save(tmp_path)
    path = tmp_path / faiss_dense.FILE
    start, size = faiss_dense._hnsw_layout(path)
    assert size == path.stat().st_size and size - start == x.nbytes
    assert np.frombuffer(path.read_bytes()[start:], np.float32).reshape(x.shape).tolist() == x.tolist()
    warmed = []
    monkeypatch.setattr(faiss_dense, "_read_ahead", lambda p, a, b: warmed.append((a, b)))
    monkeypatch.setattr(threading.Thread, "start", lambda self: self.run())  # the warm-up, inline
    faiss_dense.FaissDense.load(tmp_path, {"kind": "hnsw"})
    assert warmed == [(0, start), (start, size)]  # the graph before FAISS reads it, then the vectors
    monkeypatch.setattr(faiss_dense, "WARM_MAX_SHARE", 0.0)  # vectors too big for the memory: not warmed
    warmed.clear()
    faiss_dense.FaissDense.load(tmp_path, {"kind": "hnsw"})
    assert warmed == [(0, start)]
    (tmp_path / "short").write_bytes(b"IHNf")
    assert faiss_dense._hnsw_layout(tmp_path / "short") == (0, 0)


def test_a_file_range_out_of_the_page_cache_is_read_ahead(tmp_path):
    import os

    from qa.backends import faiss_dense

    path = tmp_path / "f"
    path.write_bytes(os.urandom(1 << 20))
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)  # evicted: must not pass for cached
        assert not faiss_dense._cached(fd, 0, 1 << 20)
        assert faiss_dense._cached(fd, 5, 5)  # nothing to read
    finally:
        os.close(fd)
