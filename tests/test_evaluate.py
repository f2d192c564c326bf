"""qa.evaluate / qa.eval_data: exact metric values, file parsing, and a tiny end-to-end run (fake embedder)."""
from __future__ import annotations

import hashlib
import json

import pytest

from qa.build import build_from_documents
from qa.embedder import load_embedder
from qa.eval_data import ensure_squad_index, load_eval_set, parse_jsonl, parse_squad
from qa.evaluate import (QResult, _unthresholded, abstention_curve, answer_in_text, exact_match, f1_score, main,
                         normalize_answer, percentile, precision_recall_f1, recall_at_k, reciprocal_rank,
                         run_eval, summarize)
from qa.types import Document

TEXTS = {
    "harbour.txt": "The new harbour bridge in Tallinn opened on 3 March 2021. It cost 40 million euros.\n\n"
                   "Mayor Anna Kask cut the ribbon in front of a crowd of two thousand people.",
    "farm.txt": "Wheat prices rose sharply in Poland this spring. Farmers blamed the long drought.\n\n"
                "The agriculture minister promised subsidies worth 12 million zloty.",
    "chess.txt": "The chess olympiad was held in Riga. Latvia won the team gold medal.\n\n"
                 "Grandmaster Peter Lind scored eight points from nine games.",
}


def _doc(doc_id: str, text: str) -> Document:
    return Document(doc_id, doc_id, None, doc_id, text, hashlib.sha256(text.encode()).hexdigest(), doc_id)


# ---- metrics ----
def test_normalize_answer_squad_rules():
    assert normalize_answer("The  Cat, sat!") == "cat sat"
    assert normalize_answer("An apple a day") == "apple day"
    assert normalize_answer("1,000") == "1000"
    assert normalize_answer("Theatre") == "theatre"  # articles only as whole words


def test_exact_match():
    assert exact_match("the Eiffel Tower.", ["Eiffel tower"]) == 1.0
    assert exact_match("Eiffel", ["Eiffel tower", "Eiffel"]) == 1.0  # max over gold answers
    assert exact_match("Paris", ["Eiffel tower"]) == 0.0
    assert exact_match(None, ["Eiffel"]) == 0.0
    assert exact_match("x", []) == 0.0


def test_f1_score():
    # pred tokens [cat, sat, on, mat] vs gold [cat, on, mat]: P = 3/4, R = 1 -> F1 = 6/7
    assert f1_score("the cat sat on the mat", ["cat on the mat"]) == pytest.approx(6 / 7)
    assert f1_score("a b", ["b c", "a b"]) == 1.0
    assert f1_score("cat cat", ["cat"]) == pytest.approx(2 * 0.5 * 1 / 1.5)  # repeated tokens count once each
    assert f1_score(None, ["cat"]) == 0.0
    assert f1_score("dog", ["cat"]) == 0.0
    assert f1_score("the", ["a"]) == 1.0  # both normalise to nothing (official SQuAD rule)


def test_answer_in_text():
    assert answer_in_text("It  opened on 3\nMarch 2021 [1]", ["3 march 2021"])
    assert not answer_in_text("It opened in March", ["3 March"])
    assert not answer_in_text("anything", [" ", ""])


def test_recall_at_k_and_reciprocal_rank_count_also_in():
    ranked = [["a"], ["b", "c"], ["d"]]  # rank 2 is passage b with a syndicated copy in c
    assert recall_at_k(ranked, ["c"], 1) == 0.0
    assert recall_at_k(ranked, ["c"], 2) == 1.0
    assert recall_at_k(ranked, ["x", "d"], 5) == 1.0
    assert recall_at_k(ranked, ["x"], 10) == 0.0
    assert reciprocal_rank(ranked, ["c"]) == 0.5
    assert reciprocal_rank(ranked, ["d", "a"]) == 1.0
    assert reciprocal_rank(ranked, ["x"]) == 0.0


def test_precision_recall_f1():
    assert precision_recall_f1([True, True, False, False], [True, False, True, False]) == (0.5, 0.5, 0.5)
    assert precision_recall_f1([True, True, True], [True, False, False]) == (pytest.approx(1 / 3), 1.0, 0.5)
    assert precision_recall_f1([False, False], [True, False]) == (None, 0.0, None)
    assert precision_recall_f1([True, False], [False, False]) == (0.0, None, None)
    assert precision_recall_f1([True, False], [False, True]) == (0.0, 0.0, 0.0)


def test_percentile_matches_linear_interpolation():
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert percentile([1, 2, 3, 4], 0) == 1 and percentile([1, 2, 3, 4], 100) == 4
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None


# ---- parsing ----
def test_parse_jsonl_marks_unanswerable():
    qs = parse_jsonl('{"id":"a","question":"Q1?","answers":["x"],"sources":["d.txt"]}\n\n'
                     '{"id":"b","question":"Q2?","answers":[],"sources":[],"unanswerable":true}\n')
    assert [(q.id, q.unanswerable, q.sources) for q in qs] == [("a", False, ("d.txt",)), ("b", True, ())]


def test_parse_squad_paragraph_documents():
    data = {"version": "v2.0", "data": [{"title": "Big_Town", "paragraphs": [
        {"context": "Alpha is here.", "qas": [
            {"id": "q1", "question": "What?", "is_impossible": False,
             "answers": [{"text": "Alpha", "answer_start": 0}, {"text": "Alpha", "answer_start": 0}]},
            {"id": "q2", "question": "Why?", "is_impossible": True, "answers": []}]},
        {"context": "Beta is there.", "qas": []}]}]}
    questions, docs = parse_squad(data)
    assert [d.doc_id for d in docs] == ["Big_Town#p0", "Big_Town#p1"] and docs[0].title == "Big Town"
    assert questions[0].answers == ("Alpha",) and questions[0].sources == ("Big_Town#p0",)
    assert questions[1].unanswerable and questions[1].sources == ()


def test_load_eval_set_detects_format_by_content(tmp_path):
    squad = tmp_path / "questions.txt"
    squad.write_text(json.dumps({"version": "v2.0", "data": [{"title": "T", "paragraphs": [
        {"context": "C.", "qas": [{"id": "1", "question": "Q?", "answers": [], "is_impossible": True}]}]}]}))
    jsonl = tmp_path / "q.json"
    jsonl.write_text('{"id":"a","question":"Q?","answers":["x"],"sources":[]}\n')
    assert load_eval_set(squad).kind == "squad" and load_eval_set(squad).documents
    assert load_eval_set(jsonl).kind == "jsonl" and load_eval_set(jsonl).documents is None


# ---- curve / summary on hand-made results ----
def _res(qid, unanswerable, conf, hit=False, sources=(), cited=(), no_answer=False, threshold=0.4):
    r = QResult(qid, "q", unanswerable, list(sources), [list(sources)] if sources else [["z"]], "text", None,
                conf, no_answer, hit, list(cited), len(cited), len(cited), 10.0)
    r.abstained = not r.answered_at(threshold)
    return r


def test_abstention_curve_reapplies_thresholds():
    results = [_res("a", False, 0.5, hit=True), _res("b", False, 0.3, hit=True), _res("c", False, 0.6),
               _res("u", True, 0.35), _res("v", True, 0.9, no_answer=True)]
    curve = {p["threshold"]: p for p in abstention_curve(results, (0.2, 0.4, 0.55))}
    assert curve[0.2]["answer_hit"] == pytest.approx(2 / 3) and curve[0.2]["abstain_recall"] == 0.5
    assert curve[0.4]["answer_hit"] == pytest.approx(1 / 3) and curve[0.4]["abstain_recall"] == 1.0
    assert curve[0.55]["answer_hit"] == 0.0 and curve[0.55]["answered"] == pytest.approx(1 / 3)


def test_summarize_right_source_and_abstention():
    from qa.eval_data import LabelledQuestion as LQ

    results = [_res("a", False, 0.5, hit=True, sources=["d1"], cited=["d1"]),
               _res("b", False, 0.5, sources=["d1"], cited=["d2"]),
               _res("c", False, 0.1, sources=["d1"], cited=["d1"]),  # abstained: not a right source
               _res("u", True, 0.1)]
    qs = [LQ(r.id, "q", ("x",) if not r.unanswerable else (), tuple(r.sources), r.unanswerable) for r in results]
    m = summarize(results, qs)
    assert m["right_source"] == pytest.approx(1 / 3) and m["answer_hit"] == pytest.approx(1 / 3)
    assert (m["abstain_precision"], m["abstain_recall"]) == (0.5, 1.0)
    assert m["recall@1"] == 1.0 and m["latency_p50_ms"] == 10.0 and m["citation_validity"] == 1.0


def test_figures_by_question_type_count_hits_and_abstentions():
    from qa.eval_report import by_type

    results = [_res("a", False, 0.5, hit=True), _res("b", False, 0.1, hit=True), _res("c", False, 0.5),
               _res("u", True, 0.1), _res("v", True, 0.9), _res("w", False, 0.5, hit=True)]
    for r, kind in zip(results, ("who", "who", "who", "who", "when", "")):
        r.type = kind
    assert by_type(results) == {  # "w" has no type label: not counted
        "when": {"answerable": 0, "hit": 0, "wrongly_abstained": 0, "unanswerable": 1, "abstained": 0},
        "who": {"answerable": 3, "hit": 1, "wrongly_abstained": 1, "unanswerable": 1, "abstained": 1},
    }


# ---- end to end with the fake embedder ----
@pytest.fixture()
def tiny_index(tmp_path):
    index_dir = tmp_path / "index"
    build_from_documents([_doc(k, v) for k, v in TEXTS.items()], index_dir, "fake")
    return index_dir


def test_run_eval_jsonl_end_to_end(tmp_path, tiny_index):
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(q) for q in [
        {"id": "1", "question": "Who cut the ribbon at the harbour bridge?", "answers": ["Anna Kask"],
         "sources": ["harbour.txt"], "type": "who"},
        {"id": "2", "question": "Where was the chess olympiad held?", "answers": ["Riga"], "sources": ["chess.txt"]},
        {"id": "3", "question": "What is the population of Mars colony?", "answers": [], "sources": [],
         "unanswerable": True}]))
    report = run_eval(path, index_dir=tiny_index, thresholds=(0.2, 0.5))
    m = report.metrics
    assert (m["questions"], m["answerable"], m["unanswerable"]) == (3, 2, 1)
    assert m["recall@10"] == 1.0 and m["citation_validity"] == 1.0
    assert report.config["curve_exact"] and [p["threshold"] for p in report.curve] == [0.2, 0.5]
    assert not any(r.no_answer for r in report.results)  # asked with the threshold removed
    assert all(r.abstained == (r.confidence < report.config["threshold"]) for r in report.results)
    assert "recall@5" in report.format() and json.dumps(report.to_dict())
    assert sum(row["answerable"] for row in m["by_type"].values()) == 1 and "by type" in report.format()


def test_squad_index_is_cached(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QA_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "squad.json"
    path.write_text(json.dumps({"version": "v2.0", "data": [{"title": "Chess", "paragraphs": [
        {"context": TEXTS["chess.txt"], "qas": [
            {"id": "s1", "question": "Where was the chess olympiad held?", "is_impossible": False,
             "answers": [{"text": "Riga", "answer_start": 30}]}]},
        {"context": TEXTS["farm.txt"], "qas": []}]}]}))
    assert main([str(path), "--model", "fake", "--json", "--limit", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["metrics"]["questions"] == 1 and out["results"][0]["sources"] == ["Chess#p0"]
    target, report = ensure_squad_index(load_eval_set(path), load_embedder("fake"))
    assert report.unchanged and target.parent == tmp_path / "cache" / "eval"


def test_unthresholded_restores_on_error(tiny_index):
    from qa import Assistant

    assistant = Assistant.load(tiny_index)
    live = assistant.abstain_below
    with pytest.raises(RuntimeError), _unthresholded(assistant) as exact:
        assert exact and assistant.abstain_below == float("-inf")
        raise RuntimeError
    assert assistant.abstain_below == live


def test_unthresholded_without_the_attribute_is_a_no_op():
    class Bare:
        pass

    with _unthresholded(Bare()) as exact:
        assert not exact


def test_news_questions_file_is_consistent_with_the_corpus():
    from pathlib import Path

    from qa.loader import load_corpus

    repo = Path(__file__).resolve().parent.parent
    docs = {d.doc_id: d for d in load_corpus(repo / "corpus")[0]}
    questions = load_eval_set(repo / "tests" / "data" / "news_questions.jsonl").questions
    assert sum(q.unanswerable for q in questions) >= 10 and sum(not q.unanswerable for q in questions) >= 30
    assert len({q.id for q in questions}) == len(questions)
    for q in questions:
        assert q.unanswerable == (not q.sources)
        for source in q.sources:
            assert answer_in_text(docs[source].text, q.answers), (q.id, source)
