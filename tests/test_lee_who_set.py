"""The who-question dev set (tests/data/lee_who_dev.jsonl), written on the Lee background articles.

Fast tests check the file's shape (ids, type, the articles it may name, the share of unanswerable
questions); the test marked `slow` reads the real Lee texts from the gensim 4.4.0 wheel and checks that
every answer is verbatim in every source, skipping with the reason when the wheel cannot be had. It does
not run the answerer: the baseline figures are in docs/lee-eval.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import assert_answers_verbatim, assert_background_set

FILE = Path(__file__).resolve().parent / "data" / "lee_who_dev.jsonl"
ROWS = [json.loads(line) for line in FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_ids_unique_and_every_row_a_who_question():
    assert len(ROWS) >= 40
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    assert len({r["question"] for r in ROWS}) == len(ROWS)
    for r in ROWS:
        assert r["type"] == "who" and r["corpus"] == "lee", r["id"]
        assert r["question"].split()[0].lower() in {"who", "whose", "whom"}, r["id"]


def test_about_and_sources_are_background_articles_and_a_quarter_unanswerable():
    assert_background_set(ROWS, min_articles=25)


@pytest.mark.slow
def test_every_answer_is_verbatim_in_every_source_raw_and_cleaned(lee):
    assert_answers_verbatim(ROWS, *lee)
