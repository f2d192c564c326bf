"""What an incremental build keeps, deletes, merges and adds: segments and tombstones (Lucene-style).

The live generation's segments are immutable. A build compares the corpus with the live documents
(content hash and metadata, read from each segment's SQLite table, no text): new and changed articles
go into one new segment, removed and changed ones become tombstones (deleted doc rows) in the segment
that holds them, and the kept segments are hard-linked into the new generation.
Merge policy (MAX_SEGMENTS, MERGE_WIDTH, MAX_DELETED_SHARE): a segment whose deleted rows pass a
quarter of its rows is rewritten without them; when a build would leave more than MAX_SEGMENTS
segments, the MERGE_WIDTH smallest (by live chunks) are merged, so sizes grow geometrically and the
large base is rewritten only when it is among the smallest or rots; a segment whose dense index is not
the kind the build asks for is rewritten too (a Qdrant index is always one segment). Rewriting reuses
chunks and vectors (nothing is re-embedded). `--full` writes one segment from scratch.
This module reads segments and plans; qa.build writes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import backends, store, vectors
from .errors import QAError
from .segment import Segment
from .types import Document

MAX_SEGMENTS = 8
MERGE_WIDTH = 4
MAX_DELETED_SHARE = 0.25
_META = ("content_hash", "title", "date", "source", "path", "segments")


@dataclass
class Live:
    """The live generation as this build sees it: opened segments and each live doc's place."""

    gen: Path
    manifest: dict
    segments: list[Segment]
    where: dict[str, tuple[int, int, tuple]] = field(default_factory=dict)  # doc_id -> (seg, row, meta)

    @classmethod
    def open(cls, index_dir: Path, model: dict, params: dict, model_of) -> Live | None:
        """None when there is no live generation, or it is unreadable or incompatible (a full build)."""
        try:
            gen = store.current_generation(index_dir)
            if gen is None:
                return None
            manifest = store.read_manifest(gen)
            if model != model_of(manifest) or manifest["chunking"] != params:
                return None
            live = cls(gen, manifest, [Segment(gen / s["name"], s, manifest) for s in manifest["segments"]])
        except QAError:  # an unreadable, older or unreachable index just means a full build
            return None
        cols = ", ".join(_META)
        for i, seg in enumerate(live.segments):
            for row, doc_id, *meta in seg.query(f"SELECT row, doc_id, {cols} FROM documents ORDER BY row"):
                if not seg.is_deleted(row):
                    live.where[doc_id] = (i, row, tuple(meta))
        return live

    def same(self, doc: Document) -> bool:
        got = self.where.get(doc.doc_id)
        return got is not None and got[2] == _meta_of(doc)

    def live_chunks(self) -> int:
        return sum(live_rows(s, [])[0] for s in self.segments)


def _meta_of(doc: Document) -> tuple:
    return (doc.content_hash, doc.title, doc.date, doc.source, doc.path, json.dumps(doc.segments))


@dataclass
class Plan:
    fresh: list[Document]  # to chunk (and embed, unless known) into the new segment
    deleted: dict[int, list[int]]  # segment index -> doc rows deleted by this build (old and new)
    keep: list[int]  # segment indexes linked as they are
    rewrite: list[int]  # segment indexes whose live rows go into the new segment
    removed: int = 0

    @property
    def unchanged(self) -> bool:
        return not self.fresh and not self.rewrite and not any(self.deleted.values())


def plan(live: Live, documents: list[Document], dense) -> Plan:
    wanted = {d.doc_id for d in documents}
    fresh = [d for d in documents if not live.same(d)]
    deleted: dict[int, list[int]] = {i: [] for i in range(len(live.segments))}
    gone = [doc_id for doc_id in live.where if doc_id not in wanted]
    for doc_id in gone + [d.doc_id for d in fresh if d.doc_id in live.where]:
        seg, row, _ = live.where[doc_id]
        deleted[seg].append(row)
    rewrite = [i for i, seg in enumerate(live.segments) if _rots(seg, deleted[i]) or not _dense_ok(seg, dense)]
    if isinstance(dense, Mapping) and (fresh or gone):  # Qdrant: one collection, so one segment
        rewrite = list(range(len(live.segments)))
    keep = [i for i in range(len(live.segments)) if i not in rewrite]
    if len(keep) + 1 > MAX_SEGMENTS:
        by_size = sorted(keep, key=lambda i: live.segments[i].n_chunks - len(deleted[i]))
        rewrite += by_size[:MERGE_WIDTH]
        keep = [i for i in keep if i not in rewrite]
    return Plan(fresh, deleted, keep, sorted(rewrite), removed=len(gone))


def _rots(seg: Segment, new_deleted: list[int]) -> bool:
    dead = len(seg.deleted) + len(new_deleted)
    return dead > 0 and (dead == seg.n_docs or dead_share(seg, new_deleted) > MAX_DELETED_SHARE)


def dead_share(seg: Segment, new_deleted: list[int]) -> float:
    return 1 - live_rows(seg, new_deleted)[0] / max(seg.n_chunks, 1)


def live_rows(seg: Segment, new_deleted: list[int]) -> tuple[int, int]:
    """(chunk rows, sentence rows) of `seg` not deleted, counting this build's tombstones `new_deleted`."""
    rows = np.union1d(seg.deleted, np.asarray(new_deleted, dtype=np.int64)).astype(np.int64)
    dead_chunks = int((seg.doc_chunk_ptr[rows + 1] - seg.doc_chunk_ptr[rows]).sum())
    dead_sents = int((seg.doc_sent_ptr[rows + 1] - seg.doc_sent_ptr[rows]).sum())
    return seg.n_chunks - dead_chunks, seg.n_sents - dead_sents


def _dense_ok(seg: Segment, dense) -> bool:
    info = seg.info["dense"]
    if isinstance(dense, Mapping) or info.get("backend") == "qdrant":
        return backends.same_dense(info, seg.n_chunks, dense)
    return info.get("backend", "faiss") == "faiss" and info.get("kind") == backends.choose_kind(seg.n_chunks, dense)


def known_vectors(live: Live, fresh: list[Document]) -> dict[str, np.ndarray]:
    """text key -> vector of the old versions of changed articles (an edit re-embeds only new text)."""
    known: dict[str, np.ndarray] = {}
    for doc in fresh:
        if doc.doc_id not in live.where:
            continue
        i, row, _ = live.where[doc.doc_id]
        seg = live.segments[i]
        old = seg.document(row)
        for r in range(int(seg.doc_chunk_ptr[row]), int(seg.doc_chunk_ptr[row + 1])):
            known[vectors.text_key(seg.chunk(r).text)] = np.asarray(seg.chunk_vectors[r])
        for r in range(int(seg.doc_sent_ptr[row]), int(seg.doc_sent_ptr[row + 1])):
            s, e = (int(x) for x in seg.sent_spans[r])
            known[vectors.text_key(old.text[s:e])] = np.asarray(seg.sentence_vectors[r])
    return known


def contents(seg: Segment, deleted: list[int]):
    """(documents, chunks, sentences, chunk rows, sentence rows) of a segment's live documents, for a
    rewrite: the rows index its vector files."""
    dead = set(seg.deleted.tolist()) | set(deleted)
    docs, chunks, sentences, chunk_rows, sent_rows = [], [], [], [], []
    for row in range(seg.n_docs):
        if row in dead:
            continue
        doc = seg.document(row)
        docs.append(doc)
        c0, c1 = int(seg.doc_chunk_ptr[row]), int(seg.doc_chunk_ptr[row + 1])
        s0, s1 = int(seg.doc_sent_ptr[row]), int(seg.doc_sent_ptr[row + 1])
        chunks += [seg.chunk(r) for r in range(c0, c1)]
        sentences += [(doc.doc_id, int(s), int(e)) for s, e in seg.sent_spans[s0:s1]]
        chunk_rows.append(np.arange(c0, c1))
        sent_rows.append(np.arange(s0, s1))
    cat = lambda parts: np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)
    return docs, chunks, sentences, cat(chunk_rows), cat(sent_rows)


def with_rewrites(live: Live, plan_: Plan, docs, chunks, sentences, chunk_vecs, sent_vecs):
    """The new segment's rows: those of the segments `plan_` rewrites (vectors reused) before the fresh
    ones given."""
    for i in plan_.rewrite:
        seg = live.segments[i]
        more, more_chunks, more_sents, c_rows, s_rows = contents(seg, plan_.deleted[i])
        docs, chunks, sentences = more + docs, more_chunks + chunks, more_sents + sentences
        chunk_vecs = np.concatenate([np.asarray(seg.chunk_vectors[c_rows]), chunk_vecs])
        sent_vecs = np.concatenate([np.asarray(seg.sentence_vectors[s_rows]), sent_vecs])
    return docs, chunks, sentences, chunk_vecs, sent_vecs


def segment_name() -> str:
    return "seg-" + uuid.uuid4().hex[:12]


def kept_infos(live: Live, plan_: Plan) -> tuple[list[dict], dict[str, str]]:
    """Manifest entries of the kept segments (with this build's tombstones) and their files' hashes."""
    infos: list[dict] = []
    known: dict[str, str] = {}
    for i in plan_.keep:
        info = dict(live.segments[i].info)
        info["deleted"] = sorted(set(info.get("deleted", [])) | set(plan_.deleted[i]))
        infos.append(info)
        prefix = info["name"] + "/"
        known |= {n: h for n, h in live.manifest["files"].items() if n.startswith(prefix)}
    return infos, known
