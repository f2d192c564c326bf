"""The mixed dev set on the Lee background articles (tests/data/lee_bg_dev.jsonl).

Fast tests check the file's shape: unique ids, the question types and their spread, that `about` and
`sources` name only `lee_background.cor` articles, and the share of unanswerable questions. The test marked
`slow` reads the real Lee texts from the gensim 4.4.0 wheel and checks that every answer is verbatim in
every source, skipping with the reason when the wheel cannot be had. It does not run the answerer: the
baseline figures are in docs/lee-eval.md.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from .conftest import assert_answers_verbatim, assert_background_set

FILE = Path(__file__).resolve().parent / "data" / "lee_bg_dev.jsonl"
ROWS = [json.loads(line) for line in FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
# The types the set was written to: the same labels as lee_dev.jsonl, with no "other" questions.
TYPES = {"who", "what", "which", "where", "when", "how-many"}


def test_ids_unique_and_in_order():
    assert len(ROWS) >= 60
    assert [r["id"] for r in ROWS] == [f"bg{i:03d}" for i in range(1, len(ROWS) + 1)]
    assert len({r["question"] for r in ROWS}) == len(ROWS)


def test_types_are_the_listed_ones_and_every_one_is_asked():
    counts = Counter(r["type"] for r in ROWS)
    assert set(counts) == TYPES, counts
    # Both kinds (answerable and unanswerable) of every type, so abstention is tuned on all of them.
    for t in TYPES:
        kinds = {bool(r.get("unanswerable")) for r in ROWS if r["type"] == t}
        assert kinds == {True, False}, t


def test_about_and_sources_are_background_articles_and_a_quarter_unanswerable():
    assert_background_set(ROWS, min_articles=40)


@pytest.mark.slow
def test_every_answer_is_verbatim_in_every_source_raw_and_cleaned(lee):
    assert_answers_verbatim(ROWS, *lee)
