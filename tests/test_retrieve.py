"""Hybrid retrieval: fusion arithmetic, filters, and grouping of syndicated near-copies."""
from __future__ import annotations

import numpy as np
import pytest

from qa import Assistant, retrieve
from qa.build import build_index

from .conftest import copy_corpus


def test_rrf_rewards_agreement_between_rankers():
    fused = retrieve.fuse([1, 2, 3], [0.9, 0.8, 0.7], [3, 1, 4], [5.0, 4.0, 1.0], "rrf")
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[3] == pytest.approx(1 / 63 + 1 / 61)
    assert fused[4] == pytest.approx(1 / 63) and fused[2] == pytest.approx(1 / 62)
    assert sorted(fused, key=fused.get, reverse=True)[:2] == [1, 3]


def test_weighted_fusion_normalises_each_ranking():
    fused = retrieve.fuse([1, 2], [0.9, 0.5], [2, 1], [10.0, 0.0], "weighted")
    assert fused[1] == pytest.approx(retrieve.DENSE_WEIGHT * 1.0)
    assert fused[2] == pytest.approx(1 - retrieve.DENSE_WEIGHT)


def test_filters_by_document_and_date(fake_assistant):
    only = "004_2c1e1c5ba1f36e4e.txt"
    passages = fake_assistant.retrieve("air defence drones", k=5, filters={"doc_ids": [only]})
    assert passages and {p.doc_id for p in passages} == {only}
    dated = fake_assistant.retrieve("air defence", k=10, filters={"date_from": "2024-08-01"})
    assert dated and all(p.date and p.date >= "2024-08-01" for p in dated)
    assert fake_assistant.retrieve("air defence", k=5, filters={"date_to": "1999-01-01"}) == []


def test_passages_are_verbatim_and_ranked(fake_assistant):
    passages = fake_assistant.retrieve("Baltic independence 1991", k=5)
    assert [p.rank for p in passages] == list(range(1, len(passages) + 1))
    for p in passages:
        assert fake_assistant.document(p.doc_id).text[p.start:p.end] == p.text


def test_syndicated_copy_is_grouped_with_all_sources(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    original = (corpus / "001_4a8362189b09e3f7.txt").read_text()
    # a syndicated copy: same story, another outlet's furniture, a couple of words changed
    copy = "Reprinted from Press Association\n\n" + original.replace("Mr Zelensky", "President Zelensky", 2)
    (corpus / "zz_syndicated.txt").write_text(copy)
    build_index(corpus, tmp_path / "idx", "fake")
    assistant = Assistant.load(tmp_path / "idx", model="fake")
    passages = assistant.retrieve("warehouses are empty stockpiles low", k=5)
    docs = [p.doc_id for p in passages]
    top = passages[0]
    assert {top.doc_id, *(a["doc_id"] for a in top.also_in)} >= {"001_4a8362189b09e3f7.txt", "zz_syndicated.txt"}
    assert "zz_syndicated.txt" not in docs[1:]  # folded into the original, not shown twice


def test_allowed_rows_is_none_without_filters(fake_assistant):
    index = fake_assistant.index
    assert retrieve.allowed_rows(index, None) is None
    assert retrieve.allowed_rows(index, {"doc_ids": []}) is None
    rows = retrieve.allowed_rows(index, {"doc_ids": ["nope"]})
    assert isinstance(rows, np.ndarray) and not len(rows)


def test_allowed_rows_match_a_per_chunk_check(fake_assistant):
    index = fake_assistant.index
    some = sorted(index.documents)[1:3]
    for filters in ({"doc_ids": some}, {"date_from": "2024-08-01"}, {"date_to": "2024-08-10"},
                    {"doc_ids": some, "date_from": "2024-08-01", "date_to": "2024-12-31"}):
        lo, hi, ids = filters.get("date_from"), filters.get("date_to"), filters.get("doc_ids")

        def keep(chunk):
            doc = index.documents[chunk.doc_id]
            if ids and doc.doc_id not in ids:
                return False
            if (lo or hi) and not doc.date:
                return False
            return not ((lo and doc.date < lo) or (hi and doc.date > hi))

        expected = [row for row, c in enumerate(index.chunks) if keep(c)]
        assert retrieve.allowed_rows(index, filters).tolist() == expected, filters


def _reference_search(index, qvec, question, pool=retrieve.POOL):
    """The retrieval before the backends (full BM25 scores, full argsort, FAISS flat): results must not move."""
    from qa.lexical import tokenize

    retriever = index.bm25.retriever
    # the same query text (with countries' other forms, retrieve.lexical_query), scored over every chunk
    tokens = [t for t in tokenize(retrieve.lexical_query(question)) if t in retriever.vocab_dict]
    lex = (np.asarray(retriever.get_scores(tokens), dtype=np.float32) if tokens
           else np.zeros(len(index.chunks), dtype=np.float32))
    l_rows = np.argsort(-lex, kind="stable")[:pool]
    l_rows = l_rows[lex[l_rows] > 0]
    scores, rows = index.dense.index.search(qvec.reshape(1, -1).astype(np.float32), min(pool, len(index.chunks)))
    fused = retrieve.fuse(rows[0], scores[0], l_rows, lex[l_rows])
    dense_all = index.chunk_vectors[list(fused)] @ qvec
    hits = [(row, score, float(d), float(lex[row])) for (row, score), d in zip(fused.items(), dense_all)]
    return sorted(hits, key=lambda h: (-h[1], h[0]))


def test_retrieval_unchanged_on_the_default_corpus(fake_assistant):
    from qa.eval_data import load_eval_set

    from .conftest import REPO

    index = fake_assistant.index
    assert index.dense.kind == "flat"
    for q in load_eval_set(REPO / "tests" / "data" / "news_questions.jsonl").questions:
        qvec = fake_assistant.encode_question(q.question)
        got = [(h.row, h.score, h.dense, h.lexical) for h in retrieve.search(index, qvec, q.question)]
        assert got == _reference_search(index, qvec, q.question), q.question
