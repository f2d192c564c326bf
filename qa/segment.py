"""One immutable segment of an index generation: its documents, chunks, sentences, vectors and backends.

Files of a segment directory (a generation holds one or more, hard-linked between generations):
    meta.sqlite            documents(row, doc_id, title, date, source, text, content_hash, path,
                           segments, chunks) and chunks(row, chunk_id, doc_row, start, stop)
    doc_chunk_ptr.npy      int64, documents + 1: a document's chunk rows are [ptr[d], ptr[d + 1])
    doc_sent_ptr.npy       int64, documents + 1: the same for sentence rows
    chunk_sent_ptr.npy     int64, chunks + 1, and chunk_sent_rows.npy: each chunk's sentence rows
    sent_spans.npy         int64 (sentences, 2): a sentence's offsets in its document
    chunk_vectors.npy, sentence_vectors.npy, dense.faiss (or a Qdrant collection), bm25/
Rows are local (0..n-1 within the segment); qa.views adds the segment offsets. Reading opens SQLite
read-only and memory-maps the arrays: nothing is parsed row by row, so opening costs the same at any
size; rows are fetched when asked, through bounded caches. Each connection has `qa_fold` (search_fold)
for the article searches of qa.listing. Chunk text is not stored: it is
`doc.text[start:stop]`, so it cannot disagree with its document. qa.segment_write writes segments.
This module does not search or rank.
"""

from __future__ import annotations

import json
import mmap
import sqlite3
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from . import backends, store
from .errors import IndexCorruptError, QAError
from .rowfile import RowFile
from .types import Chunk, Document

META = "meta.sqlite"
ARRAYS = ("doc_chunk_ptr", "doc_sent_ptr", "chunk_sent_ptr", "chunk_sent_rows", "sent_spans")
DOC_CACHE = 256  # documents (with their text) kept per segment
CHUNK_CACHE = 4096
DOC_ID_CACHE = 65_536  # doc row -> doc_id, for sentence rows (short strings)
_DOC_COLUMNS = "doc_id, title, date, source, text, content_hash, path, segments"


def _unreadable(path: Path) -> bool:
    """Whether a .npy or .json file of a backend fails to parse (to name the damaged one)."""
    try:
        if path.suffix == ".npy":
            np.load(path, allow_pickle=False, mmap_mode="r")
        elif path.suffix == ".json":
            json.loads(path.read_text("utf-8"))
        return False
    except (OSError, ValueError):
        return True


def _random_access(array: np.ndarray) -> np.ndarray:
    """A plain ndarray view of a memory map (numpy's memmap indexing costs ~6 us a call in Python, and
    answers index rows one by one), with read-ahead turned off: rows are read at random, and the
    kernel's read-ahead around each one made 30 questions map 280 MB of sentence vectors at 100k
    chunks (measured) where they use a few MB."""
    mm = getattr(array, "_mmap", None)
    if mm is not None and hasattr(mmap, "MADV_RANDOM"):
        mm.madvise(mmap.MADV_RANDOM)
    return array.view(np.ndarray)


def search_fold(text: object) -> str:
    """The form article searches compare: whitespace runs collapsed to one space, case folded (Unicode)."""
    # NUL becomes a space: SQLite's LIKE reads its pattern as a C string and would stop there
    return " ".join(str(text or "").replace("\x00", " ").split()).casefold()


def _connect(path: Path) -> sqlite3.Connection:
    # immutable: the file never changes once written (no locks, no change detection); shared by threads
    uri = f"file:{quote(str(path))}?mode=ro&immutable=1"
    db = sqlite3.connect(uri, uri=True, check_same_thread=False)
    db.create_function("qa_fold", 1, search_fold, deterministic=True)  # for qa.views.article_page
    return db


class Segment:
    """A segment opened for reading. `info` is its manifest entry; `manifest` the generation's."""

    def __init__(self, directory: Path, info: dict, manifest: dict):
        self.dir, self.info, self.name = directory, info, info["name"]
        self.n_docs, self.n_chunks, self.n_sents = info["documents"], info["chunks"], info["sentences"]
        self.deleted = np.asarray(sorted(info.get("deleted", ())), dtype=np.int64)  # doc rows
        self._lock = threading.Lock()
        self._db = self._open_db()
        arrays = {n: self._npy(f"{n}.npy") for n in ARRAYS}
        self.doc_chunk_ptr, self.doc_sent_ptr = arrays["doc_chunk_ptr"], arrays["doc_sent_ptr"]
        self.chunk_sent_ptr, self.chunk_sent_rows = arrays["chunk_sent_ptr"], arrays["chunk_sent_rows"]
        self.sent_spans = arrays["sent_spans"]
        self.chunk_vectors = self._rows("chunk_vectors.npy")
        self.sentence_vectors = self._rows("sentence_vectors.npy")
        self.dense = self._backend(
            "dense.faiss", lambda: backends.load_dense(directory, manifest | {"dense": info["dense"]})
        )
        self.lexical = self._backend("bm25", lambda: backends.load_lexical(directory, mmap=True))
        self.document = lru_cache(maxsize=DOC_CACHE)(self._document)
        self.chunk = lru_cache(maxsize=CHUNK_CACHE)(self._chunk)
        self.doc_id = lru_cache(maxsize=DOC_ID_CACHE)(self._doc_id)
        self._check_shapes()

    def _open_db(self) -> sqlite3.Connection:
        path = self.dir / META
        try:
            db = _connect(path)
            # reads the header, the schema and one b-tree path: a damaged or foreign file fails here
            last = db.execute("SELECT max(row) FROM documents").fetchone()[0]
        except sqlite3.Error as exc:
            raise IndexCorruptError(f"{path} is damaged ({exc}); {store.REBUILD}") from None
        if (last if last is not None else -1) != self.n_docs - 1:
            raise IndexCorruptError(
                f"{path} holds {0 if last is None else last + 1} documents, the manifest "
                f"says {self.n_docs}; {store.REBUILD}"
            )
        return db

    def _rows(self, name: str) -> RowFile:
        try:
            return RowFile(self.dir / name)
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(
                f"{self.dir / name} is unreadable ({type(exc).__name__}); {store.REBUILD}"
            ) from None

    def _npy(self, name: str) -> np.ndarray:
        try:
            return _random_access(store.load_npy(self.dir / name, mmap=True))
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(
                f"{self.dir / name} is unreadable ({type(exc).__name__}); {store.REBUILD}"
            ) from None

    def _backend(self, name: str, load):
        """A backend opened, or one line naming the damaged file (its own errors name none)."""
        try:
            return load()
        except IndexCorruptError:
            raise
        except QAError:  # a Qdrant server down, a missing collection: already one line with the fix
            raise
        except Exception as exc:
            bad = next((p for p in sorted((self.dir / name).rglob("*")) if _unreadable(p)), self.dir / name)
            raise IndexCorruptError(f"{bad} is unreadable ({type(exc).__name__}); {store.REBUILD}") from None

    def _check_shapes(self) -> None:
        want: dict[str, tuple[Any, tuple]] = {
            "doc_chunk_ptr.npy": (self.doc_chunk_ptr, (self.n_docs + 1,)),
            "doc_sent_ptr.npy": (self.doc_sent_ptr, (self.n_docs + 1,)),
            "chunk_sent_ptr.npy": (self.chunk_sent_ptr, (self.n_chunks + 1,)),
            "sent_spans.npy": (self.sent_spans, (self.n_sents, 2)),
            "chunk_vectors.npy": (self.chunk_vectors, (self.n_chunks, self.chunk_vectors.shape[-1])),
            "sentence_vectors.npy": (self.sentence_vectors, (self.n_sents, self.sentence_vectors.shape[-1])),
        }
        for name, (arr, shape) in want.items():
            if arr.shape != shape:
                raise IndexCorruptError(
                    f"{self.dir / name} holds {arr.shape} rows, the manifest says {shape}; {store.REBUILD}"
                )
        if self.dense.ntotal != self.n_chunks or int(self.lexical.num_docs) != self.n_chunks:
            raise IndexCorruptError(f"index segment {self.dir} has vectors and rows out of step; {store.REBUILD}")

    def query(self, sql: str, args=()) -> list[tuple]:
        """Rows of a read-only query; a damaged database is one line naming the file."""
        try:
            with self._lock:
                return self._db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise IndexCorruptError(f"{self.dir / META} is damaged ({exc}); {store.REBUILD}") from None

    def _document(self, row: int) -> Document:
        got = self.query(f"SELECT {_DOC_COLUMNS} FROM documents WHERE row = ?", (int(row),))
        if not got:
            raise IndexCorruptError(f"{self.dir / META} has no document row {row}; {store.REBUILD}")
        doc_id, title, date, source, text, content_hash, path, segments = got[0]
        spans = tuple(tuple(s) for s in json.loads(segments or "[]"))
        return Document(doc_id, title, date, source, text, content_hash, path, spans)

    def _doc_id(self, row: int) -> str:
        return self.query("SELECT doc_id FROM documents WHERE row = ?", (int(row),))[0][0]

    def doc_row(self, doc_id: str) -> int | None:
        """The live row of `doc_id` in this segment, or None (absent or deleted)."""
        got = self.query("SELECT row FROM documents WHERE doc_id = ?", (doc_id,))
        return got[0][0] if got and not self.is_deleted(got[0][0]) else None

    def is_deleted(self, doc_row: int) -> bool:
        i = np.searchsorted(self.deleted, doc_row)
        return bool(i < len(self.deleted) and self.deleted[i] == doc_row)

    def _chunk(self, row: int) -> Chunk:
        chunk_id, doc_row, start, stop = self.query(
            "SELECT chunk_id, doc_row, start, stop FROM chunks WHERE row = ?", (int(row),)
        )[0]
        doc = self.document(doc_row)
        spans = tuple((int(s), int(e)) for s, e in self.sent_spans[self.sentence_rows(row)])
        return Chunk(chunk_id, doc.doc_id, start, stop, doc.text[start:stop], spans)

    def sentence_rows(self, chunk_row: int) -> np.ndarray:
        rows = self.chunk_sent_rows[self.chunk_sent_ptr[chunk_row] : self.chunk_sent_ptr[chunk_row + 1]]
        if len(rows) and not (rows.min() >= 0 and rows.max() < self.n_sents):  # loading checked no row
            raise IndexCorruptError(
                f"{self.dir / 'chunk_sent_rows.npy'} names sentences that do not exist; {store.REBUILD}"
            )
        return rows

    def sent_doc_row(self, sent_row: int) -> int:
        return int(np.searchsorted(self.doc_sent_ptr, sent_row, side="right")) - 1

    def dead_chunk_rows(self) -> np.ndarray:
        from .backends.rows import ranges_to_rows

        return ranges_to_rows(self.doc_chunk_ptr[self.deleted], self.doc_chunk_ptr[self.deleted + 1])

    def doc_table(self) -> list[tuple]:
        """(row, doc_id, date, content_hash, chunks) of every live document, in row order."""
        rows = self.query("SELECT row, doc_id, date, content_hash, chunks FROM documents ORDER BY row")
        return [r for r in rows if not len(self.deleted) or not self.is_deleted(r[0])]
