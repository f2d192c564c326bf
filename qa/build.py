"""Incremental index builds: corpus -> documents -> chunks + sentences -> vectors -> a new generation.

Unchanged documents (same doc_id and content hash, same model fingerprint and chunking) reuse their
chunks, sentences and vectors from the live generation; any other text whose exact string was
embedded before with the same model is reused too. `full=True` ignores all of that. Only one build
runs at a time (a lock) and the result is switched in atomically (see qa.store). This module does not
answer questions.
"""
from __future__ import annotations

import hashlib
import platform
import time
from dataclasses import dataclass, field, fields
from importlib import metadata
from pathlib import Path

import numpy as np

from . import backends, chunking, store
from .embedder import Embedder, load_embedder
from .errors import CorpusError, IndexCorruptError, IndexMismatchError
from .progress import Progress, Stage
from .types import Chunk, Document, Skipped

EMBED_BATCH = 64


@dataclass
class BuildReport:
    documents: int = 0
    chunks: int = 0
    embedded: int = 0  # texts (chunks + sentences) encoded by the model in this build
    reused: int = 0  # texts whose vectors came from the previous generation
    removed: int = 0  # documents dropped since the previous generation
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    generation: str = ""
    unchanged: bool = False

    def summary(self) -> str:
        lines = [f"Indexed {self.documents} documents, {self.chunks} chunks "
                 f"({self.embedded} texts embedded, {self.reused} reused, {self.removed} removed) "
                 f"in {self.seconds:.1f}s" + (" - nothing changed" if self.unchanged else "") + "."]
        if self.skipped:
            lines.append(f"Skipped {len(self.skipped)} file(s):")
            lines += [f"  {s.path}: {s.reason}" for s in self.skipped]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "skipped"} | {
            "skipped": [s.to_dict() for s in self.skipped]}


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for pkg in ("numpy", "faiss-cpu", "bm25s", "sentence-transformers", "torch", "pysbd"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


class _Previous:
    """What the live generation can lend to this build (nothing when incompatible or `full`)."""

    def __init__(self, index_dir: Path, embedder: Embedder, params: dict, full: bool):
        self.docs: dict[str, dict] = {}
        self.chunks: dict[str, list[Chunk]] = {}
        self.vectors: dict[str, np.ndarray] = {}
        if full:
            return
        try:
            gen = store.current_generation(index_dir)
            if gen is None:
                return
            manifest = store.read_manifest(gen)
        except (IndexCorruptError, IndexMismatchError):
            return  # an unreadable old index just means a full build
        if manifest["model"]["fingerprint"] != embedder.fingerprint or manifest["chunking"] != params:
            return
        self.manifest = manifest
        self._load(gen)

    def _load(self, gen: Path) -> None:
        self.docs = {d["doc_id"]: d for d in store.read_jsonl(gen / "documents.jsonl")}
        rows = store.read_jsonl(gen / "chunks.jsonl")
        for row, vec in zip(rows, store.load_npy(gen / "chunk_vectors.npy")):
            self.chunks.setdefault(row["doc_id"], []).append(Chunk(
                row["chunk_id"], row["doc_id"], row["start"], row["end"], row["text"],
                tuple(tuple(s) for s in row["sentences"])))
            self.vectors[_text_key(row["text"])] = vec
        texts = {d["doc_id"]: d["text"] for d in self.docs.values()}
        for row, vec in zip(store.read_jsonl(gen / "sentences.jsonl"),
                            store.load_npy(gen / "sentence_vectors.npy")):
            self.vectors[_text_key(texts[row["doc_id"]][row["start"]:row["end"]])] = vec

    def same_doc(self, doc: Document) -> bool:
        return doc.doc_id in self.docs and self.docs[doc.doc_id]["content_hash"] == doc.content_hash


def _chunk_all(documents, embedder, params, prev: _Previous,
               progress: Progress | None) -> tuple[list[Chunk], list[tuple[str, int, int]]]:
    chunks, sentences = [], []
    with Stage("Splitting into sentences and chunks", len(documents), progress, unit="doc") as stage:
        for doc in documents:
            doc_chunks = prev.chunks.get(doc.doc_id) if prev.same_doc(doc) else None
            if doc_chunks is None:
                doc_chunks = chunking.chunk_document(doc, embedder.count_tokens, params["max_tokens"],
                                                     params["overlap"])
            chunks.extend(doc_chunks)
            spans = sorted({s for c in doc_chunks for s in c.sentences})
            sentences.extend((doc.doc_id, s, e) for s, e in spans)
            stage.advance()
    return chunks, sentences


def _embed(texts: list[str], embedder: Embedder, prev: _Previous, progress: Progress | None,
           report: BuildReport, what: str) -> np.ndarray:
    """Vectors for `texts`, encoding only those the previous generation does not have."""
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    todo = []
    for i, t in enumerate(texts):
        vec = prev.vectors.get(_text_key(t))
        if vec is not None:
            out[i] = vec
        else:
            todo.append(i)
    # batches of similar length waste no compute on padding (one encode call per batch for progress
    # would otherwise defeat sentence-transformers' own length sorting: measured 2.7x slower)
    todo.sort(key=lambda i: len(texts[i]))
    report.reused += len(texts) - len(todo)
    report.embedded += len(todo)
    from tqdm import tqdm

    bar = tqdm(total=len(todo), desc=f"Embedding {what}", unit=what, disable=not todo, leave=False)
    for lo in range(0, len(todo), EMBED_BATCH):
        batch = todo[lo:lo + EMBED_BATCH]
        out[batch] = embedder.encode([texts[i] for i in batch], batch_size=EMBED_BATCH)
        bar.update(len(batch))
        if progress:
            progress(lo + len(batch), len(todo), f"Embedding {what}")
    bar.close()
    return out


def _write(tmp: Path, documents, chunks, sentences, chunk_vecs, sent_vecs, progress: Progress | None = None,
           dense: str | None = "auto", previous: Path | None = None) -> dict:
    """Write every file of a generation into `tmp`; returns the dense index's manifest entry.
    `previous` (the live generation) lends its dense index when this build only appended rows."""
    described: dict = {}
    steps = [
        lambda: store.write_jsonl(tmp / "documents.jsonl", map(_row, documents)),
        lambda: store.write_jsonl(tmp / "chunks.jsonl", map(_row, chunks)),
        lambda: store.write_jsonl(tmp / "sentences.jsonl",
                                  ({"doc_id": d, "start": s, "end": e} for d, s, e in sentences)),
        lambda: store.save_npy(tmp / "chunk_vectors.npy", chunk_vecs),
        lambda: store.save_npy(tmp / "sentence_vectors.npy", sent_vecs),
        lambda: described.update(_write_dense(tmp, chunk_vecs, dense, previous)),
        lambda: backends.build_lexical(c.text for c in chunks).save(tmp),
    ]
    with Stage("Writing the index", len(steps), progress, unit="file") as stage:
        for step in steps:
            step()
            stage.advance()
    return described


def _row(item) -> dict:
    """The fields of a Document or Chunk, for JSON: the same as its to_dict() (JSON writes tuples as
    lists) without dataclasses.asdict's deep copy, which took 11 of 76 s of a one-article update at
    100k chunks (measured)."""
    return {f.name: getattr(item, f.name) for f in fields(item)}


def _write_dense(directory: Path, vectors: np.ndarray, kind: str | None = "auto",
                 previous: Path | None = None) -> dict:
    """The dense index chosen by size (or `kind`: flat, hnsw), saved; its description for the manifest.
    Rows appended to an unchanged live index are added to a copy of it (no graph rebuilt from scratch)."""
    index = None
    if previous is not None:
        index = backends.extend_dense(previous, store.read_manifest(previous, verify=False), vectors, kind)
    if index is None:
        index = backends.build_dense(vectors, kind)
    index.save(directory)
    return index.describe()


def _same_dense(prev: _Previous, dense: str | None) -> bool:
    """The live generation already holds the dense index kind this build would choose."""
    return backends.same_dense(prev.manifest.get("dense", {}), prev.manifest["counts"]["chunks"], dense)


def _manifest(documents, chunks, sentences, embedder, params) -> dict:
    per_doc: dict[str, int] = {}
    for c in chunks:
        per_doc[c.doc_id] = per_doc.get(c.doc_id, 0) + 1
    return {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "model": {"name": embedder.name, "fingerprint": embedder.fingerprint, "dim": embedder.dim,
                  "spec": getattr(embedder, "spec", embedder.name)},
        "chunking": params,
        "documents": {d.doc_id: {"content_hash": d.content_hash, "chunks": per_doc.get(d.doc_id, 0)}
                      for d in documents},
        "counts": {"documents": len(documents), "chunks": len(chunks), "sentences": len(sentences)},
        "versions": _versions(),
    }


def build_from_documents(documents: list[Document], index_dir: Path, embedder: Embedder | str | None = None,
                         full: bool = False, progress: Progress | None = None,
                         skipped=(), max_tokens: int = chunking.DEFAULT_MAX_TOKENS,
                         overlap: int = chunking.DEFAULT_OVERLAP, dense: str | None = "auto") -> BuildReport:
    """Build (or incrementally update) the index in `index_dir` from already-loaded documents.
    `dense` picks the dense index: "auto" (by size, see qa.backends.choose_kind), "flat" or "hnsw"."""
    t0 = time.perf_counter()
    if not documents:
        raise CorpusError("no documents to index")
    index_dir = Path(index_dir)
    embedder = load_embedder(embedder) if embedder is None or isinstance(embedder, str) else embedder
    params = {"max_tokens": min(max_tokens, embedder.max_tokens), "overlap": overlap,
              "splitter": "pysbd-per-paragraph"}
    report = BuildReport(skipped=list(skipped), documents=len(documents))
    with store.build_lock(index_dir):
        dense = backends.resolve_dense(index_dir, dense)  # "auto" stays on Qdrant when the live index is
        prev = _Previous(index_dir, embedder, params, full)
        report.removed = len(set(prev.docs) - {d.doc_id for d in documents})
        if prev.docs and not report.removed and len(prev.docs) == len(documents) and all(
                prev.same_doc(d) for d in documents) and _same_dense(prev, dense):
            report.chunks, report.unchanged = sum(map(len, prev.chunks.values())), True
            report.generation, report.seconds = prev.manifest["generation"], time.perf_counter() - t0
            return report
        chunks, sentences = _chunk_all(documents, embedder, params, prev, progress)
        texts = {d.doc_id: d.text for d in documents}
        chunk_vecs = _embed([c.text for c in chunks], embedder, prev, progress, report, "chunks")
        sent_vecs = _embed([texts[d][s:e] for d, s, e in sentences], embedder, prev, progress, report, "sentences")
        name, tmp = store.new_generation_dir(index_dir)
        live = store.current_generation(index_dir) if prev.docs else None  # nothing to lend on a full build
        described = _write(tmp, documents, chunks, sentences, chunk_vecs, sent_vecs, progress, dense, live)
        manifest = _manifest(documents, chunks, sentences, embedder, params) | {"dense": described}
        store.commit_generation(index_dir, name, tmp, manifest)
        backends.after_commit(index_dir)  # a Qdrant alias follows CURRENT; unused collections go
    report.chunks, report.generation = len(chunks), name
    report.seconds = time.perf_counter() - t0
    return report


def build_index(corpus_dir: Path, index_dir: Path, embedder: Embedder | str | None = None,
                full: bool = False, progress: Progress | None = None, dense: str | None = "auto") -> BuildReport:
    """Load the corpus folder and build the index from it (see build_from_documents)."""
    from .loader import load_corpus

    t0 = time.perf_counter()
    documents, skipped = load_corpus(Path(corpus_dir), progress=progress)
    report = build_from_documents(documents, index_dir, embedder, full, progress, skipped, dense=dense)
    report.seconds = time.perf_counter() - t0  # reading the corpus is part of every build
    return report
