"""Chunking: exact offsets (property-tested), token limits, overlap, and over-long sentences."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qa.chunking import chunk_document, split_sentences
from qa.embedder import FakeEmbedder
from qa.loader import load_corpus
from qa.types import Document

from .conftest import CORPUS

COUNT = FakeEmbedder().count_tokens


def doc(text: str) -> Document:
    return Document("d", "t", None, "d", text, "h")


def check_invariants(d: Document, chunks, max_tokens: int) -> None:
    assert chunks or not d.text.strip()
    for c in chunks:
        assert d.text[c.start:c.end] == c.text
        assert COUNT(c.text) <= max_tokens
        assert c.sentences[0][0] == c.start and c.sentences[-1][1] == c.end
        for s, e in c.sentences:
            assert c.start <= s < e <= c.end and d.text[s:e].strip() == d.text[s:e]


words = st.sampled_from(["Zelensky", "said", "the", "air", "defence", "500", "missiles.", "Mr.", "U.S.",
                         "“Warehouses", "are", "empty.”", "70%", "Nausėda", "\n\n", "\n", "  ", "e.g.", "?", "!"])


@settings(max_examples=200, deadline=None)
@given(st.lists(words, max_size=300), st.integers(min_value=8, max_value=120))
def test_chunk_offsets_are_exact_slices(parts, max_tokens):
    d = doc(" ".join(parts))
    check_invariants(d, chunk_document(d, COUNT, max_tokens=max_tokens), max_tokens)


def test_real_articles_chunk_exactly_and_cover_every_sentence():
    docs, _ = load_corpus(CORPUS)
    for d in docs:
        chunks = chunk_document(d, COUNT, max_tokens=80)
        check_invariants(d, chunks, 80)
        pieces = sorted({s for c in chunks for s in c.sentences})
        for s, e in split_sentences(d.text):  # every sentence is covered, cut into pieces if over-long
            inside = [p for p in pieces if s <= p[0] and p[1] <= e]
            assert inside and inside[0][0] == s and inside[-1][1] == e


def test_overlap_repeats_one_sentence_between_neighbours():
    text = " ".join(f"Sentence number {i} is here." for i in range(30))
    chunks = chunk_document(doc(text), COUNT, max_tokens=20, overlap=1)
    assert len(chunks) > 3
    for a, b in zip(chunks, chunks[1:]):
        assert a.sentences[-1] == b.sentences[0]


def test_overlong_sentence_is_cut_not_truncated():
    text = "word " * 500 + "end."
    chunks = chunk_document(doc(text.strip()), COUNT, max_tokens=50)
    assert all(COUNT(c.text) <= 50 for c in chunks)
    assert "".join(c.text.replace(" ", "") for c in chunks).count("word") >= 500


def test_sentences_do_not_cross_paragraphs():
    text = "First paragraph without a stop\n\nSecond one. Third one."
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["First paragraph without a stop", "Second one.", "Third one."]
