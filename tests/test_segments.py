"""Segments and tombstones: incremental builds add a segment, delete by tombstone, merge by policy, and
answer like a full build of the same corpus."""

from __future__ import annotations

import itertools
import shutil
import sys

import numpy as np
import pytest

from qa import Assistant, incremental, retrieve
from qa.build import build_index
from qa.eval_data import load_eval_set
from qa.index import Index
from qa.integrity import check_index

from .conftest import REPO, copy_corpus

EXTRA = (
    "Tallinn harbour reopened on Monday after storm repairs that cost 3 million euros, the mayor said. "
    "Ferries to Helsinki resumed the same day."
)


def _edit(corpus):
    """Add one article, change one, remove one."""
    files = sorted(p for p in corpus.iterdir() if p.is_file())
    (corpus / "zzz_harbour.txt").write_text(EXTRA)
    files[1].write_text(files[1].read_text() + "\n\nThe minister later added that talks would resume in May.\n")
    files[0].unlink()


def _corpus(path):
    """The default corpus plus 20 synthetic articles: an edit of two articles then deletes a small share
    of the first segment (a large share would rewrite it, see test_a_segment_mostly_deleted_is_rewritten)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from synthetic import generate

    corpus = copy_corpus(path)
    for p in generate(path.parent / "synthetic", 20, seed=4).iterdir():
        shutil.copy(p, corpus / f"syn_{p.name}")
    return corpus


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    """(incremental index, full index) of the same edited corpus."""
    root = tmp_path_factory.mktemp("segments")
    corpus = _corpus(root / "corpus")
    build_index(corpus, root / "inc", "fake")
    _edit(corpus)
    report = build_index(corpus, root / "inc", "fake")
    assert report.removed == 1 and report.reused > 0 and not report.unchanged
    build_index(corpus, root / "full", "fake", full=True)
    return root / "inc", root / "full"


def test_an_edit_writes_one_segment_and_tombstones(twin):
    inc, full = Index.load(twin[0]), Index.load(twin[1])
    assert len(inc.segments) == 2 and len(full.segments) == 1
    assert sorted(inc.documents) == sorted(full.documents) and len(inc.documents) == len(full.documents)
    assert len(inc.segments[0].deleted) == 2  # the removed article and the old version of the changed one
    assert {d: inc.documents[d] for d in inc.documents} == {d: full.documents[d] for d in full.documents}
    assert check_index(twin[0]) == []


def test_deleted_rows_are_never_found(twin):
    index = Index.load(twin[0])
    dead = index.segments[0].dead_chunk_rows()
    assert len(dead)
    for row in dead.tolist():
        rows, _ = index.dense.search(index.chunk_vectors[row], 10)
        assert row not in rows.tolist()
        rows, _ = index.bm25.top_k(index.chunks[row].text, 50)
        assert row not in rows.tolist()
    everything = index.doc_rows.allowed({"date_from": "1900-01-01"})
    assert everything is None or not set(dead.tolist()) & set(everything.tolist())


def test_global_idf_equals_a_full_build(twin):
    """IDF over the live rows of all segments (deleted rows left out) is what a full build of the same
    corpus computes, for the retriever's rescaling and the answerer's weights alike."""
    inc, full = Index.load(twin[0]), Index.load(twin[1])
    a, b = inc.bm25.idf(power=2), full.bm25.idf(power=2)
    tokens = {"harbour", "minist", "missil", "ukrain", "patriot", "ferri", "zelenski", "nauseda"}
    tokens |= {t for t in full.bm25.idf(power=1) if len(t) > 3}
    assert len(tokens) > 100
    for token in tokens:
        assert a.get(token, -1.0) == pytest.approx(b.get(token, -1.0), rel=1e-6), token
    assert a.unknown == pytest.approx(b.unknown)


def test_incremental_answers_like_a_full_build(twin):
    """Every labelled news question: the same top article and the same answer text."""
    inc, full = Assistant.load(twin[0], model="fake"), Assistant.load(twin[1], model="fake")
    questions = load_eval_set(REPO / "tests" / "data" / "news_questions.jsonl").questions
    same_top = same_answer = 0
    for q in questions:
        a, b = inc.ask(q.question), full.ask(q.question)
        same_top += (
            a.passages[:1]
            and b.passages[:1]
            and a.passages[0].doc_id == b.passages[0].doc_id
            or (not a.passages and not b.passages)
        )
        same_answer += a.text == b.text
    assert same_top == len(questions) and same_answer == len(questions), (same_top, same_answer, len(questions))


def test_kept_segments_are_hard_links_and_no_change_is_free(twin, tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    build_index(corpus, tmp_path / "idx", "fake")
    base = Index.load(tmp_path / "idx").segments[0]
    (corpus / "zzz_harbour.txt").write_text(EXTRA)
    build_index(corpus, tmp_path / "idx", "fake")
    kept = Index.load(tmp_path / "idx").segments[0]
    assert kept.name == base.name and kept.dir != base.dir
    assert (kept.dir / "meta.sqlite").stat().st_ino == (base.dir / "meta.sqlite").stat().st_ino
    assert build_index(corpus, tmp_path / "idx", "fake").unchanged


def test_merge_policy_bounds_the_segments(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    build_index(corpus, tmp_path / "idx", "fake")
    counts = []
    for i in range(incremental.MAX_SEGMENTS + 3):
        (corpus / f"zzz_{i:02d}.txt").write_text(f"Story number {i} about the harbour. " + EXTRA)
        build_index(corpus, tmp_path / "idx", "fake")
        counts.append(len(Index.load(tmp_path / "idx").segments))
    assert max(counts) <= incremental.MAX_SEGMENTS and any(b < a for a, b in itertools.pairwise(counts)), counts
    index = Index.load(tmp_path / "idx")
    assert len(index.documents) == 5 + incremental.MAX_SEGMENTS + 3 and check_index(tmp_path / "idx") == []


def test_a_segment_mostly_deleted_is_rewritten(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    build_index(corpus, tmp_path / "idx", "fake")
    (corpus / "zzz_harbour.txt").write_text(EXTRA)
    build_index(corpus, tmp_path / "idx", "fake")
    base = Index.load(tmp_path / "idx").segments[0].name
    for path in sorted(corpus.glob("00[0-2]*")):  # most of the base segment
        path.unlink()
    build_index(corpus, tmp_path / "idx", "fake")
    index = Index.load(tmp_path / "idx")
    assert base not in [s.name for s in index.segments] and len(index.segments) == 2
    assert not any(len(s.deleted) for s in index.segments) and len(index.documents) == 3
    assert retrieve.search(index, index.chunk_vectors[0], "harbour")  # still answers


def test_articles_page_and_search_across_segments(twin):
    index = Index.load(twin[0])
    every = sorted(index.documents)
    total, page = index.articles(limit=1000)
    assert total == len(every) and [a["doc_id"] for a in page] == every  # the deleted ones left out
    pages = [index.articles(offset=o, limit=4)[1] for o in range(0, len(every), 4)]
    assert [a["doc_id"] for p in pages for a in p] == every and all(len(p) <= 4 for p in pages)
    total, page = index.articles("HARBOUR")
    assert total == 1 and page[0]["doc_id"] == "zzz_harbour.txt" and page[0]["chunks"] >= 1
    title = index.documents[every[2]].title
    assert every[2] in [a["doc_id"] for a in index.articles(title[3:12].lower())[1]]
    assert index.articles("100%_") == (0, [])  # LIKE wildcards are matched literally


def test_row_file_reads_what_numpy_saved(tmp_path):
    from qa import rowfile

    x = np.random.default_rng(0).normal(size=(5000, 7)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    rows = rowfile.RowFile(tmp_path / "x.npy")
    assert rows.shape == x.shape and rows.dtype == x.dtype and len(rows) == 5000
    assert np.array_equal(rows[3], x[3]) and np.array_equal(rows[-1], x[-1])
    assert np.array_equal(rows[10:20], x[10:20]) and np.array_equal(rows[::1000], x[::1000])
    pick = np.array([4999, 0, 17, 17])
    assert np.array_equal(rows[pick], x[pick]) and np.array_equal(np.asarray(rows), x)
    many = np.arange(0, 5000, 1)[::-1]  # more than GATHER_MAX rows: the memory-mapped path
    assert len(many) > rowfile.GATHER_MAX and np.array_equal(rows[many], x[many])
    with pytest.raises(IndexError):
        rows[5000]
    (tmp_path / "short.npy").write_bytes((tmp_path / "x.npy").read_bytes()[:-4])
    with pytest.raises(ValueError, match="shorter or longer"):
        rowfile.RowFile(tmp_path / "short.npy")
