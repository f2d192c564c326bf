"""A loaded, read-only index generation: documents, chunks, sentences, vectors, dense and BM25 backends.

Loading runs the cheaper integrity check: the manifest (format version, its checksum), every file's
size and sha256, and row counts against the manifest; `python -m qa check` (qa.integrity) adds the
numeric and cross-file checks. Checking that the query model matches the vectors happens when an
embedder is attached (`check_embedder`). It does not rank or answer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from . import backends, store
from .backends.rows import DocRows
from .errors import IndexCorruptError, QAError
from .types import Chunk, Document

TRIGRAM_CACHE = 4096  # chunks whose trigrams are kept: a long chat must not grow memory without bound


@dataclass
class Index:
    path: Path
    manifest: dict
    documents: dict[str, Document]
    chunks: list[Chunk]
    sent_doc: list[str]  # sentence row -> doc_id
    sent_spans: np.ndarray  # (n, 2) int64 document offsets
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray
    dense: backends.DenseBackend
    bm25: backends.LexicalBackend
    chunk_sentence_rows: list[list[int]]  # chunk row -> its sentence rows
    _trigrams: object = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        self._trigrams = lru_cache(maxsize=TRIGRAM_CACHE)(self._trigrams_of)

    @classmethod
    def load(cls, index_dir: Path) -> "Index":
        gen = store.require_generation(Path(index_dir))
        manifest = store.read_manifest(gen)
        try:
            return cls._read(gen, manifest)
        except QAError:  # already one line that says what to do (a damaged file, a Qdrant server down, ...)
            raise
        except Exception as exc:  # files that passed their hashes but still do not parse: one line, the fix
            raise IndexCorruptError(f"could not read index {gen} ({type(exc).__name__}: "
                                    f"{' '.join(str(exc).split())[:200]}); {store.REBUILD}") from exc

    @classmethod
    def _read(cls, gen: Path, manifest: dict) -> "Index":
        documents = {}
        for row in store.read_jsonl(gen / "documents.jsonl"):
            row["segments"] = tuple(tuple(s) for s in row.get("segments", ()))
            documents[row["doc_id"]] = Document(**row)
        chunks = [Chunk(r["chunk_id"], r["doc_id"], r["start"], r["end"], r["text"],
                        tuple(tuple(s) for s in r["sentences"]))
                  for r in store.read_jsonl(gen / "chunks.jsonl")]
        sent_rows = store.read_jsonl(gen / "sentences.jsonl")
        sent_doc = [r["doc_id"] for r in sent_rows]
        spans = np.array([[r["start"], r["end"]] for r in sent_rows], dtype=np.int64).reshape(-1, 2)
        lookup = {(d, int(s), int(e)): i for i, (d, (s, e)) in enumerate(zip(sent_doc, spans))}
        chunk_sentence_rows = [[lookup[(c.doc_id, s, e)] for s, e in c.sentences] for c in chunks]
        index = cls(gen, manifest, documents, chunks, sent_doc, spans,
                    store.load_npy(gen / "chunk_vectors.npy", mmap=True),
                    store.load_npy(gen / "sentence_vectors.npy", mmap=True),
                    backends.load_dense(gen, manifest), backends.load_lexical(gen, mmap=True),
                    chunk_sentence_rows)
        counts = manifest["counts"]
        if (index.dense.ntotal != len(chunks) or len(index.sentence_vectors) != len(sent_doc)
                or len(index.chunk_vectors) != len(chunks) or (len(documents), len(chunks), len(sent_doc))
                != (counts["documents"], counts["chunks"], counts["sentences"])):
            raise IndexCorruptError(f"index {gen} has vectors and rows out of step; {store.REBUILD}")
        return index

    def check_embedder(self, embedder) -> None:
        store.check_model(self.manifest, embedder.fingerprint, embedder.name, embedder.dim)

    @property
    def model_spec(self) -> str:
        """What load_embedder() takes to query with the model and encoder variant that built the index."""
        model = self.manifest["model"]
        spec = model.get("spec") or model["name"]
        # indexes from before the ONNX encoder name no variant: they were built with torch
        return spec if "encoder" in model or spec.startswith("fake") else f"torch:{spec}"

    def chunk_trigrams(self, row: int) -> frozenset:
        """Word trigrams of a chunk (an LRU cache: near-duplicate checks ask for the same rows again)."""
        return self._trigrams(row)

    def _trigrams_of(self, row: int) -> frozenset:
        words = re.findall(r"\w+", self.chunks[row].text.lower())
        return frozenset(zip(words, words[1:], words[2:]))

    @cached_property
    def doc_rows(self) -> DocRows:
        """Each document's chunk rows and date as arrays, for filters (built on the first filter)."""
        return DocRows.from_index([c.doc_id for c in self.chunks], self.documents)

    def sentence_text(self, row: int) -> str:
        s, e = self.sent_spans[row]
        return self.documents[self.sent_doc[row]].text[s:e]
