"""`python -m qa check`: verify a whole index on demand and list every problem with its fix.

Checks, for the live generation: CURRENT, the manifest (format, checksum), every listed file's size
and sha256, and for each segment: that it opens (SQLite, arrays, backends) with the row counts of
the manifest, its vectors (float32, the model's dimension, finite, unit length), that FAISS holds
exactly chunk_vectors.npy, that BM25 has one row per chunk, that the row arrays are consistent
(pointers ascending, every chunk's and sentence's offsets inside its document) and that tombstones
name real documents. `Index.load` does only the cheap part (manifest, sizes, shapes); builds hash
what they write. It repairs nothing: the fix for a damaged index is `python -m qa build --full`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import store
from .errors import QAError
from .segment import Segment

NORM_TOLERANCE = 1e-3


def check_index(index_dir: Path) -> list[str]:
    """One line per problem (each naming the file and the fix); empty when the index is sound."""
    index_dir = Path(index_dir)
    try:
        gen = store.require_generation(index_dir)
        manifest = store.read_manifest(gen, verify=False)
    except QAError as exc:
        return [str(exc)]
    problems = [p for name in manifest["files"] if (p := store.file_problem(gen, manifest, name))]
    if problems:  # opening damaged files says nothing more than their names
        return [" ".join(p.split()) for p in problems]
    for info in manifest["segments"]:
        try:
            seg = Segment(gen / info["name"], info, manifest)
        except Exception as exc:  # a file that passed its hash but still cannot be read: report, go on
            problems.append(
                str(exc)
                if isinstance(exc, QAError)
                else f"{gen / info['name']}: could not open ({type(exc).__name__}: {exc}); {store.REBUILD}"
            )
            continue
        for step in (_rows, _vectors, _dense):
            try:
                problems += step(seg, int(manifest["model"]["dim"]))
            except Exception as exc:
                problems.append(
                    f"{seg.dir}: {step.__name__[1:]} check failed ({type(exc).__name__}: {exc}); {store.REBUILD}"
                )
    return [" ".join(p.split()) for p in problems]


def _rows(seg: Segment, dim: int) -> list[str]:
    """Pointers ascending and complete, and every span inside its document."""
    out = []
    ptrs = {
        "doc_chunk_ptr.npy": (seg.doc_chunk_ptr, seg.n_chunks),
        "doc_sent_ptr.npy": (seg.doc_sent_ptr, seg.n_sents),
        "chunk_sent_ptr.npy": (seg.chunk_sent_ptr, len(seg.chunk_sent_rows)),
    }
    for name, (ptr, total) in ptrs.items():
        if ptr[0] != 0 or ptr[-1] != total or (np.diff(ptr) < 0).any():
            out.append(f"{seg.dir / name} does not partition {total} rows; {store.REBUILD}")
    if out:
        return out
    if len(seg.chunk_sent_rows) and not (seg.chunk_sent_rows.min() >= 0 and seg.chunk_sent_rows.max() < seg.n_sents):
        return [f"{seg.dir / 'chunk_sent_rows.npy'} names sentences that do not exist; {store.REBUILD}"]
    if len(seg.deleted) and not (seg.deleted.min() >= 0 and seg.deleted.max() < seg.n_docs):
        out.append(f"{seg.dir}: the manifest deletes documents that do not exist; {store.REBUILD}")
    lengths = dict(seg.query("SELECT row, length(text) FROM documents"))
    bad_chunks = bad_sents = 0
    for doc_row, c0, c1, s0, s1 in _doc_ranges(seg):
        n = lengths[doc_row]
        for start, stop in seg.query("SELECT start, stop FROM chunks WHERE row >= ? AND row < ?", (c0, c1)):
            bad_chunks += not 0 <= start < stop <= n
        spans = seg.sent_spans[s0:s1]
        bad_sents += int(((spans[:, 0] < 0) | (spans[:, 0] >= spans[:, 1]) | (spans[:, 1] > n)).sum())
    if bad_chunks:
        out.append(f"{seg.dir / 'meta.sqlite'}: {bad_chunks} chunk(s) lie outside their document; {store.REBUILD}")
    if bad_sents:
        out.append(
            f"{seg.dir / 'sent_spans.npy'}: {bad_sents} sentence span(s) lie outside their document; {store.REBUILD}"
        )
    return out


def _doc_ranges(seg: Segment):
    for d in range(seg.n_docs):
        yield (
            d,
            int(seg.doc_chunk_ptr[d]),
            int(seg.doc_chunk_ptr[d + 1]),
            int(seg.doc_sent_ptr[d]),
            int(seg.doc_sent_ptr[d + 1]),
        )


def _vectors(seg: Segment, dim: int) -> list[str]:
    out = []
    for name, vecs, n in (
        ("chunk_vectors.npy", seg.chunk_vectors, seg.n_chunks),
        ("sentence_vectors.npy", seg.sentence_vectors, seg.n_sents),
    ):
        if vecs.dtype != np.float32 or vecs.shape != (n, dim):
            out.append(
                f"{seg.dir / name} holds {vecs.dtype} {vecs.shape}, expected float32 {(n, dim)}; {store.REBUILD}"
            )
            continue
        off = np.zeros(n, dtype=bool)
        for lo in range(0, n, 65_536):  # in blocks: bounded memory at any size
            block = np.asarray(vecs[lo : lo + 65_536])
            finite = np.isfinite(block).all(axis=1)
            norms = np.linalg.norm(np.where(finite[:, None], block, 0), axis=1)
            # a text with no word at all embeds as zeros with the test embedder; anything else is unit length
            off[lo : lo + len(block)] = (~finite) | ((np.abs(norms - 1) > NORM_TOLERANCE) & (norms != 0))
        if off.any():
            out.append(
                f"{seg.dir / name}: {int(off.sum())} vector(s) are not finite or not unit length "
                f"(first row {int(np.argmax(off))}); {store.REBUILD}"
            )
    return out


def _dense(seg: Segment, dim: int) -> list[str]:
    ntotal, d = seg.dense.ntotal, int(seg.dense.stats()["dim"])
    if ntotal != seg.n_chunks or d != dim:
        return [
            f"{seg.dir / 'dense.faiss'} holds {ntotal} vectors of dimension {d}, expected {seg.n_chunks} of "
            f"{dim}; {store.REBUILD}"
        ]
    for lo in range(0, seg.n_chunks, 65_536):
        rows = np.arange(lo, min(lo + 65_536, seg.n_chunks))
        if not np.array_equal(seg.dense.vectors(rows), np.asarray(seg.chunk_vectors[lo : lo + len(rows)])):
            return [f"{seg.dir / 'dense.faiss'} does not hold the vectors of chunk_vectors.npy; {store.REBUILD}"]
    if int(seg.lexical.num_docs) != seg.n_chunks:
        return [
            f"{seg.dir / 'bm25'} indexes {seg.lexical.num_docs} rows, expected {seg.n_chunks} chunks; {store.REBUILD}"
        ]
    return []
