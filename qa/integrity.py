"""`python -m qa check`: verify a whole index on demand and list every problem with its fix.

Checks, for the live generation: CURRENT, the manifest (format, checksum), every listed file's size
and sha256, row counts of the JSONL files against the manifest and the vectors, the vectors
(float32, the model's dimension, finite, unit length), FAISS (loads, same count and same vectors)
and BM25 (loads, one row per chunk), and that every chunk's and sentence's offsets lie in its
document. `Index.load` does the cheaper part (manifest, sizes, hashes, counts) on every start; this
module does the rest. It repairs nothing: the fix for a damaged index is `python -m qa build --full`.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import store
from .errors import QAError

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
    damaged = {name for name in manifest["files"] if any(str(gen / name) in p for p in problems)}
    for step in (_rows, _vectors, _dense, _bm25):
        try:
            problems += step(gen, manifest, damaged)
        except Exception as exc:  # a file that passed its hash but still cannot be read: report, go on
            problems.append(f"{gen}: {step.__name__[1:]} check failed ({type(exc).__name__}: {exc}); "
                            f"{store.REBUILD}")
    return [" ".join(p.split()) for p in problems]


def _jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _rows(gen: Path, manifest: dict, damaged: set) -> list[str]:
    """JSONL row counts against the manifest, and every span inside its document."""
    names = {"documents": "documents.jsonl", "chunks": "chunks.jsonl", "sentences": "sentences.jsonl"}
    if damaged & set(names.values()):
        return []  # already reported; parsing a damaged file says nothing more
    rows = {key: _jsonl(gen / name) for key, name in names.items()}
    out = [f"{gen / names[key]} has {len(rows[key])} rows, the manifest says {manifest['counts'][key]}; "
           f"{store.REBUILD}" for key in names if len(rows[key]) != manifest["counts"][key]]
    texts = {d["doc_id"]: d["text"] for d in rows["documents"]}
    bad_chunks = sum(1 for c in rows["chunks"] if texts.get(c["doc_id"], "")[c["start"]:c["end"]] != c["text"])
    bad_sents = sum(1 for r in rows["sentences"]
                    if not 0 <= r["start"] < r["end"] <= len(texts.get(r["doc_id"], "")))
    if bad_chunks:
        out.append(f"{gen / 'chunks.jsonl'}: {bad_chunks} chunk(s) do not match their document text; "
                   f"{store.REBUILD}")
    if bad_sents:
        out.append(f"{gen / 'sentences.jsonl'}: {bad_sents} sentence span(s) lie outside their document; "
                   f"{store.REBUILD}")
    return out


def _vectors(gen: Path, manifest: dict, damaged: set) -> list[str]:
    out = []
    dim = int(manifest["model"]["dim"])
    for name, key in (("chunk_vectors.npy", "chunks"), ("sentence_vectors.npy", "sentences")):
        if name in damaged:
            continue
        vecs = store.load_npy(gen / name)
        want = (manifest["counts"][key], dim)
        if vecs.dtype != np.float32 or vecs.shape != want:
            out.append(f"{gen / name} holds {vecs.dtype} {vecs.shape}, expected float32 {want}; {store.REBUILD}")
            continue
        finite = np.isfinite(vecs).all(axis=1)
        norms = np.linalg.norm(np.where(finite[:, None], vecs, 0), axis=1)
        # a text with no word at all embeds as zeros with the test embedder; anything else is unit length
        off = (~finite) | ((np.abs(norms - 1) > NORM_TOLERANCE) & (norms != 0))
        if off.any():
            out.append(f"{gen / name}: {int(off.sum())} vector(s) are not finite or not unit length "
                       f"(first row {int(np.argmax(off))}); {store.REBUILD}")
    return out


def _dense(gen: Path, manifest: dict, damaged: set) -> list[str]:
    from . import backends

    if {"dense.faiss", "chunk_vectors.npy"} & damaged:
        return []
    dense = backends.load_dense(gen, manifest)
    ntotal, d = dense.ntotal, int(dense.stats()["dim"])
    n, dim = manifest["counts"]["chunks"], int(manifest["model"]["dim"])
    if ntotal != n or d != dim:
        return [f"{gen / 'dense.faiss'} holds {ntotal} vectors of dimension {d}, expected {n} of "
                f"{dim}; {store.REBUILD}"]
    if n and not np.array_equal(dense.vectors(np.arange(n)), store.load_npy(gen / "chunk_vectors.npy")):
        return [f"{gen / 'dense.faiss'} does not hold the vectors of chunk_vectors.npy; {store.REBUILD}"]
    return []


def _bm25(gen: Path, manifest: dict, damaged: set) -> list[str]:
    from . import backends

    if any(name.startswith("bm25/") for name in damaged):
        return []
    rows = backends.load_lexical(gen).num_docs
    n = manifest["counts"]["chunks"]
    if int(rows) != n:
        return [f"{gen / 'bm25'} indexes {rows} rows, expected {n} chunks; "
                f"{store.REBUILD}"]
    return []
