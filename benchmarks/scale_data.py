"""Synthetic archives of any size for benchmarks/scale.py, written straight into an index generation.

No encoder runs: texts are drawn from a word list (the default corpus's words plus made-up ones) with
topic structure (each document has a topic whose words dominate, the rest follow a Zipf law), and a
text's vector is the normalised sum of fixed random word vectors (384-d). `WordSumEmbedder` maps any
text, questions included, into that same space, so the dense side is meaningful for questions made
from a chunk's words; it stands in for the real model (the real MiniLM does not live in this space).
Documents are contiguous chunk rows; each chunk is 4 sentences of 15 words, no overlap.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa import build, chunking, store, vectors  # noqa: E402
from qa.types import Chunk, Document  # noqa: E402

DIM = 384
VOCAB = 40_000
CHUNKS_PER_DOC = 5
SENTENCES_PER_CHUNK, WORDS_PER_SENTENCE = 4, 15
TOPIC_WORDS, TOPIC_SHARE = 300, 0.6
SPECTRUM_DECAY = 0.4
_WORD = re.compile(r"[a-z]+")


def vocabulary(seed: int = 0) -> list[str]:
    """The default corpus's words, then pronounceable made-up words, VOCAB in all, no duplicates."""
    words = sorted(
        {
            w
            for f in sorted((REPO / "corpus").glob("*.txt"))
            for w in _WORD.findall(f.read_text("utf-8").lower())
            if len(w) > 3
        }
    )
    rng, seen = np.random.default_rng(seed), set(words)
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
    while len(words) < VOCAB:
        draws = rng.integers(0, len(syllables), size=(VOCAB, 4)).tolist()
        for row, n in zip(draws, rng.integers(2, 5, VOCAB).tolist(), strict=True):
            w = "".join(syllables[i] for i in row[:n])
            if w not in seen:
                seen.add(w)
                words.append(w)
    return words[:VOCAB]


class WordSumEmbedder:
    """Text -> normalised sum of its words' fixed random vectors (unknown words ignored)."""

    max_tokens = 254
    encoder = "synthetic"  # no runtime: qa.embedder.Embedder's protocol asks every embedder to name one

    def __init__(self, words: list[str], seed: int = 0):
        self.words = words
        self.ids = {w: i for i, w in enumerate(words)}
        rng = np.random.default_rng(seed + 1)
        # variance falling as a power law over the dimensions, as in real sentence embeddings (MiniLM
        # vectors of the eval sets: 24% of the variance in 10 components, 55% in 50; iid vectors: 9%, 32%)
        scale = (np.arange(DIM) + 1.0) ** -SPECTRUM_DECAY
        self.table = (rng.normal(size=(len(words), DIM)) * scale).astype(np.float32)
        self.table /= np.linalg.norm(self.table, axis=1, keepdims=True)
        self.dim, self.name, self.spec = DIM, f"wordsum-{len(words)}-{seed}", "synthetic"
        self.fingerprint = hashlib.sha256(self.name.encode()).hexdigest()

    def encode(self, texts, batch_size=64, show_progress=False) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            ids = [self.ids[w] for w in _WORD.findall(text.lower()) if w in self.ids]
            out[i] = self.table[ids].sum(axis=0) if ids else 0
        return _normalise(out)

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def encode_spans(self, texts, spans_per_text, batch_size=64):
        raise NotImplementedError("the synthetic embedder gives standalone sentence vectors only")

    def encode_ids(self, ids: np.ndarray) -> np.ndarray:
        """Vectors of many equal-length word-id rows at once (the bulk path of the generator)."""
        out = np.zeros((len(ids), DIM), dtype=np.float32)
        for lo in range(0, len(ids), 1024):
            out[lo : lo + 1024] = self.table[ids[lo : lo + 1024]].sum(axis=1)
        return _normalise(out)


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1)


def word_ids(n_chunks: int, seed: int = 0) -> np.ndarray:
    """(n_chunks, sentences, words) word ids: each document's topic words, then Zipf-distributed ones."""
    rng = np.random.default_rng(seed + 2)
    n_docs = -(-n_chunks // CHUNKS_PER_DOC)
    zipf = 1.0 / (np.arange(VOCAB) + 20.0)
    zipf /= zipf.sum()
    topics = rng.choice(VOCAB, size=(max(50, n_docs // 20), TOPIC_WORDS), p=zipf)
    doc_topic = rng.integers(0, len(topics), n_docs)
    shape = (n_chunks, SENTENCES_PER_CHUNK, WORDS_PER_SENTENCE)
    ids = rng.choice(VOCAB, size=shape, p=zipf).astype(np.int32)
    local = rng.random(shape) < TOPIC_SHARE
    pick = rng.integers(0, TOPIC_WORDS, shape)
    chunk_topic = doc_topic[np.arange(n_chunks) // CHUNKS_PER_DOC]
    ids[local] = topics[
        chunk_topic[:, None, None].repeat(SENTENCES_PER_CHUNK, 1).repeat(WORDS_PER_SENTENCE, 2)[local], pick[local]
    ]
    return ids


def sentence_text(words: list[str], ids) -> str:
    text = " ".join(words[i] for i in ids)
    return text[0].upper() + text[1:] + "."


def make_document(
    words: list[str], ids: np.ndarray, doc_no: int, date: str, tag: str = "syn"
) -> tuple[Document, list[Chunk], list[tuple[str, int, int]]]:
    """One document from its chunks' word ids (chunks, sentences, words): text, chunks, sentence spans."""
    doc_id = f"{tag}_{doc_no:07d}.txt"
    parts, chunks, sentences, pos = [], [], [], 0
    for c, chunk_ids in enumerate(ids):
        spans, start = [], pos
        for s_ids in chunk_ids:
            text = sentence_text(words, s_ids)
            spans.append((pos, pos + len(text)))
            parts.append(text)
            pos += len(text) + 1
        end = spans[-1][1]
        chunks.append((c, start, end, tuple(spans)))
        sentences.extend((doc_id, s, e) for s, e in spans)
    text = " ".join(parts)
    doc = Document(
        doc_id,
        sentence_text(words, ids[0][0][:8])[:-1],
        date,
        doc_id,
        text,
        hashlib.sha256(text.encode()).hexdigest(),
        doc_id,
    )
    return doc, [Chunk(f"{doc_id}#{c}", doc_id, s, e, text[s:e], spans) for c, s, e, spans in chunks], sentences


def chunking_params(embedder) -> dict:
    """What qa.build records for these chunks, so an incremental build reuses them (see build_from_documents)."""
    return {
        "max_tokens": min(chunking.DEFAULT_MAX_TOKENS, embedder.max_tokens),
        "overlap": chunking.DEFAULT_OVERLAP,
        "splitter": chunking.SPLITTER_ID,
    }


def write_index(index_dir: Path, n_chunks: int, embedder: WordSumEmbedder, seed: int = 0, dense: str = "auto") -> dict:
    """Generate `n_chunks` chunks and commit them as a generation of `index_dir` (one segment, as a
    full build writes it); returns the manifest."""
    ids = word_ids(n_chunks, seed)
    rng = np.random.default_rng(seed + 3)
    documents, chunks, sentences = [], [], []
    for d, lo in enumerate(range(0, n_chunks, CHUNKS_PER_DOC)):
        date = f"{rng.integers(2015, 2026)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}"
        doc, doc_chunks, doc_sents = make_document(embedder.words, ids[lo : lo + CHUNKS_PER_DOC], d, date)
        documents.append(doc)
        chunks.extend(doc_chunks)
        sentences.extend(doc_sents)
    chunk_vecs = embedder.encode_ids(ids.reshape(n_chunks, -1))
    sent_vecs = embedder.encode_ids(ids.reshape(-1, WORDS_PER_SENTENCE))
    del ids
    model = build._model_entry(embedder, vectors.SENTENCE_VECTORS)
    with store.build_lock(Path(index_dir)):
        name, tmp = store.new_generation_dir(Path(index_dir))
        info = build.write_segment(tmp, documents, chunks, sentences, chunk_vecs, sent_vecs, dense=dense)
        manifest = build._manifest([info], embedder, chunking_params(embedder), model, len(documents))
        store.commit_generation(Path(index_dir), name, tmp, manifest)
    return manifest
