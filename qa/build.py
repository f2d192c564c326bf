"""Incremental index builds: corpus -> documents -> chunks + sentences -> vectors -> a new generation.

Unchanged documents (same doc_id and content hash, same model fingerprint, encoder variant, sentence-
vector method and chunking) reuse their chunks, sentences and vectors from the live generation; any
other text whose exact string was embedded before with the same model is reused too. `full=True`
ignores all of that. The model's identity and token counter come from qa.model_info (config files and
`tokenizers`), and the encoder itself is loaded only when something must be encoded (qa.vectors), so
a no-change rebuild never loads it. Only one build runs at a time (a lock) and the result is switched
in atomically (see qa.store). This module does not answer questions.
"""
from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field, fields
from importlib import metadata
from pathlib import Path

import numpy as np

from . import backends, chunking, config, store, vectors
from .embedder import Embedder
from .model_info import ModelInfo, model_info
from .errors import CorpusError, IndexCorruptError, IndexMismatchError
from .progress import Progress, Stage
from .types import Chunk, Document, Skipped


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


_text_key = vectors.text_key


def _versions(encoder: str) -> dict:
    out = {"python": platform.python_version()}
    runtime = ("sentence-transformers", "torch") if encoder == "torch" else (
        ("onnxruntime", "onnx", "tokenizers") if encoder.startswith("onnx") else ())
    for pkg in ("numpy", "faiss-cpu", "bm25s", "sentencex", *runtime):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


class _Previous:
    """What the live generation can lend to this build (nothing when incompatible or `full`)."""

    def __init__(self, index_dir: Path, model: dict, params: dict, full: bool):
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
        if model != _model_entry_of(manifest) or manifest["chunking"] != params:
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


def _model_entry(embedder, sentence_vectors: str) -> dict:
    """What decides whether vectors are interchangeable: the weights, the variant, the sentence method."""
    return {"fingerprint": embedder.fingerprint, "encoder": getattr(embedder, "encoder", "torch"),
            "sentence_vectors": sentence_vectors}


def _model_entry_of(manifest: dict) -> dict:
    built = manifest["model"]  # indexes from before the ONNX encoder name neither (torch, standalone)
    return {"fingerprint": built["fingerprint"], "encoder": built.get("encoder", "torch"),
            "sentence_vectors": built.get("sentence_vectors", "standalone")}


def _manifest(documents, chunks, sentences, embedder, params, model: dict) -> dict:
    per_doc: dict[str, int] = {}
    for c in chunks:
        per_doc[c.doc_id] = per_doc.get(c.doc_id, 0) + 1
    return {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "model": {"name": embedder.name, "dim": embedder.dim, "spec": getattr(embedder, "spec", embedder.name),
                  **model},
        "chunking": params,
        "documents": {d.doc_id: {"content_hash": d.content_hash, "chunks": per_doc.get(d.doc_id, 0)}
                      for d in documents},
        "counts": {"documents": len(documents), "chunks": len(chunks), "sentences": len(sentences)},
        "versions": _versions(getattr(embedder, "encoder", "torch")),
    }


def build_from_documents(documents: list[Document], index_dir: Path, embedder: Embedder | str | None = None,
                         full: bool = False, progress: Progress | None = None,
                         skipped=(), max_tokens: int = chunking.DEFAULT_MAX_TOKENS,
                         overlap: int = chunking.DEFAULT_OVERLAP, sentence_vectors: str | None = None,
                         dense: str | None = "auto") -> BuildReport:
    """Build (or incrementally update) the index in `index_dir` from already-loaded documents.

    `sentence_vectors`: "standalone", "late-pooled" or "sentence-mean" (qa.vectors; default: the
    QA_SENTENCE_VECTORS setting). `dense` picks the dense index: "auto" (by size, see
    qa.backends.choose_kind), "flat" or "hnsw"."""
    t0 = time.perf_counter()
    if not documents:
        raise CorpusError("no documents to index")
    index_dir = Path(index_dir)
    # the identity alone (config files, a cached fingerprint, `tokenizers`): the model loads only if
    # something has to be encoded
    embedder = model_info(embedder) if embedder is None or isinstance(embedder, str) else embedder
    params = {"max_tokens": min(max_tokens, embedder.max_tokens), "overlap": overlap,
              "splitter": chunking.SPLITTER_ID}
    report = BuildReport(skipped=list(skipped), documents=len(documents))
    with store.build_lock(index_dir):
        method = sentence_vectors or config.settings().sentence_vectors
        model = _model_entry(embedder, method)
        dense = backends.resolve_dense(index_dir, dense)  # "auto" stays on Qdrant when the live index is
        prev = _Previous(index_dir, model, params, full)
        report.removed = len(set(prev.docs) - {d.doc_id for d in documents})
        if prev.docs and not report.removed and len(prev.docs) == len(documents) and all(
                prev.same_doc(d) for d in documents) and _same_dense(prev, dense):
            report.chunks, report.unchanged = sum(map(len, prev.chunks.values())), True
            report.generation, report.seconds = prev.manifest["generation"], time.perf_counter() - t0
            return report
        chunks, sentences = _chunk_all(documents, embedder, params, prev, progress)
        texts = {d.doc_id: d.text for d in documents}
        chunk_vecs, sent_vecs, fresh = vectors.make_vectors(chunks, sentences, texts, vectors.LazyEncoder(embedder),
                                                            prev.vectors, embedder.dim, progress, method)
        report.embedded, report.reused = fresh, len(chunks) + len(sentences) - fresh
        live = store.current_generation(index_dir) if prev.docs else None  # nothing to lend on a full build
        with store.new_generation(index_dir) as (name, tmp):  # a failed write removes the partial one
            described = _write(tmp, documents, chunks, sentences, chunk_vecs, sent_vecs, progress, dense, live)
            manifest = _manifest(documents, chunks, sentences, embedder, params, model) | {"dense": described}
            store.commit_generation(index_dir, name, tmp, manifest)
        backends.after_commit(index_dir)  # a Qdrant alias follows CURRENT; unused collections go
    report.chunks, report.generation = len(chunks), name
    report.seconds = time.perf_counter() - t0
    return report


def build_index(corpus_dir: Path, index_dir: Path, embedder: Embedder | str | None = None,
                full: bool = False, progress: Progress | None = None,
                sentence_vectors: str | None = None, dense: str | None = "auto") -> BuildReport:
    """Load the corpus folder and build the index from it (see build_from_documents)."""
    from .loader import load_corpus

    t0 = time.perf_counter()
    documents, skipped = load_corpus(Path(corpus_dir), progress=progress)
    report = build_from_documents(documents, index_dir, embedder, full, progress, skipped,
                                  sentence_vectors=sentence_vectors, dense=dense)
    report.seconds = time.perf_counter() - t0  # reading the corpus is part of every build
    return report
