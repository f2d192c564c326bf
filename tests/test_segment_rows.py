"""Row mapping across segments and tombstones: random add/change/delete builds checked against a full
build of the same documents (live doc_ids, chunk and sentence text, retrieval, answers, listing), and
the sentence rows at a segment boundary where a changed article's old version ends one segment and its
new version starts the next."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qa import Assistant, incremental, store
from qa.answer import Extractor
from qa.build import build_from_documents
from qa.index import Index
from qa.integrity import check_index
from qa.types import Document

TOWNS = ["Tartu", "Narva", "Parnu", "Viljandi", "Rakvere", "Haapsalu", "Kuressaare", "Valga", "Elva", "Paide"]
TOPICS = ["bridge", "harbour", "school", "hospital", "railway", "library", "stadium", "market"]
SHARED = "The regional council approved the budget of 4 million euros on Tuesday."


def _doc(i: int, version: int) -> Document:
    town, topic = TOWNS[i], TOPICS[(i + version) % len(TOPICS)]
    lead = "Short update. " * (version % 3)  # shifts every offset of a changed article
    body = " ".join(
        f"In {town} the {topic} works reached stage {j} of version {version} and cost {i + j} million."
        for j in range(3 + (i + version) % 4)
    )
    text = f"{lead}{body} {SHARED if (i + version) % 2 else ''}".strip()
    sha = hashlib.sha256(text.encode()).hexdigest()
    return Document(f"art{i}", f"{town} {topic}", f"2024-0{1 + i % 9}-1{version % 10}", f"art{i}.txt", text, sha)


def _live_rows(ix: Index):
    """(doc_id, chunk row) of every live chunk, from the filter table (qa.backends.rows)."""
    rows = ix.doc_rows
    return [
        (str(d), r) for d, s, e in zip(rows.doc_ids, rows.starts, rows.ends, strict=True) for r in range(int(s), int(e))
    ]


def _chunk_spans(ix: Index) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = {}
    for doc_id, r in _live_rows(ix):
        out.setdefault(doc_id, []).append((ix.chunks[r].start, ix.chunks[r].end))
    return out


def _check_rows(ix: Index, docs: dict[str, Document]) -> None:
    assert set(ix.documents) == set(docs) and len(ix.documents) == len(docs)
    assert all(ix.documents[d].text == docs[d].text for d in docs)
    ids = sorted(docs)
    for query in ("", "art"):  # every page, read from either end, without and with a search
        for offset in range(len(ids) + 1):
            total, page = ix.articles(query, offset, 3)
            assert total == len(ids) and [a["doc_id"] for a in page] == ids[offset : offset + 3]
    live = _live_rows(ix)
    assert {d for d, _ in live} == set(docs)
    for doc_id, r in live:
        chunk = ix.chunks[r]
        assert chunk.doc_id == doc_id and chunk.text == docs[doc_id].text[chunk.start : chunk.end]
        for s in ix.chunk_sentence_rows[r]:
            assert ix.sent_doc[s] == doc_id
            start, end = (int(x) for x in ix.sent_spans[s])
            assert ix.sentence_text(s) == docs[doc_id].text[start:end]
    live_rows = np.asarray(sorted(r for _, r in live), dtype=np.int64)
    q = np.asarray(ix.chunk_vectors[int(live_rows[0])])
    dense_rows, _ = ix.dense.search(q, len(ix.chunks))
    assert set(dense_rows.tolist()) == set(live_rows.tolist())  # every live row, no deleted one
    lex_rows, _ = ix.bm25.top_k("million works stage council", len(ix.chunks))
    assert set(lex_rows.tolist()) <= set(live_rows.tolist())


def _check_served(assistant: Assistant, docs: dict[str, Document], gone: set[str]) -> None:
    questions = [f"What did the {d.title.split()[1]} works in {d.title.split()[0]} cost?" for d in docs.values()]
    questions += [f"What happened in {TOWNS[int(g[3:])]}?" for g in sorted(gone)]
    for question in questions:
        for p in assistant.retrieve(question, k=5):
            assert p.doc_id in docs and docs[p.doc_id].text[p.start : p.end] == p.text
            assert all(a["doc_id"] in docs for a in p.also_in)
        answer = assistant.ask(question)
        for c in answer.citations:
            assert c.doc_id in docs and docs[c.doc_id].text[c.start : c.end] == c.quote
    for g in gone:
        assert assistant.retrieve("works cost million", k=5, filters={"doc_ids": [g]}) == []


OPS = st.lists(st.tuples(st.sampled_from(["add", "change", "delete"]), st.integers(0, len(TOWNS) - 1)), max_size=3)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(OPS, min_size=1, max_size=6))
# three segments, then a merge in the same build as a delete and a change, then a rotted base rewritten;
# one article changed twice, deleted, re-added; every article deleted but one
@example(steps=[[("add", 8)], [("add", 9)], [("change", 1), ("delete", 3)], [("delete", 9), ("change", 2)]])
@example(steps=[[("change", 7)], [("change", 7)], [("delete", 7)], [("add", 7)]])
@example(steps=[[("delete", i) for i in range(3)], [("delete", i) for i in range(3, 6)], [("delete", 6)]])
def test_random_incremental_builds_match_a_full_build(tmp_path_factory, steps):
    root = tmp_path_factory.mktemp("prop")
    versions = dict.fromkeys(range(8), 0)  # ids 8 and 9 are left to add
    gone: set[str] = set()
    docs = lambda: {f"art{i}": _doc(i, v) for i, v in versions.items()}  # noqa: E731
    # a low merge threshold so that a few builds already merge segments (and delete in the same build)
    with mock.patch.object(incremental, "MAX_SEGMENTS", 3), mock.patch.object(incremental, "MERGE_WIDTH", 2):
        build_from_documents(list(docs().values()), root / "inc", "fake")
        for n, ops in enumerate(steps):
            for op, i in ops:
                if op == "delete" and len(versions) > 1:
                    versions.pop(i, None)
                    gone.add(f"art{i}")
                elif op == "change" and i in versions or op == "add":
                    versions[i] = versions.get(i, -1) + 1
                    gone.discard(f"art{i}")
            want = docs()
            build_from_documents(sorted(want.values(), key=lambda d: d.doc_id), root / "inc", "fake")
            build_from_documents(list(want.values()), root / f"full{n}", "fake", full=True)
            inc, full = Index.load(root / "inc"), Index.load(root / f"full{n}")
            _check_rows(inc, want)
            assert _chunk_spans(inc) == _chunk_spans(full)
            _check_served(Assistant.load(root / "inc", model="fake"), want, gone)


def test_sentence_rows_at_a_segment_boundary_keep_their_own_document(tmp_path):
    """The old version of the last article of a segment and the new version starting the next one share
    a doc_id in adjacent sentence rows: neither text nor the answerer's sentence window may mix them."""
    docs = [_doc(i, 0) for i in range(8)]
    build_from_documents(docs, tmp_path, "fake")
    docs[-1] = _doc(7, 1)
    build_from_documents(docs, tmp_path, "fake")
    ix = Index.load(tmp_path)
    assert [len(s.deleted) for s in ix.segments] == [1, 0]  # the boundary this test is about
    first = int(ix.layout.sent_off[1])  # the new version's first sentence; first - 1 ends the old one
    old = _doc(7, 0).text
    s, e = (int(x) for x in ix.sent_spans[first - 1])
    assert ix.sentence_text(first - 1) == old[s:e]
    new = docs[-1].text
    window = Extractor(ix)._window(first)
    assert window == " ".join(new[int(a) : int(b)] for a, b in ix.sent_spans[first : first + 2])
    assert ix.sent_doc[first - 1] == ix.sent_doc[first] and not ix.same_document(first - 1, first)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(OPS, min_size=1, max_size=8))
def test_random_incremental_builds_match_a_full_build_long(tmp_path_factory, steps):
    test_random_incremental_builds_match_a_full_build.hypothesis.inner_test(tmp_path_factory, steps)


def test_generation_names_sort_in_the_order_they_were_made(tmp_path):
    """Pruning keeps the newest generations by name: builds within one second must still sort in order."""
    names = [store.new_generation_dir(tmp_path)[0] for _ in range(20)]
    assert names == sorted(names)


def test_pruning_keeps_the_live_generation_and_its_predecessor(tmp_path):
    made = []
    for v in range(4):  # quick builds: usually within one second
        build_from_documents([_doc(0, v), _doc(1, 0)], tmp_path, "fake")
        made.append(store.current_generation(tmp_path).name)
    assert sorted(p.name for p in (tmp_path / "generations").iterdir()) == sorted(made[-2:])


def test_an_old_generation_serves_from_threads_while_builds_prune_it(tmp_path):
    """Questions answered from worker threads on a loaded generation while incremental builds replace
    and prune it: its open files (SQLite, vectors, backends) keep serving its own rows."""
    docs = {f"art{i}": _doc(i, 0) for i in range(8)}
    build_from_documents(list(docs.values()), tmp_path, "fake")
    assistant = Assistant.load(tmp_path, model="fake")
    old = assistant.index
    with ThreadPoolExecutor(4) as pool:
        jobs = [pool.submit(_check_served, assistant, docs, set()) for _ in range(4)]
        jobs += [pool.submit(_check_rows, old, docs) for _ in range(2)]
        for v in range(1, 4):  # changes and a delete: the loaded generation is pruned by the third
            later = [_doc(i, v if i < 3 else 0) for i in range(8) if i != v + 3]
            build_from_documents(later, tmp_path, "fake")
        for job in jobs:
            job.result()
    assert not old.path.exists()  # pruned, yet it served every check above
    _check_rows(old, docs)
    _check_served(assistant, docs, set())


class _Killed(BaseException):
    """Stands in for a kill: no handler of the build catches it."""


def test_a_merge_that_dies_midway_leaves_the_previous_generation_serving(tmp_path):
    docs = {f"art{i}": _doc(i, 0) for i in range(8)}
    with mock.patch.object(incremental, "MAX_SEGMENTS", 3), mock.patch.object(incremental, "MERGE_WIDTH", 2):
        build_from_documents(list(docs.values()), tmp_path, "fake")
        for i in (8, 9):  # two more one-article segments: the next build merges them
            docs[f"art{i}"] = _doc(i, 0)
            build_from_documents(list(docs.values()), tmp_path, "fake")
        live = store.current_generation(tmp_path)
        edited = dict(docs, art1=_doc(1, 1))
        del edited["art3"]
        with mock.patch("qa.segment_write.backends.build_lexical", side_effect=_Killed), pytest.raises(_Killed):
            build_from_documents(list(edited.values()), tmp_path, "fake")
        assert store.current_generation(tmp_path) == live and check_index(tmp_path) == []
        assert not list((tmp_path / "generations").glob(".tmp-*"))
        _check_rows(Index.load(tmp_path), docs)  # the kept segments' files were only linked, never written
        build_from_documents(list(edited.values()), tmp_path, "fake")
    ix = Index.load(tmp_path)
    assert len(ix.segments) == 2  # the base with a tombstone, and the merge of art8, art9 and the new art1
    _check_rows(ix, edited)
