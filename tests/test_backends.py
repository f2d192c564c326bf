"""Index backends: dense (exact and HNSW) and lexical (BM25) behind qa.backends, and the row sets."""
from __future__ import annotations

import math

import numpy as np
import pytest

from qa import backends, retrieve
from qa.backends import faiss_dense
from qa.backends.rows import ranges_to_rows
from qa.build import build_index
from qa.index import Index

from .conftest import REPO, copy_corpus


def _clustered(n: int, dim: int = 32, clusters: int = 20, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim))
    x = centres[rng.integers(0, clusters, n)] + 0.6 * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _exact(x: np.ndarray, q: np.ndarray, k: int, allowed=None) -> list[int]:
    rows = np.arange(len(x)) if allowed is None else np.asarray(allowed)
    sims = x[rows] @ q
    return rows[np.lexsort((rows, -sims))][:k].tolist()


# search, stored vectors and save/reopen for every dense backend: tests/test_backends_dense.py
@pytest.fixture(params=["flat", "hnsw"])
def dense(request):
    x = _clustered(3000)
    return backends.build_dense(x, request.param), x


@pytest.mark.parametrize("subset_exact_max", [faiss_dense.SUBSET_EXACT_MAX, 10])
def test_dense_filter_is_respected(dense, monkeypatch, subset_exact_max):
    # a small allowed set is scored exactly; a large one goes through FAISS's id bitmap
    monkeypatch.setattr(faiss_dense, "SUBSET_EXACT_MAX", subset_exact_max)
    index, x = dense
    allowed = np.sort(np.random.default_rng(2).choice(len(x), 600, replace=False)).astype(np.int64)
    for q in x[:20]:
        rows, _ = index.search(q, 10, allowed)
        assert len(rows) == 10 and set(rows.tolist()) <= set(allowed.tolist())
        if index.kind == "flat":
            assert rows.tolist() == _exact(x, q, 10, allowed)
    rows, _ = index.search(x[0], 10, allowed[:3])
    assert sorted(rows.tolist()) == allowed[:3].tolist()
    assert len(index.search(x[0], 10, np.zeros(0, np.int64))[0]) == 0


def test_dense_kind_chosen_by_size_and_overridable():
    assert backends.choose_kind(10, "auto") == "flat"
    assert backends.choose_kind(backends.EXACT_MAX_ROWS + 1, "auto") == "hnsw"
    assert backends.choose_kind(backends.EXACT_MAX_ROWS + 1, "flat") == "flat"
    assert backends.choose_kind(10, "hnsw") == "hnsw"
    with pytest.raises(Exception, match="unknown dense index"):
        backends.choose_kind(10, "annoy")


def test_manifest_records_the_dense_kind(tmp_path, fake_index):
    assert Index.load(fake_index).manifest["dense"]["kind"] == "flat"
    corpus = copy_corpus(tmp_path / "corpus")
    build_index(corpus, tmp_path / "idx", "fake", dense="hnsw")
    index = Index.load(tmp_path / "idx")
    assert index.manifest["dense"] == index.dense.describe()
    assert index.dense.kind == "hnsw" and index.dense.ntotal == len(index.chunks)
    assert index.manifest["dense"]["params"] == faiss_dense.hnsw_params(len(index.chunks))
    report = build_index(corpus, tmp_path / "idx", "fake", dense="flat")  # a new kind is a new generation
    assert not report.unchanged and Index.load(tmp_path / "idx").dense.kind == "flat"


QUESTIONS = ["How many Patriot missiles are allies procuring?", "Baltic independence 1991",
             "air defence drones warehouses", "What did Zelensky say in Lithuania?", "zzz unknownword",
             "the of and"]


@pytest.mark.parametrize("k", [1, 3, 10, 50])
def test_lexical_top_k_equals_the_full_sort(fake_assistant, k):
    index = fake_assistant.index
    for question in QUESTIONS:
        full = _full_scores(index, question)
        expected = [r for r in np.argsort(-full, kind="stable")[:k] if full[r] > 0]
        rows, scores = index.bm25.top_k(question, k)
        assert rows.tolist() == expected
        assert scores.tolist() == full[expected].tolist()  # the same arithmetic, to the bit
        everything = np.arange(len(index.chunks))
        assert index.bm25.scores_for(question, everything).tolist() == full.tolist()


def test_lexical_filter_is_respected(fake_assistant):
    index = fake_assistant.index
    allowed = np.arange(0, len(index.chunks), 3, dtype=np.int64)
    for question in QUESTIONS:
        full = np.where(np.isin(np.arange(len(index.chunks)), allowed), _full_scores(index, question), 0)
        expected = [r for r in np.argsort(-full, kind="stable")[:5] if full[r] > 0]
        assert index.bm25.top_k(question, 5, allowed)[0].tolist() == expected


def test_lexical_idf_matches_bm25_document_frequencies(fake_assistant):
    bm25 = fake_assistant.index.bm25
    indptr, n = np.asarray(bm25.retriever.scores["indptr"]), bm25.num_docs
    df = np.diff(indptr)
    idf = bm25.idf(power=2)
    expected = {t: math.log(1 + (n - df[i] + 0.5) / (df[i] + 0.5)) ** 2
                for t, i in bm25.retriever.vocab_dict.items() if i < len(df)}
    assert dict(idf) == expected and len(idf) == len(expected)
    assert idf.unknown == math.log(1 + (n + 0.5) / 0.5) ** 2
    assert bm25.idf().get("zzzunseen", bm25.idf().unknown) == math.log(1 + (n + 0.5) / 0.5)


def _full_scores(index, question: str) -> np.ndarray:
    """BM25 of every row the way bm25s computes it (the reference the backend must equal)."""
    from qa.lexical import tokenize

    retriever = index.bm25.retriever
    tokens = [t for t in tokenize(question) if t in retriever.vocab_dict]
    if not tokens:
        return np.zeros(len(index.chunks), dtype=np.float32)
    return np.asarray(retriever.get_scores(tokens), dtype=np.float32)


def test_posting_ranges_are_read_with_pread_as_the_array_holds_them(tmp_path, fake_assistant):
    from qa.backends.bm25 import Ranges

    assert fake_assistant.index.bm25._data._fd is not None  # a loaded index reads its postings with pread
    path = tmp_path / "a.npy"
    np.save(path, np.arange(1000, dtype=np.float32) * 0.5)
    mapped = np.load(path, mmap_mode="r")
    ranges, in_memory = Ranges(mapped), Ranges(np.asarray(mapped).copy())
    spans = [(0, 1), (3, 700), (999, 1000), (5, 5), (0, 1000)]
    ranges.prefetch(spans)  # only a hint to the kernel: the slices read back the same
    for a, b in spans:
        assert ranges(a, b).tolist() == in_memory(a, b).tolist() == mapped[a:b].tolist()
    with open(path, "r+b") as fh:  # a file cut short after loading: one error naming it, no short array
        fh.truncate(path.stat().st_size - 40)
    with pytest.raises(ValueError, match="ended early"):
        ranges(900, 1000)


def test_ranges_to_rows():
    assert ranges_to_rows(np.array([0, 5, 9]), np.array([2, 5, 12])).tolist() == [0, 1, 9, 10, 11]
    assert ranges_to_rows(np.zeros(0, np.int64), np.zeros(0, np.int64)).tolist() == []


def test_similar_sentences_equal_a_full_scan_when_every_chunk_is_searched(fake_assistant):
    index = fake_assistant.index
    for row in range(0, len(index.sent_doc), 7):
        sims = index.sentence_vectors @ index.sentence_vectors[row]
        rows, got = retrieve.similar_sentences(index, row, 10, chunks=len(index.chunks))
        expected = np.lexsort((np.arange(len(sims)), -sims))[:10]
        assert rows.tolist() == expected.tolist()
        np.testing.assert_allclose(got, sims[expected], rtol=1e-6)
        few, _ = retrieve.similar_sentences(index, row, 10, chunks=2)
        assert row in few.tolist() and len(few) <= 10


def test_trigram_cache_is_bounded(fake_assistant):
    index = fake_assistant.index
    for row in range(len(index.chunks)):
        assert index.chunk_trigrams(row) == index.chunk_trigrams(row)
    info = index._trigrams.cache_info()
    assert info.maxsize is not None and info.currsize <= info.maxsize and info.hits >= len(index.chunks)


def test_only_the_backends_import_faiss_or_bm25s():
    import re
    from pathlib import Path

    import qa

    root = Path(qa.__file__).parent
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py") if "backends" not in p.parts
                 and re.search(r"^\s*(import|from)\s+(faiss|bm25s)\b", p.read_text("utf-8"), re.M)]
    assert offenders == []


def test_hnsw_search_breadth_grows_with_the_index():
    small, big = faiss_dense.hnsw_params(1000), faiss_dense.hnsw_params(5_000_000)
    assert small["M"] == big["M"] and small["efSearch"] < big["efSearch"]


def test_incremental_build_with_an_appended_article_reuses_the_graph(tmp_path, monkeypatch):
    """The base segment's HNSW graph is hard-linked into the new generation; only the new article's
    rows get a (tiny) dense index of their own, in a new segment."""
    corpus = copy_corpus(tmp_path / "corpus")
    build_index(corpus, tmp_path / "idx", "fake", dense="hnsw")
    base = Index.load(tmp_path / "idx").segments[0]
    (corpus / "zzz_new.txt").write_text("A new article about drones. It was added last, so its rows come last.")
    built = []
    real = backends.build_dense
    monkeypatch.setattr(backends, "build_dense", lambda v, *a, **k: built.append(len(v)) or real(v, *a, **k))
    build_index(corpus, tmp_path / "idx", "fake", dense="hnsw")
    index = Index.load(tmp_path / "idx")
    assert built == [index.segments[1].n_chunks] and len(index.segments) == 2
    assert (index.segments[0].dir / "dense.faiss").stat().st_ino == (base.dir / "dense.faiss").stat().st_ino
    assert index.dense.ntotal == len(index.chunks) and "zzz_new.txt" in index.documents
    row = next(r for r, c in enumerate(index.chunks) if c.doc_id == "zzz_new.txt")
    assert index.dense.search(index.chunk_vectors[row], 1)[0].tolist() == [row]


def test_stored_rows_read_back_as_written(fake_index):
    from qa.loader import load_corpus

    index = Index.load(fake_index)
    documents, _ = load_corpus(REPO / "corpus")
    assert {d.doc_id: d for d in documents} == dict(index.documents.items())
    assert len({c.chunk_id for c in index.chunks}) == len(index.chunks)
    for row, c in enumerate(index.chunks):
        assert index.documents[c.doc_id].text[c.start:c.end] == c.text
        rows = index.chunk_sentence_rows[row]
        assert [tuple(int(x) for x in index.sent_spans[r]) for r in rows] == list(c.sentences)
        assert {index.sent_doc[r] for r in rows} == {c.doc_id}


def test_generations_without_a_dense_entry_load_as_exact(fake_index):
    index = Index.load(fake_index)
    old = backends.load_dense(index.segments[0].dir, {k: v for k, v in index.manifest.items() if k != "dense"})
    assert old.kind == "flat" and old.ntotal == len(index.chunks)
