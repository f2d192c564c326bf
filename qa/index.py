"""A loaded, read-only index generation: its segments seen as one index of documents, chunks,
sentences, vectors and dense and BM25 backends.

Loading is cheap at any size: the manifest (format version, its checksum), every file's presence and
size, then each segment is opened (SQLite read-only, arrays and vectors memory-mapped, backends opened;
qa.segment). No file is hashed and no row parsed: `python -m qa check` (qa.integrity) hashes every
file and runs the numeric and cross-file checks, and every build hashes what it writes. Row data is
fetched on use through bounded caches (qa.views). Checking that the query model matches the vectors
happens when an embedder is attached (`check_embedder`). It does not rank or answer.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from . import listing, store, views
from .backends.rows import DocRows
from .backends.segmented import combine
from .errors import IndexCorruptError, QAError
from .segment import Segment

TRIGRAM_CACHE = 4096  # chunks whose trigrams are kept: a long chat must not grow memory without bound


class Index:
    def __init__(self, path: Path, manifest: dict, segments: list[Segment]):
        self.path, self.segments = path, segments
        layout = views.Layout(segments)
        self.layout = layout
        self.manifest = dict(manifest, documents=views.DocInfo(layout))
        self.documents = views.Documents(layout)
        self.chunks = views.Chunks(layout)
        self.sent_doc = views.SentDoc(layout)
        self.chunk_sentence_rows = views.ChunkSentenceRows(layout)
        self.sent_spans = views.rows_of([s.sent_spans for s in segments], layout.sent_off)
        self.chunk_vectors = views.rows_of([s.chunk_vectors for s in segments], layout.chunk_off)
        self.sentence_vectors = views.rows_of([s.sentence_vectors for s in segments], layout.sent_off)
        self.dense, self.bm25 = combine(segments)
        self._trigrams = lru_cache(maxsize=TRIGRAM_CACHE)(self._trigrams_of)

    @classmethod
    def load(cls, index_dir: Path) -> Index:
        gen = store.require_generation(Path(index_dir))
        manifest = store.read_manifest(gen)
        try:
            return cls._read(gen, manifest)
        except QAError:  # already one line that says what to do (a damaged file, a Qdrant server down, ...)
            raise
        except Exception as exc:  # files that passed their checks but still do not parse: one line, the fix
            raise IndexCorruptError(
                f"could not read index {gen} ({type(exc).__name__}: "
                f"{' '.join(str(exc).split())[:200]}); {store.REBUILD}"
            ) from exc

    @classmethod
    def _read(cls, gen: Path, manifest: dict) -> Index:
        segments = [Segment(gen / info["name"], info, manifest) for info in manifest["segments"]]
        index = cls(gen, manifest, segments)
        counts = manifest["counts"]
        if (len(index.documents), len(index.chunks), len(index.sent_doc)) != (
            counts["documents"],
            counts["chunks"],
            counts["sentences"],
        ):
            raise IndexCorruptError(f"index {gen} has rows out of step with its manifest; {store.REBUILD}")
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
        return frozenset(zip(words, words[1:], words[2:], strict=False))

    @cached_property
    def doc_rows(self) -> DocRows:
        """Each live document's chunk rows and date as arrays, for filters (built on the first filter,
        from one query per segment)."""
        ids, starts, ends, dates = [], [], [], []
        for seg, offset in zip(self.segments, self.layout.chunk_off[:-1].tolist(), strict=True):
            table = seg.doc_table()
            rows = np.asarray([r[0] for r in table], dtype=np.int64)
            ids += [r[1] for r in table]
            dates += [r[2] or "" for r in table]
            starts.append(seg.doc_chunk_ptr[rows] + offset)
            ends.append(seg.doc_chunk_ptr[rows + 1] + offset)
        return DocRows(
            np.asarray(ids, dtype=str),
            np.concatenate(starts).astype(np.int64),
            np.concatenate(ends).astype(np.int64),
            np.asarray(dates, dtype=str),
        )

    def articles(self, query: str = "", offset: int = 0, limit: int = 50) -> tuple[int, list[dict]]:
        """(total, one page) of the live articles whose title, source or doc_id contains `query` (case
        and whitespace folded), sorted by doc_id: {"doc_id", "title", "date", "source", "chunks"} each,
        no text (qa.listing)."""
        return listing.article_page(self.segments, query, offset, limit)

    def sentence_text(self, row: int) -> str:
        """The sentence's text, sliced from the document version that holds the row (a deleted, older
        version of a changed article keeps its own text: its spans index no other version)."""
        seg, local = self.layout.sentence(row)
        s, e = (int(x) for x in seg.sent_spans[local])
        return seg.document(seg.sent_doc_row(local)).text[s:e]

    def document_key(self, row: int) -> tuple[int, int]:
        """Which stored document sentence `row` belongs to, as (segment, document row): equal keys mean the
        same document, found without reading any metadata (this process only: not stable across loads)."""
        seg, local = self.layout.sentence(row)
        return id(seg), seg.sent_doc_row(local)

    def same_document(self, a: int, b: int) -> bool:
        """Whether sentence rows `a` and `b` exist and belong to the same stored document. Comparing
        doc_ids is not enough: the deleted old version of a changed article can end the segment just
        before the one whose first rows hold its new version."""
        n = len(self.sent_doc)
        if not (0 <= a < n and 0 <= b < n):
            return False
        (seg_a, la), (seg_b, lb) = self.layout.sentence(a), self.layout.sentence(b)
        return seg_a is seg_b and seg_a.sent_doc_row(la) == seg_b.sent_doc_row(lb)
