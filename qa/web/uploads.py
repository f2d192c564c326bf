"""Save uploaded articles into the corpus folder, safely.

Each file is checked before it is written: a supported article suffix, at most
`config.MAX_UPLOAD_BYTES`, UTF-8 text without NUL bytes. The name is reduced to a safe basename and
the file is written (never overwriting anything) to `<corpus>/uploads/`, after checking that the
resolved destination is still inside the corpus folder.

It does not index anything: the caller runs a rebuild afterwards.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from qa import config

ALLOWED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl")
UPLOAD_SUBDIR = "uploads"
MAX_NAME = 100


def safe_name(name: str) -> str | None:
    """A plain basename made of letters, digits, '.', '_' and '-' with an allowed suffix, else None."""
    base = unicodedata.normalize("NFKD", os.path.basename(str(name).replace("\\", "/")))
    base = base.encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._-")
    stem, dot, suffix = base.rpartition(".")
    stem = stem.strip("._-")
    if not dot or not stem or f".{suffix.lower()}" not in ALLOWED_SUFFIXES:
        return None
    return f"{stem[:MAX_NAME]}.{suffix.lower()}"


def check_content(data: bytes, max_bytes: int) -> str | None:
    """Why `data` cannot be an article (None when it can)."""
    if len(data) > max_bytes:
        return f"larger than {max_bytes // 1024} KB"
    if not data.strip():
        return "empty"
    if b"\x00" in data:
        return "binary (contains NUL bytes)"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8 text"
    return None


def _destination(corpus_dir: Path, name: str) -> Path:
    folder = (corpus_dir / UPLOAD_SUBDIR).resolve()
    root = corpus_dir.resolve()
    if not folder.is_relative_to(root):
        raise ValueError("the upload folder resolves outside the corpus")
    folder.mkdir(parents=True, exist_ok=True)
    stem, _, suffix = name.rpartition(".")
    candidate, i = folder / name, 1
    while candidate.exists():
        candidate, i = folder / f"{stem}-{i}.{suffix}", i + 1
    if not candidate.resolve().is_relative_to(root):
        raise ValueError("the destination resolves outside the corpus")
    return candidate


def save_one(
    path: str | Path, corpus_dir: Path, original_name: str | None = None, max_bytes: int = config.MAX_UPLOAD_BYTES
) -> tuple[str | None, str]:
    """(saved corpus-relative path or None, message) for one uploaded temp file."""
    shown = os.path.basename(original_name or str(path))
    name = safe_name(shown)
    if name is None:
        return None, f"{shown}: not accepted (allowed: {', '.join(ALLOWED_SUFFIXES)})"
    try:
        if os.path.getsize(path) > max_bytes:
            return None, f"{shown}: not accepted (larger than {max_bytes // 1024} KB)"
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        return None, f"{shown}: could not be read ({exc.strerror or exc})"
    problem = check_content(data, max_bytes)
    if problem:
        return None, f"{shown}: not accepted ({problem})"
    try:
        dest = _destination(Path(corpus_dir), name)
        with open(dest, "xb") as out:  # "x": never overwrite, even if a file appeared meanwhile
            out.write(data)
    except (OSError, ValueError) as exc:
        return None, f"{shown}: could not be saved ({exc})"
    rel = dest.relative_to(Path(corpus_dir).resolve()).as_posix()
    return rel, f"{shown}: saved as {rel}"


def save_uploads(
    paths: list[str | Path], corpus_dir: Path, max_bytes: int = config.MAX_UPLOAD_BYTES, max_files: int = 20
) -> tuple[list[str], list[str]]:
    """Save each upload; returns (saved relative paths, one message per file)."""
    saved, messages = [], []
    for i, p in enumerate(paths or []):
        if i >= max_files:
            messages.append(f"only the first {max_files} files were considered")
            break
        rel, msg = save_one(p, corpus_dir, max_bytes=max_bytes)
        messages.append(msg)
        if rel:
            saved.append(rel)
    return saved, messages
