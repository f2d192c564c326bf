"""The on-disk index: versioned generations, a manifest, atomic switch-over and a build lock.

Layout of an index directory:
    CURRENT                  name of the live generation (replaced atomically)
    generations/<gen>/       manifest.json, documents.jsonl, chunks.jsonl, sentences.jsonl,
                             chunk_vectors.npy, sentence_vectors.npy, dense.faiss, bm25/
    .build.lock              held by the one build allowed at a time
A generation is written under a temporary name, fsynced, renamed, and only then named in CURRENT,
so a crash mid-build leaves the previous generation serving. No pickle anywhere: JSON, JSONL, .npy
(allow_pickle=False) and FAISS's own format. Two small helpers serve the other caches too: a file
written beside its final name and renamed (`written_beside`), and a file's path/size/mtime stamp.
This module does not chunk, embed or search.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from .errors import BuildLockedError, IndexCorruptError, IndexMissingError, IndexMismatchError

FORMAT_VERSION = 1
KEEP_GENERATIONS = 2  # the live one and its predecessor


@contextmanager
def written_beside(target: Path):
    """A temporary path beside `target` to write; renamed onto `target` when the block succeeds and
    removed in any case, so an interrupted or concurrent writer never leaves a torn file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    try:
        yield partial
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def file_stamp(path: Path) -> str:
    """Resolved path, size and modification time: changes when the file is replaced or rewritten."""
    st = path.stat()
    return f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def build_lock(index_dir: Path, timeout: float = 0) -> FileLock:
    """The single-writer lock; raises BuildLockedError if another build holds it."""
    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(index_dir / ".build.lock"))
    try:
        lock.acquire(timeout=timeout)
    except Timeout as exc:
        raise BuildLockedError(f"another build is running on {index_dir} (lock held)") from exc
    return lock


def new_generation_dir(index_dir: Path) -> tuple[str, Path]:
    name = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    tmp = index_dir / "generations" / f".tmp-{name}"
    tmp.mkdir(parents=True)
    return name, tmp


def commit_generation(index_dir: Path, name: str, tmp: Path, manifest: dict) -> Path:
    """Hash and fsync the files, write the manifest, rename into place, then switch CURRENT."""
    manifest = dict(manifest, format_version=FORMAT_VERSION, generation=name,
                    files={p.relative_to(tmp).as_posix(): file_sha256(p)
                           for p in sorted(tmp.rglob("*")) if p.is_file()})
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), "utf-8")
    for path in tmp.rglob("*"):
        if path.is_file():
            with open(path, "rb+") as fh:
                os.fsync(fh.fileno())
    final = index_dir / "generations" / name
    os.replace(tmp, final)
    _fsync_dir(final.parent)
    pointer = index_dir / "CURRENT.tmp"
    with open(pointer, "w", encoding="utf-8") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(pointer, index_dir / "CURRENT")
    _fsync_dir(index_dir)
    prune_generations(index_dir, keep=name)
    return final


def prune_generations(index_dir: Path, keep: str) -> None:
    """Remove abandoned temp dirs and all but the newest KEEP_GENERATIONS generations."""
    gens = index_dir / "generations"
    names = sorted(p.name for p in gens.iterdir() if p.is_dir() and not p.name.startswith("."))
    stale = [n for n in names if n != keep][: max(0, len(names) - KEEP_GENERATIONS)]
    for n in stale:
        shutil.rmtree(gens / n, ignore_errors=True)
    for p in gens.glob(".tmp-*"):
        shutil.rmtree(p, ignore_errors=True)


def current_generation(index_dir: Path) -> Path | None:
    """The live generation directory, or None when no index was ever built here."""
    pointer = Path(index_dir) / "CURRENT"
    if not pointer.exists():
        return None
    name = pointer.read_text("utf-8").strip()
    gen = Path(index_dir) / "generations" / name
    if not name or not gen.is_dir():
        raise IndexCorruptError(f"{pointer} names generation '{name}', which does not exist; rebuild")
    return gen


def read_manifest(gen: Path, verify: bool = True) -> dict:
    try:
        manifest = json.loads((gen / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"unreadable manifest in {gen}: {exc}") from exc
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"index format {manifest.get('format_version')} in {gen}, this qa reads format "
            f"{FORMAT_VERSION}; rebuild with `python -m qa build --full`")
    if verify:
        for name, expected in manifest.get("files", {}).items():
            if not (gen / name).exists() or file_sha256(gen / name) != expected:
                raise IndexCorruptError(f"{gen / name} is missing or does not match the manifest; rebuild")
    return manifest


def require_generation(index_dir: Path) -> Path:
    gen = current_generation(index_dir)
    if gen is None:
        raise IndexMissingError(f"no index in {index_dir}; run `python -m qa build` first")
    return gen


def check_model(manifest: dict, fingerprint: str, name: str, dim: int) -> None:
    """Refuse to query an index with vectors from another model."""
    built = manifest["model"]
    if built["fingerprint"] != fingerprint or int(built["dim"]) != int(dim):
        raise IndexMismatchError(
            f"index was built with model '{built['name']}' (dim {built['dim']}, "
            f"{built['fingerprint'][:12]}) but the query model is '{name}' (dim {dim}, "
            f"{fingerprint[:12]}); rebuild with `python -m qa build --full --model ...`")


def save_npy(path: Path, array: np.ndarray) -> None:
    np.save(path, np.ascontiguousarray(array, dtype=np.float32), allow_pickle=False)


def load_npy(path: Path) -> np.ndarray:
    return np.load(path, allow_pickle=False)
