"""Sentence-aware chunking with exact document offsets.

Splits a document's clean text into sentences (pysbd, per paragraph, so a sentence never spans a
blank line), then packs whole sentences into chunks of at most `max_tokens` embedder tokens with a
sentence of overlap. Every chunk satisfies `doc.text[chunk.start:chunk.end] == chunk.text`; its
`sentences` are (start, end) document offsets. A sentence longer than the embedder's limit is cut
at word boundaries, so nothing is ever silently truncated by the encoder.
It does not embed anything and knows nothing about the index.
"""
from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Callable

import pysbd

from .types import Chunk, Document

DEFAULT_MAX_TOKENS = 160  # well under MiniLM's 254 so a chunk stays a focused passage
DEFAULT_OVERLAP = 1  # sentences repeated at the start of the next chunk
_PARAGRAPH = re.compile(r"\S(?:.*?\S)?(?=\s*\n\s*\n|\s*$)", re.S)
_WORD = re.compile(r"\S+")


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text)]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of sentences in `text`, whitespace-trimmed, in order, never overlapping."""
    spans: list[tuple[int, int]] = []
    for p_start, p_end in _paragraph_spans(text):
        para = text[p_start:p_end]
        cursor = 0
        for piece in _segmenter().segment(para):
            stripped = piece.strip()
            if not stripped:
                continue
            # pysbd returns the pieces in order; locate each from the cursor so offsets stay exact
            at = para.find(stripped, cursor)
            if at < 0:  # pysbd altered the text (rare): fall back to the rest of the paragraph
                spans.append((p_start + cursor, p_end))
                break
            spans.append((p_start + at, p_start + at + len(stripped)))
            cursor = at + len(stripped)
    return spans


def _cut_long(text: str, span: tuple[int, int], count: Callable[[str], int], limit: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence into word-boundary pieces that each fit `limit` tokens."""
    start, end = span
    if count(text[start:end]) <= limit:
        return [span]
    pieces, piece_start, last_end = [], None, start
    for m in _WORD.finditer(text, start, end):
        if piece_start is None:
            piece_start = m.start()
        elif count(text[piece_start:m.end()]) > limit:
            pieces.append((piece_start, last_end))
            piece_start = m.start()
        last_end = m.end()
    if piece_start is not None:
        pieces.append((piece_start, last_end))
    return pieces


def chunk_id_for(doc_id: str, start: int, end: int, text: str) -> str:
    digest = hashlib.sha1(f"{doc_id}\0{start}\0{end}\0{text}".encode()).hexdigest()[:16]
    return digest


def chunk_document(doc: Document, count_tokens: Callable[[str], int],
                   max_tokens: int = DEFAULT_MAX_TOKENS, overlap: int = DEFAULT_OVERLAP) -> list[Chunk]:
    """Pack a document's sentences into overlapping chunks of at most `max_tokens` tokens."""
    text = doc.text
    sentences: list[tuple[int, int]] = []
    for span in split_sentences(text):
        sentences.extend(_cut_long(text, span, count_tokens, max_tokens))
    sizes = [count_tokens(text[s:e]) for s, e in sentences]
    chunks: list[Chunk] = []
    i = 0
    while i < len(sentences):
        j, total = i, 0
        while j < len(sentences) and (j == i or total + sizes[j] <= max_tokens):
            total += sizes[j]
            j += 1
        start, end = sentences[i][0], sentences[j - 1][1]
        chunks.append(Chunk(chunk_id_for(doc.doc_id, start, end, text[start:end]), doc.doc_id,
                            start, end, text[start:end], tuple(sentences[i:j])))
        if j >= len(sentences):
            break
        i = max(j - overlap, i + 1)  # always make progress, even when one sentence fills a chunk
    return chunks
