"""Incremental index builds: corpus -> documents -> chunks + sentences -> vectors -> a new generation.

An index generation is a list of immutable segments (qa.segment) plus tombstones. With the same model
fingerprint, encoder variant, sentence-vector method and chunking as the live generation, unchanged
documents stay in their segments untouched (hard-linked), new and changed ones are chunked and
embedded into one new segment (the old version's vectors are reused for text it still has), and
removed or changed ones are deleted by tombstone; qa.incremental plans that and when to merge.
`full=True`, or an incompatible live index, writes one segment from scratch. The model's identity
and token counter come from qa.model_info (config files and `tokenizers`), and the encoder itself is
loaded only when something must be encoded (qa.vectors), so a no-change rebuild never loads it.
Only one build runs at a time (a lock) and the result is switched in atomically (see qa.store).
This module does not answer questions.
"""

from __future__ import annotations

import contextlib
import platform
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from . import backends, chunking, config, incremental, segment_write, store, vectors
from .embedder import Embedder
from .errors import CorpusError
from .model_info import model_info
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
        lines = [
            f"Indexed {self.documents} documents, {self.chunks} chunks "
            f"({self.embedded} texts embedded, {self.reused} reused, {self.removed} removed) "
            f"in {self.seconds:.1f}s" + (" - nothing changed" if self.unchanged else "") + "."
        ]
        if self.skipped:
            lines.append(f"Skipped {len(self.skipped)} file(s):")
            lines += [f"  {s.path}: {s.reason}" for s in self.skipped]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "skipped"} | {
            "skipped": [s.to_dict() for s in self.skipped]
        }


_text_key = vectors.text_key


def _versions(encoder: str) -> dict:
    out = {"python": platform.python_version()}
    runtime = (
        ("sentence-transformers", "torch")
        if encoder == "torch"
        else (("onnxruntime", "onnx", "tokenizers") if encoder.startswith("onnx") else ())
    )
    for pkg in ("numpy", "faiss-cpu", "bm25s", "sentencex", *runtime):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[pkg] = metadata.version(pkg)
    return out


def _chunk_all(
    documents, embedder, params, progress: Progress | None
) -> tuple[list[Chunk], list[tuple[str, int, int]]]:
    chunks: list[Chunk] = []
    sentences: list[tuple[str, int, int]] = []
    with Stage("Splitting into sentences and chunks", len(documents), progress, unit="doc") as stage:
        for doc in documents:
            doc_chunks = chunking.chunk_document(doc, embedder.count_tokens, params["max_tokens"], params["overlap"])
            chunks.extend(doc_chunks)
            spans = sorted({s for c in doc_chunks for s in c.sentences})
            sentences.extend((doc.doc_id, s, e) for s, e in spans)
            stage.advance()
    return chunks, sentences


def _write_dense(directory: Path, vectors: np.ndarray, kind: str | Mapping | None = "auto") -> dict:
    """The dense index chosen by size (or `kind`: flat, hnsw), saved; its description for the manifest."""
    index = backends.build_dense(vectors, kind)
    index.save(directory)
    return index.describe()


def write_segment(
    tmp: Path,
    documents,
    chunks,
    sentences,
    chunk_vecs,
    sent_vecs,
    progress: Progress | None = None,
    dense: str | Mapping | None = "auto",
    kept: Sequence[dict] = (),
) -> dict:
    """Every file of one new segment of the generation being written in `tmp`, beside the `kept`
    segments' entries; its manifest entry."""
    directory = tmp / incremental.segment_name()
    prior = (sum(k["tokens"] for k in kept), sum(k["chunks"] for k in kept))
    with Stage("Writing the index", 6, progress, unit="file") as stage:
        return segment_write.write_segment(
            directory,
            documents,
            chunks,
            sentences,
            chunk_vecs,
            sent_vecs,
            lambda vecs: _write_dense(directory, vecs, dense),
            stage,
            prior,
        )


def _model_entry(embedder, sentence_vectors: str) -> dict:
    """What decides whether vectors are interchangeable: the weights, the variant, the sentence method."""
    return {
        "fingerprint": embedder.fingerprint,
        "encoder": getattr(embedder, "encoder", "torch"),
        "sentence_vectors": sentence_vectors,
    }


def _model_entry_of(manifest: dict) -> dict:
    built = manifest["model"]  # indexes from before the ONNX encoder name neither (torch, standalone)
    return {
        "fingerprint": built["fingerprint"],
        "encoder": built.get("encoder", "torch"),
        "sentence_vectors": built.get("sentence_vectors", "standalone"),
    }


def _manifest(segments: list[dict], embedder, params, model: dict, live_docs: int) -> dict:
    main = max(segments, key=lambda s: s["chunks"])
    return {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "model": {
            "name": embedder.name,
            "dim": embedder.dim,
            "spec": getattr(embedder, "spec", embedder.name),
            **model,
        },
        "chunking": params,
        "counts": {
            "documents": live_docs,
            "chunks": sum(s["chunks"] for s in segments),
            "sentences": sum(s["sentences"] for s in segments),
        },
        "segments": segments,
        "dense": main["dense"],
        "versions": _versions(getattr(embedder, "encoder", "torch")),
    }


def build_from_documents(
    documents: list[Document],
    index_dir: Path,
    embedder: Embedder | str | None = None,
    full: bool = False,
    progress: Progress | None = None,
    skipped=(),
    max_tokens: int = chunking.DEFAULT_MAX_TOKENS,
    overlap: int = chunking.DEFAULT_OVERLAP,
    sentence_vectors: str | None = None,
    dense: str | Mapping | None = "auto",
) -> BuildReport:
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
    identity = model_info(embedder) if embedder is None or isinstance(embedder, str) else embedder
    params = {"max_tokens": min(max_tokens, identity.max_tokens), "overlap": overlap, "splitter": chunking.SPLITTER_ID}
    report = BuildReport(skipped=list(skipped), documents=len(documents))
    with store.build_lock(index_dir):
        model = _model_entry(identity, sentence_vectors or config.settings().sentence_vectors)
        choice = backends.resolve_dense(index_dir, dense)  # "auto" stays on Qdrant when the live index is
        live = None if full else incremental.Live.open(index_dir, model, params, _model_entry_of)
        plan = incremental.plan(live, documents, choice) if live else None
        if live is not None and plan is not None and plan.unchanged:
            report.chunks, report.unchanged = live.live_chunks(), True
            report.generation, report.seconds = live.manifest["generation"], time.perf_counter() - t0
            return report
        report.removed = plan.removed if plan else 0
        name = _write_generation(index_dir, documents, live, plan, identity, params, model, choice, progress, report)
        backends.after_commit(index_dir)  # a Qdrant alias follows CURRENT; unused collections go
    report.generation = name
    report.seconds = time.perf_counter() - t0
    return report


def _write_generation(
    index_dir, documents, live, plan, embedder, params, model, dense, progress, report: BuildReport
) -> str:
    """Chunk and embed what is new, gather what is rewritten, write the new segment beside the kept
    ones (hard links) and commit the generation."""
    fresh = plan.fresh if plan else documents
    chunks, sentences = _chunk_all(fresh, embedder, params, progress)
    known = incremental.known_vectors(live, fresh) if live else {}
    chunk_vecs, sent_vecs, embedded = vectors.make_vectors(
        chunks,
        sentences,
        {d.doc_id: d.text for d in fresh},
        vectors.LazyEncoder(embedder),
        known,
        embedder.dim,
        progress,
        model["sentence_vectors"],
    )
    report.embedded = embedded
    rows = (list(fresh), chunks, sentences, chunk_vecs, sent_vecs)
    docs, chunks, sentences, chunk_vecs, sent_vecs = incremental.with_rewrites(live, plan, *rows) if plan else rows
    infos, known_files = incremental.kept_infos(live, plan) if plan else ([], {})
    live_docs = len(docs) + sum(i["documents"] - len(i["deleted"]) for i in infos)
    with store.new_generation(index_dir) as (name, tmp):  # a failed write removes the partial one
        for info in infos:
            store.link_tree(live.gen / info["name"], tmp / info["name"])
        if docs:
            infos.append(write_segment(tmp, docs, chunks, sentences, chunk_vecs, sent_vecs, progress, dense, infos))
        manifest = _manifest(infos, embedder, params, model, live_docs)
        store.commit_generation(index_dir, name, tmp, manifest, known_files)
    kept = [incremental.live_rows(live.segments[i], plan.deleted[i]) for i in (plan.keep if plan else ())]
    report.chunks = len(chunks) + sum(c for c, _ in kept)
    # texts whose vectors came from the previous generation: kept, rewritten or an old version's
    report.reused = len(chunks) + len(sentences) - report.embedded + sum(c + s for c, s in kept)
    return name


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder | str | None = None,
    full: bool = False,
    progress: Progress | None = None,
    sentence_vectors: str | None = None,
    dense: str | Mapping | None = "auto",
) -> BuildReport:
    """Load the corpus folder and build the index from it (see build_from_documents)."""
    from .loader import load_corpus

    t0 = time.perf_counter()
    documents, skipped = load_corpus(Path(corpus_dir), progress=progress)
    report = build_from_documents(
        documents, index_dir, embedder, full, progress, skipped, sentence_vectors=sentence_vectors, dense=dense
    )
    report.seconds = time.perf_counter() - t0  # reading the corpus is part of every build
    return report
