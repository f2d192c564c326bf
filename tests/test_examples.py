"""example_questions: drawn from the corpus's own text, deterministic, plain text, distinct."""
from __future__ import annotations

import re
from pathlib import Path

from qa.examples import example_questions
from qa.types import Document

REPO = Path(__file__).resolve().parent.parent


def doc(i: int, title: str, text: str) -> Document:
    return Document(f"d{i}", title, "2023-05-0%d" % (i + 1), f"d{i}.txt", text, f"h{i}")


CITY = [
    doc(0, "Council approves new tram line for Harbourville",
        "The city council approved a new tram line on Monday. Mayor Anna Lindqvist said the tram line will "
        "open in 2026. The tram line will connect the harbour with the university. Critics said the budget "
        "was too small.\n\nCouncillor Piet Mols said the harbour district needs the tram line."),
    doc(1, "Budget row over Harbourville tram line",
        "Anna Lindqvist told reporters in Harbourville that the tram line budget is final. The opposition "
        "warned that the tram line could be delayed. Engineers said construction starts in Harbourville "
        "next spring."),
    doc(2, "Harbourville university welcomes tram plans",
        "The university rector, Maria Okafor, said students would benefit from the tram line. She spoke at "
        "the opening of a new library in Harbourville."),
]


def test_questions_come_from_this_corpus():
    qs = example_questions(CITY)
    assert 1 <= len(qs) <= 4
    joined = " ".join(qs)
    assert "Anna Lindqvist" in joined and "tram line" in joined and "Harbourville" in joined
    assert "Zelensky" not in joined  # nothing leaks from the seed articles
    assert all(q.endswith("?") for q in qs)


def test_speaker_question_uses_the_topic_they_talk_about():
    assert "What did Anna Lindqvist say about tram line?" in example_questions(CITY, n=8)


def test_deterministic_distinct_and_bounded():
    a, b = example_questions(CITY, n=6), example_questions(list(CITY), n=6)
    assert a == b and len(set(q.lower() for q in a)) == len(a) and len(a) <= 6
    assert example_questions(CITY, n=0) == [] and example_questions([], n=4) == []


def test_plain_text_even_for_hostile_titles():
    hostile = [doc(0, "<script>alert(1)</script> Harbour ![x](http://198.51.100.7/a.png) news today",
                   "The <b>pier</b> opened. <img src=x onerror=alert(1)> Mayor Jan Berg said the pier cost "
                   "money. The pier cost was high."),
               doc(1, "Pier costs rise", "The pier cost rose again, said Jan Berg in Harbourville.")]
    for q in example_questions(hostile, n=10):
        assert not re.search(r"[<>\[\]()!*`]", q), q


def test_seed_corpus_examples_are_sensible():
    from qa.loader import load_corpus

    docs, _ = load_corpus(REPO / "corpus")
    qs = example_questions(docs)
    assert len(qs) == 4
    assert any(q.startswith("What did ") and "Zelensky" in q for q in qs)


def test_small_corpus_falls_back_to_titles():
    qs = example_questions([doc(0, "Storm closes northern ferry routes for two days", "Ferries stopped.")])
    assert qs == ["What is reported in “Storm closes northern ferry routes for two days”?"]
