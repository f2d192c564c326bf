"""The on-disk index: versioned generations, a manifest, atomic switch-over and a build lock.

Layout of an index directory:
    CURRENT                  name of the live generation (replaced atomically)
    generations/<gen>/       manifest.json and one directory per segment (qa.segment): immutable, so
                             a later generation hard-links the segments it keeps instead of copying
    .build.lock              held by the one build allowed at a time
A generation is written under a temporary name, fsynced, renamed, and only then named in CURRENT,
so a crash mid-build leaves the previous generation serving; pruning an old generation frees only the
segment files no kept generation links. No pickle anywhere: JSON, SQLite, .npy (allow_pickle=False)
and FAISS's own format. Reading a manifest checks its checksum and every file's presence and size;
the sha256 of every file is computed when a build writes it and compared by `qa check` (file_problem).
Two small helpers serve the other caches too: a file written beside its final name and renamed
(`written_beside`), and a file's path/size/mtime stamp.
This module does not chunk, embed or search.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import sqlite3
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from .errors import BuildLockedError, IndexCorruptError, IndexMismatchError, IndexMissingError, IndexWriteError

# 2: the manifest carries its own checksum and every file's size; 3: segments with SQLite metadata and
# tombstones, no JSONL (an older index is refused with the rebuild line)
FORMAT_VERSION = 3
KEEP_GENERATIONS = 2  # the live one and its predecessor
REBUILD = "run `python -m qa build --full`"


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


def link_tree(source: Path, target: Path) -> None:
    """Hard-link every file of `source` (an immutable segment) under `target`; a copy where the file
    system refuses links."""
    for path in sorted(source.rglob("*")):
        dest = target / path.relative_to(source)
        if path.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, dest)
        except OSError:
            shutil.copy2(path, dest)


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
    """A fresh temporary generation directory. Called under the build lock, so any other temporary one
    was left by a build that died (kill -9, power loss): it is removed first, to free its disk space."""
    for stale in (index_dir / "generations").glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    # microseconds in the name: pruning keeps the newest by name, and two builds within one second
    # (a random suffix alone) could sort the live generation's predecessor before an older one
    now = time.time_ns() // 1000
    name = time.strftime("%Y%m%dT%H%M%S", time.localtime(now // 10**6)) + f"{now % 10**6:06d}-" + uuid.uuid4().hex[:6]
    tmp = index_dir / "generations" / f".tmp-{name}"
    tmp.mkdir(parents=True)
    return name, tmp


def manifest_checksum(manifest: dict) -> str:
    """sha256 of the manifest without its own checksum field: a flipped bit in the manifest (say, in a
    file hash) is then blamed on the manifest rather than on the file it describes."""
    body = {k: v for k, v in manifest.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@contextmanager
def new_generation(index_dir: Path):
    """(name, temporary directory) to write a generation into. On any failure the partial generation
    is removed; a failed write (disk full, read-only, ...; FAISS reports those as RuntimeError) becomes
    one IndexWriteError line (SQLite reports them as its own errors), and the live generation, never
    touched, keeps serving."""
    tmp = None
    try:
        name, tmp = new_generation_dir(index_dir)
        yield name, tmp
    except (OSError, RuntimeError, sqlite3.Error) as exc:
        code = getattr(exc, "errno", None)  # FAISS's RuntimeError and SQLite's errors have none
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            code = errno.ENOSPC
        why = os.strerror(code) if code else " ".join(str(exc).split())[:160]
        raise IndexWriteError(
            f"could not write the new index in {index_dir} ({why}); the previous index is "
            "still in use; free some space and run `python -m qa build` again"
        ) from exc
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def commit_generation(index_dir: Path, name: str, tmp: Path, manifest: dict, known: dict | None = None) -> Path:
    """Hash and fsync the files, write the manifest, rename into place, then switch CURRENT. `known`
    maps files linked from the live generation to their hashes there (immutable, so not hashed again)."""
    known = known or {}
    files = {p.relative_to(tmp).as_posix(): p for p in sorted(tmp.rglob("*")) if p.is_file()}
    manifest = dict(
        manifest,
        format_version=FORMAT_VERSION,
        generation=name,
        files={n: known.get(n) or file_sha256(p) for n, p in files.items()},
        sizes={n: p.stat().st_size for n, p in files.items()},
    )
    manifest["checksum"] = manifest_checksum(manifest)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), "utf-8")
    for path in [*tmp.rglob("*"), tmp]:  # files, then the directories that name them
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
        elif path.is_dir():
            _fsync_dir(path)
    final = index_dir / "generations" / name
    os.replace(tmp, final)
    _fsync_dir(final.parent)
    pointer = index_dir / "CURRENT.tmp"
    try:
        with open(pointer, "w", encoding="utf-8") as fh:
            fh.write(name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(pointer, index_dir / "CURRENT")
    except BaseException:  # CURRENT still names the old generation: drop the unused new one
        pointer.unlink(missing_ok=True)
        shutil.rmtree(final, ignore_errors=True)
        raise
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
    try:
        text = pointer.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"{pointer} is unreadable ({type(exc).__name__}); {REBUILD}") from None
    name = text[:-1]
    # exactly what commit_generation writes: a damaged byte (even in the newline) is never read past,
    # and no "..", "/" or NUL can reach the path
    valid = text.endswith("\n") and bool(name) and all(c.isascii() and (c.isalnum() or c == "-") for c in name)
    gen = Path(index_dir) / "generations" / name
    if not valid or not gen.is_dir():
        raise IndexCorruptError(f"{pointer} names generation {name[:40]!r}, which does not exist; {REBUILD}")
    return gen


def read_manifest(gen: Path, verify: bool = True) -> dict:
    """The generation's manifest, checked (format version, its own checksum) and, with `verify`, every
    file it lists checked for presence and size (the cheap check of every load; `qa check` hashes);
    errors name the file and the fix."""
    path = gen / "manifest.json"
    try:
        manifest = json.loads(path.read_text("utf-8"))
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
            raise ValueError("not a manifest")
    except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        raise IndexCorruptError(f"{path} is unreadable ({type(exc).__name__}); {REBUILD}") from None
    if manifest.get("format_version") != FORMAT_VERSION:  # first: older formats had no checksum
        raise IndexMismatchError(
            f"{path} is index format {manifest.get('format_version')!r}, but this qa "
            f"reads format {FORMAT_VERSION}; {REBUILD}"
        )
    if (
        manifest.get("checksum") != manifest_checksum(manifest)
        or not isinstance(manifest.get("sizes"), dict)
        or not isinstance(manifest.get("segments"), list)
    ):
        raise IndexCorruptError(f"{path} is damaged (its checksum does not match); {REBUILD}")
    if verify:
        for name in manifest["files"]:
            problem = file_problem(gen, manifest, name, hashed=False)
            if problem:
                raise IndexCorruptError(problem)
    return manifest


def file_problem(gen: Path, manifest: dict, name: str, hashed: bool = True) -> str | None:
    """Why the generation's file `name` does not match the manifest (missing, size, hash), or None."""
    path = gen / name
    if not path.is_file():
        return f"{path} is missing; {REBUILD}"
    size = manifest["sizes"].get(name)
    if path.stat().st_size != size:
        return f"{path} has {path.stat().st_size} bytes, the manifest says {size} (truncated?); {REBUILD}"
    if hashed and file_sha256(path) != manifest["files"][name]:
        return f"{path} does not match its hash in the manifest (damaged); {REBUILD}"
    return None


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
            f"{fingerprint[:12]}); rebuild with `python -m qa build --full --model ...`"
        )


def save_npy(path: Path, array: np.ndarray) -> None:
    np.save(path, np.ascontiguousarray(array, dtype=np.float32), allow_pickle=False)


def load_npy(path: Path, mmap: bool = False) -> np.ndarray:
    """A saved array; `mmap=True` maps it read-only instead of reading it (the pages load on use, so a
    large index opens fast and its vectors are shared with the page cache)."""
    return np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)
