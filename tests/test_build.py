"""Index builds: manifest round-trip, model mismatch, incremental rebuilds, locking, crash safety."""
from __future__ import annotations

import json

import pytest

from qa import build, store
from qa.embedder import FakeEmbedder
from qa.errors import BuildLockedError, CorpusError, IndexCorruptError, IndexMismatchError, IndexWriteError
from qa.index import Index

from .conftest import copy_corpus


@pytest.fixture()
def corpus(tmp_path):
    return copy_corpus(tmp_path / "corpus")


def test_manifest_round_trip(fake_index):
    idx = Index.load(fake_index)
    m = idx.manifest
    assert m["format_version"] == store.FORMAT_VERSION
    assert m["model"]["name"] == "fake-hash-64" and m["model"]["dim"] == 64
    assert m["counts"]["documents"] == 5 == len(idx.documents)
    assert m["counts"]["chunks"] == len(idx.chunks) == idx.dense.ntotal
    assert set(m["documents"]) == set(idx.documents)
    assert all(len(h) == 64 for h in m["files"].values())
    assert {"numpy", "faiss-cpu", "bm25s"} <= set(m["versions"])
    for c in idx.chunks:
        assert idx.documents[c.doc_id].text[c.start:c.end] == c.text


def test_query_model_mismatch_names_both_models(fake_index):
    idx = Index.load(fake_index)
    with pytest.raises(IndexMismatchError) as err:
        idx.check_embedder(FakeEmbedder(32))
    assert "fake-hash-64" in str(err.value) and "fake-hash-32" in str(err.value)


def test_incremental_rebuild_embeds_only_what_changed(corpus, tmp_path):
    index_dir = tmp_path / "idx"
    first = build.build_index(corpus, index_dir, "fake")
    assert first.embedded > 0 and first.reused == 0
    again = build.build_index(corpus, index_dir, "fake")
    assert again.unchanged and again.embedded == 0 and again.generation == first.generation
    (corpus / "005_new.md").write_text("---\ntitle: Fresh\ndate: 2024-02-01\n---\nA brand new story about ports.\n")
    victim = sorted(corpus.glob("00[0-4]*.txt"))[0]
    victim.unlink()
    third = build.build_index(corpus, index_dir, "fake")
    assert third.removed == 1 and third.documents == 5
    assert 0 < third.embedded < first.embedded and third.reused > 0
    idx = Index.load(index_dir)
    assert "005_new.md" in idx.documents and victim.name not in idx.documents
    full = build.build_index(corpus, index_dir, "fake", full=True)
    assert full.reused == 0 and full.embedded > third.embedded


def test_interrupted_build_leaves_previous_index_serving(corpus, tmp_path, monkeypatch):
    index_dir = tmp_path / "idx"
    first = build.build_index(corpus, index_dir, "fake")
    (corpus / "extra.txt").write_text("Another article. It has two sentences.")

    def crash(*a, **k):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(build.backends, "build_lexical", crash)
    with pytest.raises(IndexWriteError, match="disk full .simulated.*previous index is still in use"):
        build.build_index(corpus, index_dir, "fake")
    assert not list((index_dir / "generations").glob(".tmp-*"))  # the partial generation is removed at once
    idx = Index.load(index_dir)
    assert idx.manifest["generation"] == first.generation and "extra.txt" not in idx.documents
    monkeypatch.undo()
    build.build_index(corpus, index_dir, "fake")  # the next build succeeds and cleans the debris
    assert not list((index_dir / "generations").glob(".tmp-*"))
    assert "extra.txt" in Index.load(index_dir).documents


def test_only_one_build_at_a_time(corpus, tmp_path):
    index_dir = tmp_path / "idx"
    lock = store.build_lock(index_dir)
    try:
        with pytest.raises(BuildLockedError):
            build.build_index(corpus, index_dir, "fake")
    finally:
        lock.release()


def test_tampered_file_is_refused(corpus, tmp_path):
    index_dir = tmp_path / "idx"
    build.build_index(corpus, index_dir, "fake")
    gen = store.current_generation(index_dir)
    segment = gen / store.read_manifest(gen)["segments"][0]["name"]
    with open(segment / "meta.sqlite", "ab") as fh:  # one more page: the size no longer matches
        fh.write(bytes(4096))
    with pytest.raises(IndexCorruptError, match="meta.sqlite"):
        Index.load(index_dir)


def test_old_format_is_a_clear_error(corpus, tmp_path):
    index_dir = tmp_path / "idx"
    build.build_index(corpus, index_dir, "fake")
    gen = store.current_generation(index_dir)
    manifest = json.loads((gen / "manifest.json").read_text())
    manifest["format_version"] = 0
    (gen / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="format"):
        Index.load(index_dir)


def test_empty_corpus_is_a_corpus_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError):
        build.build_index(tmp_path / "empty", tmp_path / "idx", "fake")
    assert not (tmp_path / "idx" / "CURRENT").exists()


def test_summary_lists_skipped_files(corpus, tmp_path):
    (corpus / "photo.png").write_bytes(b"\x89PNG\x00\x00")
    (corpus / "blank.txt").write_text("   \n")
    report = build.build_index(corpus, tmp_path / "idx", "fake")
    text = report.summary()
    assert "photo.png" in text and "blank.txt: empty" in text and "Indexed 5 documents" in text
