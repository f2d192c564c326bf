"""The form a question is searched in: references to the articles themselves are dropped (qa.questions)."""

from __future__ import annotations

import pytest

from qa.questions import search_form


@pytest.mark.parametrize(
    "question,searched",
    [
        ("Who is the president of Estonia quoted in the coverage?", "Who is the president of Estonia?"),
        ("According to the article, how many people died in Lima?", "How many people died in Lima?"),
        ("How many people died, according to the articles?", "How many people died?"),
        ("Who was named in the article as the killer?", "Who was named as the killer?"),  # the verb is asked
        ("Which city is mentioned in the story?", "Which city is mentioned?"),  # "Which city is?" asks nothing
        ("What did the report say about Iraq?", "What did the report say about Iraq?"),  # a report is news
        ("What does the article say?", "What does the article say?"),  # nothing left to search without it
        ("Which stories are in the news?", "Which stories are in the news?"),
    ],
)
def test_references_to_the_articles_are_not_searched(question, searched):
    assert search_form(question) == searched


def test_asking_according_to_the_article_gives_the_same_answer(fake_assistant):
    """ "according to the articles" named no passage: it pulled BM25 toward the rare chunk using the words."""
    plain = fake_assistant.ask("Which Russian exclave borders Lithuania?")
    meta = fake_assistant.ask("According to the articles, which Russian exclave borders Lithuania?")
    assert meta.question == plain.question
    assert meta.text == plain.text and meta.abstained == plain.abstained
