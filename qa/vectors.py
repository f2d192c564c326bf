"""Chunk and sentence vectors for a build: reuse what the previous generation has, encode the rest.

Three ways to make the vectors (the QA_SENTENCE_VECTORS setting, or
build_from_documents(sentence_vectors=...); recorded in the manifest):
  * "late-pooled": one encoder pass per chunk gives the chunk vector and, by pooling the chunk's
    contextual token embeddings over each sentence's characters (qa.pooling), every sentence's vector.
    A sentence in two overlapping chunks gets the normalised mean of its two pooled vectors, so it
    sees context on both sides and does not depend on which chunk came first.
  * "standalone" (default): every sentence encoded on its own, as a second pass (~4.5 texts per chunk
    instead of 1, but short ones: ~1.5-1.8x the time of the chunks alone). A text repeated within a
    build (syndicated copies) is encoded once.
  * "sentence-mean": sentences encoded on their own and each chunk's vector the normalised mean of its
    sentences' vectors: every token is encoded once, in short sequences (about half the encoder time
    of "standalone"), at some cost in retrieval on SQuAD (recall@1 80.5% -> 77.1%, answer hit 75.8% ->
    73.4%); news and the Lee dev split held (docs/benchmarks.md).
The encoder is loaded only when something must be encoded (`LazyEncoder`), so a build that reuses
everything never loads a model. It does not chunk, write or search.
"""

from __future__ import annotations

import hashlib

import numpy as np

from . import pooling
from .embedder import Embedder, ModelIdentity
from .progress import Progress, Stage

# standalone by default: late-pooled sentence vectors built as fast as the chunks alone but cost answer
# quality (SQuAD subset: answer hit 76.5% -> 74.1%, right source 85.7% -> 81.9%, abstention precision
# 77.3% -> 72.6%; news: one answerable question lost), see the encoder report
SENTENCE_VECTORS = "standalone"  # or "late-pooled"
EMBED_BATCH = 64


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


class LazyEncoder:
    """A model identity (qa.model_info.ModelInfo or an Embedder) that loads the encoder on first use."""

    def __init__(self, model: ModelIdentity):
        self.model = model
        # an identity read from the model's files (qa.model_info) has no encoder yet; an Embedder has one
        self._loaded: Embedder | None = model if isinstance(model, Embedder) else None

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def get(self) -> Embedder:
        if self._loaded is None:
            from .embedder import load_embedder

            self._loaded = load_embedder(self.model.spec)
        return self._loaded


def _from_known(texts: list[str], known: dict, dim: int) -> tuple[np.ndarray, list[int]]:
    out = np.zeros((len(texts), dim), dtype=np.float32)
    todo = []
    for i, t in enumerate(texts):
        vec = known.get(text_key(t))
        if vec is not None:
            out[i] = vec
        else:
            todo.append(i)
    return out, todo


def encode_texts(
    texts: list[str], encoder: LazyEncoder, known: dict, dim: int, progress: Progress | None, what: str
) -> tuple[np.ndarray, int]:
    """Vectors for `texts`, encoding (standalone) only those `known` lacks; also the number encoded."""
    out, missing = _from_known(texts, known, dim)
    # a text repeated in this build (syndicated copies, boilerplate lines) is encoded once
    copies: dict[str, list[int]] = {}
    for i in missing:
        copies.setdefault(texts[i], []).append(i)
    # batches of similar length waste no compute on padding (one encode call per batch for progress
    # would otherwise defeat sentence-transformers' own length sorting: measured 2.7x slower)
    todo = sorted(copies, key=len)
    with Stage(f"Embedding {what}", len(todo), progress, unit=what) as stage:
        for lo in range(0, len(todo), EMBED_BATCH):
            batch = todo[lo : lo + EMBED_BATCH]
            for text, vec in zip(batch, encoder.get().encode(batch, batch_size=EMBED_BATCH), strict=True):
                out[copies[text]] = vec
            stage.advance(len(batch))
    return out, len(missing)


def late_pooled(
    chunks, sentences, doc_texts: dict, encoder: LazyEncoder, known: dict, dim: int, progress: Progress | None
) -> tuple[np.ndarray, np.ndarray, int]:
    """(chunk vectors, sentence vectors, texts given new vectors) with one encoder pass per chunk that
    lacks a vector or holds a sentence that lacks one."""
    chunk_vecs, chunk_todo = _from_known([c.text for c in chunks], known, dim)
    sent_vecs, sent_todo = _from_known([doc_texts[d][s:e] for d, s, e in sentences], known, dim)
    row_of = {sent: i for i, sent in enumerate(sentences)}
    missing = set(sent_todo)
    redo = set(chunk_todo) | {
        i for i, c in enumerate(chunks) if any(row_of[(c.doc_id, s, e)] in missing for s, e in c.sentences)
    }
    order = sorted(redo, key=lambda i: len(chunks[i].text))
    sums = np.zeros((len(sentences), dim), dtype=np.float32)
    with Stage("Embedding chunks and their sentences", len(order), progress, unit="chunks") as stage:
        for lo in range(0, len(order), EMBED_BATCH):
            rows = order[lo : lo + EMBED_BATCH]
            chunk_vecs[rows] = _pool_batch([chunks[i] for i in rows], encoder, row_of, missing, sums)
            stage.advance(len(rows))
    if missing:
        rows = sorted(missing)
        sent_vecs[rows] = pooling.normalize(sums[rows])
    return chunk_vecs, sent_vecs, len(chunk_todo) + len(missing)


def _pool_batch(batch, encoder: LazyEncoder, row_of: dict, missing: set, sums: np.ndarray) -> np.ndarray:
    """One encoder pass over `batch` chunks: their vectors, and each missing sentence's pooled vector
    added into `sums` (a sentence in two overlapping chunks gets both)."""
    spans = [[(s - c.start, e - c.start) for s, e in c.sentences] for c in batch]
    text_vecs, span_vecs = encoder.get().encode_spans([c.text for c in batch], spans, batch_size=EMBED_BATCH)
    for c, vecs in zip(batch, span_vecs, strict=True):
        for (s, e), vec in zip(c.sentences, vecs, strict=True):
            row = row_of[(c.doc_id, s, e)]
            if row in missing:
                sums[row] += vec
    return text_vecs


def sentence_mean(
    chunks, sentences, doc_texts: dict, encoder: LazyEncoder, known: dict, dim: int, progress: Progress | None
) -> tuple[np.ndarray, np.ndarray, int]:
    """Sentences encoded on their own; each chunk's vector is the normalised mean of its sentences'
    vectors, so the encoder sees every token once (short sequences) instead of twice."""
    sent_vecs, n_sents = encode_texts(
        [doc_texts[d][s:e] for d, s, e in sentences], encoder, known, dim, progress, "sentences"
    )
    row_of = {sent: i for i, sent in enumerate(sentences)}
    chunk_vecs = np.zeros((len(chunks), dim), dtype=np.float32)
    for i, c in enumerate(chunks):
        chunk_vecs[i] = sent_vecs[[row_of[(c.doc_id, s, e)] for s, e in c.sentences]].mean(axis=0)
    return pooling.normalize(chunk_vecs), sent_vecs, n_sents


def make_vectors(
    chunks,
    sentences,
    doc_texts: dict,
    encoder: LazyEncoder,
    known: dict,
    dim: int,
    progress: Progress | None = None,
    method: str | None = None,
):
    """(chunk vectors, sentence vectors, texts given new vectors) by `method` (default SENTENCE_VECTORS)."""
    method = method or SENTENCE_VECTORS
    if method == "late-pooled":
        return late_pooled(chunks, sentences, doc_texts, encoder, known, dim, progress)
    if method == "sentence-mean":
        return sentence_mean(chunks, sentences, doc_texts, encoder, known, dim, progress)
    if method != "standalone":
        raise ValueError(f"unknown sentence-vector method {method!r}")
    chunk_vecs, n_chunks = encode_texts([c.text for c in chunks], encoder, known, dim, progress, "chunks")
    sent_vecs, n_sents = encode_texts(
        [doc_texts[d][s:e] for d, s, e in sentences], encoder, known, dim, progress, "sentences"
    )
    return chunk_vecs, sent_vecs, n_chunks + n_sents
