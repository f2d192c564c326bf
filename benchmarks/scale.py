"""Costs at archive size: ask latency, dense recall, load time, memory, and one-article updates.

For each --chunks N, a synthetic archive (benchmarks/scale_data.py: texts from a word list, vectors
in a word-sum space, no encoder) is written straight into an index generation, then a fresh process
measures it: `Assistant.load` (load_s) and the first question after it (first_ask_ms; with --cold both
start from a page cache the index's files were evicted from, as after a reboot), resident memory after
load and after the questions (rss_gb is the larger; rss_anon_gb the part that is not pages of the
memory-mapped index files, which the kernel can drop), `Assistant.ask` p50/p95 for questions made of
6 words of a random chunk (the question is embedded by scale_data.WordSumEmbedder, which lives in the
synthetic vectors' space; the real MiniLM does not), recall@10 of the dense index against an exact
scan on those questions, and the wall time of an incremental `build_from_documents` that adds one
article (add_one_s) and then removes one (delete_one_s), with the peak memory those builds added.
Goals at 1M chunks (issue 13): p50 <= 50 ms, p95 <= 100 ms, recall >= 0.95, load <= 3 s, RSS <= 2.5 GB,
add <= 5 s, delete <= 2 s.

    python benchmarks/scale.py --chunks N [--chunks M ...] [--questions 100] [--dense auto|flat|hnsw]
                               [--backend faiss|qdrant ...] [--keep DIR] [--cold]
    python benchmarks/scale.py --_generate DIR N auto                               # keep an archive
    python benchmarks/scale.py --_measure DIR N [--cold] [--no-updates] [--seed S]  # measure a kept one

`--backend qdrant` puts the dense index in a Qdrant collection in qdrant-client's local mode (a folder
beside the index; an exact in-Python scan, not the server's HNSW); several --backend run one after the
other on the same synthetic archive. dense_build_s is the time spent writing the dense index.

Prints human-readable lines, then one JSON object per size on its own line with the keys chunks,
p50_ms, p95_ms, recall_at_10, load_s, rss_gb, add_one_s, delete_one_s (and a few more).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale_data as sd  # noqa: E402

from qa.eval_data import percentile  # noqa: E402


def rss_gb(field: str = "VmRSS") -> float:
    """Resident memory (VmRSS), or its anonymous part (RssAnon: not pages of mapped index files)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 2**20
    return float("nan")


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def make_questions(index, n: int, seed: int = 7) -> list[str]:
    """Questions made of 6 words of one sentence of a random chunk (most get answered, so the answer
    path with its corroboration search runs, not only abstention)."""
    rng = np.random.default_rng(seed)
    out = []
    for row in rng.choice(len(index.chunks), n, replace=False).tolist():
        chunk = index.chunks[row]
        s, e = chunk.sentences[rng.integers(len(chunk.sentences))]
        words = sorted(set(index.documents[chunk.doc_id].text[s:e].lower().rstrip(".").split()))
        out.append("What do the articles say about " + " ".join(rng.choice(words, 6, replace=False)) + "?")
    return out


def make_questions_from(index_dir: Path, n: int, seed: int = 7) -> list[str]:
    """make_questions in a child process: the parent's reads of the index would warm the page cache."""
    out = _child(["--_questions", str(index_dir), str(n), str(seed)])
    return json.loads(out.strip().splitlines()[-1])


def exact_top(index, qvecs: np.ndarray, k: int = 10) -> np.ndarray:
    """The k best chunk rows of each question by an exact scan of the stored chunk vectors."""
    exact = np.zeros((len(qvecs), k), dtype=np.int64)
    best = np.full((len(qvecs), k), -np.inf, dtype=np.float32)
    for lo in range(0, len(index.chunk_vectors), 200_000):  # bounded memory for the exact scan
        sims = qvecs @ np.asarray(index.chunk_vectors[lo : lo + 200_000]).T
        cand_rows = np.concatenate([exact, np.argsort(-sims, axis=1)[:, :k] + lo], axis=1)
        cand = np.concatenate([best, np.take_along_axis(sims, cand_rows[:, k:] - lo, axis=1)], axis=1)
        top = np.argsort(-cand, axis=1)[:, :k]
        exact, best = np.take_along_axis(cand_rows, top, axis=1), np.take_along_axis(cand, top, axis=1)
    return exact


def recall(got: list[np.ndarray], exact: np.ndarray) -> float:
    k = exact.shape[1]
    return float(np.mean([len(set(g.tolist()) & set(e.tolist())) / k for g, e in zip(got, exact, strict=True)]))


def dense_recall(index, qvecs: np.ndarray, k: int = 10) -> float:
    """recall@k of the index's dense search against an exact scan of the stored chunk vectors."""
    return recall([index.dense.search(q, k)[0] for q in qvecs], exact_top(index, qvecs, k))


def evict(directory: Path) -> int:
    """Drop every file of `directory` from the page cache (written pages flushed first), as after a
    reboot: what a cold load reads comes from the disk. Returns the bytes evicted."""
    total = 0
    for path in Path(directory).rglob("*"):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                total += os.fstat(fd).st_size
            finally:
                os.close(fd)
    return total


def time_asks(assistant, qs: list[str]) -> tuple[list[float], int]:
    """Milliseconds per `ask` after 5 warm-up questions, and how many answers abstained."""
    for q in qs[:5]:
        assistant.ask(q)
    times, abstained = [], 0
    for q in qs[5:]:
        t0 = time.perf_counter()
        abstained += assistant.ask(q).abstained
        times.append((time.perf_counter() - t0) * 1000)
    return times, abstained


def measure(index_dir: Path, n_questions: int, cold: bool = False, updates: bool = True, seed: int = 7) -> dict:
    """Load, first question, then the timed questions; with `cold`, the index's files are evicted from
    the page cache first (load_s and first_ask_ms are then what a user feels after a reboot). Without
    `updates` the index is left as it was (no add/delete build), for repeated measurements."""
    from qa import Assistant
    from qa.build import build_from_documents

    embedder = sd.WordSumEmbedder(sd.vocabulary())
    qs = make_questions_from(index_dir, n_questions + 5, seed)
    evicted = evict(index_dir) if cold else 0
    before = rss_gb()
    t0 = time.perf_counter()
    assistant = Assistant.load(index_dir, model=embedder)
    row = {"load_s": time.perf_counter() - t0, "rss_after_load_gb": rss_gb(), "rss_before_load_gb": before}
    t0 = time.perf_counter()
    assistant.ask(qs[0])  # also the first warm-up question of time_asks
    row |= {"first_ask_ms": (time.perf_counter() - t0) * 1000, "cold": cold, "evicted_gb": evicted / 2**30}
    index = assistant.index
    times, abstained = time_asks(assistant, qs)
    row |= {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95), "abstained": abstained}
    # memory of the product (load + questions); the exact scan below maps every chunk vector and is
    # the benchmark's own reference, not something `ask` does
    row |= {"rss_gb": max(row["rss_after_load_gb"], rss_gb()), "rss_anon_gb": rss_gb("RssAnon")}
    row |= {"recall_at_10": dense_recall(index, embedder.encode(qs)), "dense": index.dense.describe()}
    if updates:
        row |= update_costs(index_dir, index, embedder, build_from_documents)
    return row


def update_costs(index_dir: Path, index, embedder, build_from_documents) -> dict:
    """Wall time of an incremental build adding one article, then of one removing an article."""
    docs = list(index.documents.values())
    rng = np.random.default_rng(11)
    ids = rng.integers(0, sd.VOCAB, size=(sd.CHUNKS_PER_DOC, sd.SENTENCES_PER_CHUNK, sd.WORDS_PER_SENTENCE))
    new, _, _ = sd.make_document(embedder.words, ids, 0, "2026-01-01", tag="new")
    base = rss_gb()
    t0 = time.perf_counter()
    added = build_from_documents(docs + [new], index_dir, embedder)
    out = {"add_one_s": time.perf_counter() - t0, "add_one_embedded": added.embedded}
    t0 = time.perf_counter()
    removed = build_from_documents(docs[1:] + [new], index_dir, embedder)
    out |= {
        "delete_one_s": time.perf_counter() - t0,
        "delete_one_removed": removed.removed,
        "update_peak_extra_gb": max(0.0, peak_gb() - base),
    }
    return out


def run_size(n: int, args, backend: str = "faiss") -> dict:
    with tempfile.TemporaryDirectory(prefix="qa-scale-", dir=args.keep) as tmp:
        index_dir = Path(tmp) / "index"
        dense = args.dense
        if backend == "qdrant":
            from qa.backends import qdrant

            dense = json.dumps(qdrant.location(path=index_dir / "qdrant"))
        t0 = time.perf_counter()
        built = json.loads(_child(["--_generate", str(index_dir), str(n), dense]).strip().splitlines()[-1])
        generate_s = time.perf_counter() - t0
        out = _child(["--_measure", str(index_dir), str(args.questions)] + (["--cold"] if args.cold else []))
        row = json.loads(out.strip().splitlines()[-1])
        return {
            "chunks": n,
            "backend": backend,
            "generate_s": generate_s,
            "dense_build_s": built["dense_build_s"],
        } | row


def generate(index_dir: Path, n: int, dense: str) -> dict:
    """Write the synthetic archive; the time spent in the dense index's build is measured apart."""
    from qa import backends, build

    write_dense = build._write_dense
    spent = []

    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return write_dense(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - t0)

    build._write_dense = timed
    choice = json.loads(dense) if dense.startswith("{") else dense
    manifest = sd.write_index(index_dir, n, sd.WordSumEmbedder(sd.vocabulary()), dense=choice)
    backends.after_commit(index_dir)  # what qa.build does after a commit (a Qdrant alias)
    return {"dense": manifest["dense"], "dense_build_s": sum(spent)}


def _child(argv: list[str]) -> str:
    """Run a step in a fresh process, so load time and memory are those of a process that only loads."""
    done = subprocess.run([sys.executable, __file__, *argv], stdout=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"step {argv[0]} failed with exit code {done.returncode}")
    return done.stdout


def describe(r: dict) -> str:
    params = {k: v for k, v in r["dense"]["params"].items() if k not in ("path", "url", "timeout")}
    return (
        f"[{r['chunks']} chunks, {r['backend']} dense {r['dense']['kind']} {params}] generated in "
        f"{r['generate_s']:.0f} s (dense index {r['dense_build_s']:.1f} s)\n"
        f"  ask p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms ({r['abstained']} abstained); "
        f"dense recall@10 {r['recall_at_10']:.3f}\n"
        f"  load {r['load_s']:.2f} s{' from a cold page cache' if r['cold'] else ''}, first question "
        f"{r['first_ask_ms']:.0f} ms; RSS {r['rss_gb']:.2f} GB after the questions, {r['rss_anon_gb']:.2f} GB "
        f"of it not mapped files (after load {r['rss_after_load_gb']:.2f}, bare process "
        f"{r['rss_before_load_gb']:.2f})\n"
        f"  add one article {r['add_one_s']:.1f} s, delete one {r['delete_one_s']:.1f} s, "
        f"peak memory added by those builds {r['update_peak_extra_gb']:.2f} GB"
    )


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--_generate":
        print(json.dumps(generate(Path(argv[1]), int(argv[2]), argv[3])))
        return 0
    if argv and argv[0] == "--_measure":
        flags = argv[3:]
        seed = int(flags[flags.index("--seed") + 1]) if "--seed" in flags else 7
        print(json.dumps(measure(Path(argv[1]), int(argv[2]), "--cold" in flags, "--no-updates" not in flags, seed)))
        return 0
    if argv and argv[0] == "--_questions":
        from qa.index import Index

        print(json.dumps(make_questions(Index.load(Path(argv[1])), int(argv[2]), int(argv[3]))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, action="append", required=True)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--dense", choices=("auto", "flat", "hnsw"), default="auto")
    parser.add_argument(
        "--backend",
        choices=("faiss", "qdrant"),
        action="append",
        help="dense backend(s), one run each on the same archive (default faiss)",
    )
    parser.add_argument("--keep", default=None, help="parent directory for the temporary indexes")
    parser.add_argument(
        "--cold", action="store_true", help="evict the index's files from the page cache before loading"
    )
    args = parser.parse_args(argv)
    print("synthetic archives, questions embedded by WordSumEmbedder; timings on 2 shared cores", flush=True)
    rows = []
    for n in args.chunks:
        for backend in args.backend or ["faiss"]:
            rows.append(run_size(n, args, backend))
            print(describe(rows[-1]), flush=True)
    for r in rows:
        print(json.dumps(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
