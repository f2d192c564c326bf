"""The held-out Lee question set (tests/data/lee_dev.jsonl, lee_test.jsonl) and qa.eval_corpora.

Fast tests check the files' structure, the dev/test split and the corpus plumbing on a tiny fake wheel;
tests marked `slow` read the real Lee texts from the gensim 4.4.0 wheel (downloaded once into the cache)
and skip with the reason when it cannot be had.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from qa.errors import QAError
from qa.eval_corpora import (
    EvalCorpusError,
    corpus_of_rows,
    find_gensim_wheel,
    lee_documents,
    read_lee_lines,
    split_by_article,
)
from qa.eval_data import load_eval_set, squad_index_dir

from .conftest import assert_answers_verbatim

DATA = Path(__file__).resolve().parent / "data"
FILES = {"dev": DATA / "lee_dev.jsonl", "test": DATA / "lee_test.jsonl"}
TYPES = {"who", "what", "when", "where", "how-many", "which", "other"}


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in FILES[name].read_text(encoding="utf-8").splitlines() if line.strip()]


ROWS = {name: _rows(name) for name in FILES}
ALL = ROWS["dev"] + ROWS["test"]


def _articles(rows) -> set[str]:
    return {r["about"] for r in rows} | {s for r in rows for s in r["sources"]}


# ---- the files (no texts needed) ----
def test_size_ids_and_share_of_unanswerable():
    assert len(ALL) >= 130
    assert len({r["id"] for r in ALL}) == len(ALL)
    assert len({r["question"] for r in ALL}) == len(ALL)
    assert sum(bool(r.get("unanswerable")) for r in ALL) / len(ALL) >= 0.25


def test_rows_are_well_formed():
    for r in ALL:
        assert r["corpus"] == "lee" and r["type"] in TYPES, r["id"]
        assert r["about"].startswith("lee.cor#"), r["id"]  # questions are written about lee.cor only
        if r.get("unanswerable"):
            assert r["sources"] == [] and r["answers"] == [], r["id"]
        else:
            assert r["answers"] and r["about"] in r["sources"], r["id"]
            assert all(s.startswith(("lee.cor#", "lee_background.cor#")) for s in r["sources"]), r["id"]


def test_every_type_is_asked_and_answerable_ones_cover_the_question_words():
    asked = {r["type"] for r in ALL if not r.get("unanswerable")}
    assert asked == TYPES


def test_dev_and_test_share_no_article_and_split_is_reproducible():
    assert not _articles(ROWS["dev"]) & _articles(ROWS["test"])
    dev, test = split_by_article(ALL)
    assert [r["id"] for r in dev] == [r["id"] for r in ROWS["dev"]]
    assert [r["id"] for r in test] == [r["id"] for r in ROWS["test"]]
    # the same split whatever the row order
    dev2, _ = split_by_article(list(reversed(ALL)))
    assert [r["id"] for r in dev2] == [r["id"] for r in dev]


def test_split_balances_halves_and_unanswerable():
    dev, test = ROWS["dev"], ROWS["test"]
    assert abs(len(dev) - len(test)) <= 0.1 * len(ALL)
    una = [sum(bool(r.get("unanswerable")) for r in half) for half in (dev, test)]
    assert abs(una[0] - una[1]) <= 0.15 * sum(una)


def test_corpus_of_rows():
    assert corpus_of_rows('{"question": "q"}\n{"question": "r"}') is None
    assert corpus_of_rows('{"question": "q", "corpus": "lee"}\n\n{"question": "r", "corpus": "lee"}') == "lee"
    with pytest.raises(QAError, match="different corpora"):
        corpus_of_rows('{"question": "q", "corpus": "lee"}\n{"question": "r"}')
    with pytest.raises(QAError, match="unknown corpus 'nope'"):
        corpus_of_rows('{"question": "q", "corpus": "nope"}')


# ---- corpus reading, on a fake wheel ----
def _fake_wheel(path: Path, lee: bytes, background: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("gensim/test/test_data/lee.cor", lee)
        zf.writestr("gensim/test/test_data/lee_background.cor", background)
    return path


def test_lee_documents_ids_latin1_and_cleaning(tmp_path):
    wheel = _fake_wheel(
        tmp_path / "g.whl", b"First story costs \xa33,000 today. \nSecond story here.\n", b"Background one is here."
    )
    docs = lee_documents(wheel)
    assert [d.doc_id for d in docs] == ["lee.cor#1", "lee.cor#2", "lee_background.cor#1"]
    assert docs[0].text == "First story costs \u00a33,000 today."  # Latin-1; trailing space cleaned off
    assert docs[0].title == docs[0].text and docs[0].path == "lee.cor"


def test_lee_documents_refuses_a_blank_line_and_a_bad_wheel(tmp_path):
    wheel = _fake_wheel(tmp_path / "g.whl", b"One.\n\nThree.\n", b"B.")
    with pytest.raises(EvalCorpusError, match=r"Lee corpus: lee.cor#2 not loaded"):
        lee_documents(wheel)
    bad = tmp_path / "bad.whl"
    bad.write_bytes(b"not a zip")
    with pytest.raises(EvalCorpusError, match="cannot read the Lee corpus"):
        read_lee_lines(bad)


def test_find_wheel_without_download_names_the_folder(tmp_path):
    with pytest.raises(EvalCorpusError, match="no gensim==4.4.0 wheel in"):
        find_gensim_wheel(tmp_path, download=False)
    (tmp_path / "eval-corpora").mkdir()
    wheel = _fake_wheel(tmp_path / "eval-corpora" / "gensim-4.4.0-py3-none-any.whl", b"a", b"b")
    assert find_gensim_wheel(tmp_path, download=False) == wheel


# ---- the real texts ----
@pytest.mark.slow
def test_real_corpus_has_350_articles(lee):
    lines, docs = lee
    assert len(lines["lee.cor"]) == 50 and len(lines["lee_background.cor"]) == 300
    assert len(docs) == 350


@pytest.mark.slow
def test_every_answer_is_verbatim_in_every_source_raw_and_cleaned(lee):
    assert_answers_verbatim(ALL, *lee)  # cleaning breaks none


@pytest.mark.slow
def test_lee_files_evaluate_against_one_shared_lee_index(lee):
    from qa.embedder import load_embedder

    dev, test = load_eval_set(FILES["dev"]), load_eval_set(FILES["test"])
    assert dev.extra == {"corpus": "lee"} and len(dev.documents) == 350
    assert dev.file_hash == test.file_hash  # the corpus hash, not the question file's
    fake = load_embedder("fake")
    assert squad_index_dir(dev, fake) == squad_index_dir(test, fake)
    assert squad_index_dir(dev, fake).name.startswith("lee-")


@pytest.mark.slow
def test_floors_on_the_lee_dev_split(lee):
    """Floors, not exact outputs, on the split the thresholds were chosen on: measured 94.3% answer hit,
    63.0% of unanswerable questions abstained, 100% of answerable ones answered, citations 100% verbatim
    (docs/lee-eval.md). A change that drops any of them by more than a few points fails."""
    from qa.evaluate import run_eval

    m = run_eval(FILES["dev"]).metrics
    assert m["answer_hit"] >= 0.90 and m["abstain_recall"] >= 0.60 and m["answered"] >= 0.95
    assert m["citation_validity"] == 1.0
