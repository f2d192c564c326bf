"""Writing one segment of an index generation (the layout is described in qa.segment).

Documents come in order, each one's chunks and sentences contiguous and in the same order (as
qa.build makes them); the row arrays are derived from that order. Nothing here reads a generation.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np

from . import backends, store
from .segment import META

_SCHEMA = """
CREATE TABLE documents(row INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, title TEXT, date TEXT,
                       source TEXT, text TEXT NOT NULL, content_hash TEXT, path TEXT, segments TEXT,
                       chunks INTEGER NOT NULL);
CREATE TABLE chunks(row INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL, doc_row INTEGER NOT NULL,
                    start INTEGER NOT NULL, stop INTEGER NOT NULL);
"""
# the article listing's columns, in doc_id order: listing and searching them reads this index, never the
# table's pages, which hold the text (segments written without it are listed the same, reading those)
_LISTING = "CREATE INDEX documents_listing ON documents(doc_id, title, source, date, chunks)"


def write_meta(directory: Path, documents, chunks, sentences) -> None:
    """meta.sqlite and the row arrays for documents in order, each one's chunks and sentences contiguous
    and in the same order (as qa.build makes them)."""
    doc_row = {d.doc_id: i for i, d in enumerate(documents)}
    n_chunks = np.bincount([doc_row[c.doc_id] for c in chunks], minlength=len(documents))
    n_sents = np.bincount([doc_row[d] for d, _, _ in sentences], minlength=len(documents))
    chunk_ptr = np.concatenate([[0], np.cumsum(n_chunks)]).astype(np.int64)
    sent_ptr = np.concatenate([[0], np.cumsum(n_sents)]).astype(np.int64)
    sent_row = {(d, s, e): i for i, (d, s, e) in enumerate(sentences)}
    rows = [[sent_row[(c.doc_id, s, e)] for s, e in c.sentences] for c in chunks]
    arrays = {
        "doc_chunk_ptr": chunk_ptr,
        "doc_sent_ptr": sent_ptr,
        "chunk_sent_ptr": np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64),
        "chunk_sent_rows": np.fromiter((x for r in rows for x in r), np.int64),
        "sent_spans": np.asarray([(s, e) for _, s, e in sentences], np.int64).reshape(-1, 2),
    }
    for name, arr in arrays.items():
        np.save(directory / f"{name}.npy", arr, allow_pickle=False)
    con = sqlite3.connect(directory / META)
    try:
        con.execute("PRAGMA journal_mode=OFF")  # the generation is fsynced and renamed as a whole
        con.executescript(_SCHEMA)
        con.executemany(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                (
                    i,
                    d.doc_id,
                    d.title,
                    d.date,
                    d.source,
                    d.text,
                    d.content_hash,
                    d.path,
                    json.dumps(d.segments),
                    int(n_chunks[i]),
                )
                for i, d in enumerate(documents)
            ),
        )
        con.executemany(
            "INSERT INTO chunks VALUES (?,?,?,?,?)",
            ((i, c.chunk_id, doc_row[c.doc_id], c.start, c.end) for i, c in enumerate(chunks)),
        )
        con.execute(_LISTING)  # after the rows: one sorted build instead of an insert per row
        con.commit()
    finally:
        con.close()
    if any(chunk_ptr[doc_row[c.doc_id]] > i or i >= chunk_ptr[doc_row[c.doc_id] + 1] for i, c in enumerate(chunks)):
        raise ValueError("chunks are not grouped by document in document order")


def write_segment(
    directory: Path,
    documents,
    chunks,
    sentences,
    chunk_vecs,
    sent_vecs,
    write_dense,
    stage=None,
    prior: tuple[int, int] = (0, 0),
) -> dict:
    """Every file of a segment; returns its manifest entry (counts, tokens indexed by BM25, the dense
    index's description). `write_dense(vectors)` saves the dense index into `directory` and returns
    its description; `prior` = (tokens, rows) of the segments kept beside it (BM25 length norm)."""
    directory.mkdir(parents=True, exist_ok=True)
    described: dict = {}
    lexical: list = []
    steps = [
        lambda: write_meta(directory, documents, chunks, sentences),
        lambda: store.save_npy(directory / "chunk_vectors.npy", chunk_vecs),
        lambda: store.save_npy(directory / "sentence_vectors.npy", sent_vecs),
        lambda: described.update(write_dense(chunk_vecs)),
        lambda: lexical.append(backends.build_lexical((c.text for c in chunks), prior)),
        lambda: lexical[0].save(directory),
    ]
    for step in steps:
        step()
        if stage is not None:
            stage.advance()
    return {
        "name": directory.name,
        "documents": len(documents),
        "chunks": len(chunks),
        "sentences": len(sentences),
        "tokens": lexical[0].tokens,
        "dense": described,
        "deleted": [],
    }


def doc_runs(directory: Path) -> list[tuple[str, str, int, int]]:
    """(doc_id, date or "", first chunk row, end row) of every document of a segment being written."""
    con = sqlite3.connect(directory / META)
    try:
        rows = con.execute("SELECT doc_id, date, chunks FROM documents ORDER BY row").fetchall()
    finally:
        con.close()
    ends = np.cumsum([n for _, _, n in rows]).tolist()
    return [(d, date or "", end - n, end) for (d, date, n), end in zip(rows, ends, strict=True)]
