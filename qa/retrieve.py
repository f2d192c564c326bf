"""Hybrid retrieval: BM25 and dense rankings fused, filtered, and near-duplicates grouped.

Fusion mixes min-max-normalised dense and BM25 scores by default ("weighted"); reciprocal rank
fusion ("rrf") is the alternative, and `qa eval --fusion` compares them. Passages that are
near-copies of a higher-ranked passage from another article (syndication) are folded into it: the
kept passage lists them in `also_in`.
This module returns ranked passages; it does not pick sentences or write answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import config
from .backends.rows import FILTER_KEYS
from .entities import country_expansion
from .index import Index
from .types import Passage

DEFAULT_FUSION = "weighted"  # beat RRF on every labelled set (Lee dev recall@1 92.9% vs 87.1%; docs/evaluation.md)
RRF_K = 60  # the usual constant from Cormack et al.; flattens the head of each ranking
POOL = 50  # candidates taken from each ranker before fusion
# for fusion="weighted" (setting QA_DENSE_WEIGHT); chosen on the Lee news dev split (real news, unseen by the
# rules): dense weight 0 / 0.3 / 0.45 / 0.6 / 1 gave recall@1 90.0 / 92.9 / 91.4 / 91.4 / 84.3% and answer hit
# 88.6 / 88.6 / 88.6 / 87.1 / 84.3%; news BM25 is strong (names, numbers), the dense side adds paraphrase
DENSE_WEIGHT = config.DENSE_WEIGHT
DUP_COSINE = 0.9  # chunk vectors this close are the same passage told twice
DUP_JACCARD = 0.5  # or this much word-trigram overlap (syndicated copy with small edits)
DUP_MIN_COSINE = 0.5


@dataclass
class Hit:
    row: int  # chunk row in the index
    score: float  # fused score
    dense: float
    lexical: float


def allowed_rows(index: Index, filters: dict | None) -> np.ndarray | None:
    """Sorted chunk rows allowed by {"doc_ids": [...], "date_from": ISO, "date_to": ISO}, or None for all.
    Built from per-document row ranges and dates with numpy (qa.backends.rows), not per chunk; without a
    filter the per-document table is never built (it reads every article's row once)."""
    if not filters or not any(filters.get(k) for k in FILTER_KEYS):
        return None
    return index.doc_rows.allowed(filters)


def _dense_ranking(index: Index, qvec: np.ndarray, allowed: np.ndarray | None, pool: int):
    return index.dense.search(qvec, pool, allowed)


def lexical_query(question: str) -> str:
    """The question as BM25 searches it: with the other common form of each country that qualifies a noun,
    since news writes "Nigerian President X" where the question says "president of Nigeria" (qa.entities).
    A country named as a place ("fired at Ukraine") is left alone: its other form only tilted the ranking
    toward articles that use both (news recall@1 100 -> 97.4% when every country was expanded)."""
    extra = country_expansion(question, modifiers_only=True)
    return f"{question} {extra}" if extra else question


def _lexical_ranking(index: Index, query: str, allowed: np.ndarray | None, pool: int):
    return index.bm25.top_k(query, pool, allowed)


def fuse(
    dense_rows, dense_scores, lex_rows, lex_scores, fusion: str = DEFAULT_FUSION, dense_weight: float = DENSE_WEIGHT
) -> dict[int, float]:
    """Fused score per chunk row from the two rankings (`dense_weight` for fusion="weighted")."""
    fused: dict[int, float] = {}
    if fusion == "rrf":
        for rows in (dense_rows, lex_rows):
            for rank, row in enumerate(rows):
                fused[int(row)] = fused.get(int(row), 0.0) + 1.0 / (RRF_K + rank + 1)
        return fused
    for rows, scores, weight in ((dense_rows, dense_scores, dense_weight), (lex_rows, lex_scores, 1 - dense_weight)):
        if len(rows) == 0:
            continue
        lo, hi = float(np.min(scores)), float(np.max(scores))
        for row, s in zip(rows, scores, strict=True):
            norm = (float(s) - lo) / (hi - lo) if hi > lo else 1.0
            fused[int(row)] = fused.get(int(row), 0.0) + weight * norm
    return fused


def search(
    index: Index,
    qvec: np.ndarray,
    question: str,
    filters: dict | None = None,
    fusion: str = DEFAULT_FUSION,
    pool: int = POOL,
    dense_weight: float = DENSE_WEIGHT,
) -> list[Hit]:
    """All fused candidates, best first (no grouping)."""
    allowed = allowed_rows(index, filters)
    if allowed is not None and not len(allowed):
        return []
    d_rows, d_scores = _dense_ranking(index, qvec, allowed, pool)
    query = lexical_query(question)
    l_rows, l_scores = _lexical_ranking(index, query, allowed, pool)
    fused = fuse(d_rows, d_scores, l_rows, l_scores, fusion, dense_weight)
    rows = np.fromiter(fused, dtype=np.int64, count=len(fused))
    # only the fused candidates (at most 2 * pool) are re-scored, never every row
    dense_all = index.chunk_vectors[rows] @ qvec if fused else []
    lex_all = index.bm25.scores_for(query, rows)
    hits = [
        Hit(row, score, float(d), float(lx))
        for (row, score), d, lx in zip(fused.items(), dense_all, lex_all, strict=True)
    ]
    hits.sort(key=lambda h: (-h.score, h.row))
    return hits


def near_duplicate(index: Index, a: int, b: int) -> bool:
    """Two chunks from different articles that tell the same passage."""
    ca, cb = index.chunks[a], index.chunks[b]
    if ca.doc_id == cb.doc_id:
        return False
    cosine = float(index.chunk_vectors[a] @ index.chunk_vectors[b])
    if cosine >= DUP_COSINE:
        return True
    if cosine < DUP_MIN_COSINE:  # cheap early exit: copies with small edits stay close in vector space
        return False
    ta, tb = index.chunk_trigrams(a), index.chunk_trigrams(b)
    return bool(ta and tb) and len(ta & tb) / len(ta | tb) >= DUP_JACCARD


def group(index: Index, hits: list[Hit], k: int) -> list[tuple[Hit, list[Hit]]]:
    """The top `k` distinct passages, each with the near-duplicates folded into it."""
    groups: list[tuple[Hit, list[Hit]]] = []
    for hit in hits[: 4 * k]:  # a copy ranked far below its original adds nothing worth the time
        home = next((g for g in groups if near_duplicate(index, g[0].row, hit.row)), None)
        if home is not None:
            home[1].append(hit)
        elif len(groups) < k:
            groups.append((hit, []))
    return groups


def to_passage(index: Index, rank: int, hit: Hit, dups: list[Hit]) -> Passage:
    chunk = index.chunks[hit.row]
    doc = index.documents[chunk.doc_id]
    also = [
        {
            "doc_id": index.chunks[d.row].doc_id,
            "title": index.documents[index.chunks[d.row].doc_id].title,
            "start": index.chunks[d.row].start,
            "end": index.chunks[d.row].end,
        }
        for d in dups
    ]
    return Passage(
        rank,
        doc.doc_id,
        doc.title,
        doc.source,
        doc.date,
        chunk.text,
        chunk.start,
        chunk.end,
        round(hit.score, 6),
        chunk.chunk_id,
        also,
    )


SIMILAR_CHUNKS = 100  # chunks searched for sentences like a given one (bounds corroboration's cost)
# half the dense index's search breadth for those candidates: at 1M chunks HNSW efSearch 384 instead of
# 768 keeps recall@10 at 0.942 (vs 0.974) in 4.6 instead of 8.5 ms a search (benchmarks/ef_sweep.py), and
# the candidates only feed a cosine filter; an exact scan is unaffected
SIMILAR_BREADTH = 0.5


def similar_sentences(index: Index, row: int, k: int, chunks: int = SIMILAR_CHUNKS) -> tuple[np.ndarray, np.ndarray]:
    """The `k` sentence rows most similar to sentence `row` (itself included), with their cosines, best
    first. Candidates are the sentences of the `chunks` chunks nearest to that sentence's vector in the
    dense index, so the cost does not grow with the corpus (a sentence close to this one makes its chunk
    close too)."""
    vec = index.sentence_vectors[row]
    chunk_rows, _ = index.dense.search(vec, chunks, breadth=SIMILAR_BREADTH)
    candidates = np.array(
        sorted({row}.union(*(index.chunk_sentence_rows[c] for c in chunk_rows.tolist()))), dtype=np.int64
    )
    sims = index.sentence_vectors[candidates] @ vec
    order = np.lexsort((candidates, -sims))[:k]
    return candidates[order], sims[order]
