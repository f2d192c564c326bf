"""Read a folder of articles into cleaned `Document`s, and say why any file was not indexed.

What it does: walks the corpus recursively in sorted order (skipping dot-names silently and
symlinks that resolve outside the corpus), rejects empty/binary/non-UTF-8/oversized/unsupported
files with a short reason, reads .txt, .md (YAML front matter), .html (trafilatura) and
.json/.jsonl records, finds title/date/source (with `qa.metadata`), and cleans the text with
`qa.cleaning`.

What it does not do: chunk, embed, deduplicate near-identical articles, or touch the network.
Segments map the clean text into the decoded file text (for HTML: into trafilatura's extracted
text, since markup has no verbatim mapping). `load_corpus` never lets one bad file stop a build.
"""
from __future__ import annotations

import hashlib
import json
import re
import stat
from pathlib import Path

from qa import config
from qa.cleaning import clean_text
from qa.errors import CorpusError
from qa.metadata import LoadError, cap_title, dateline_date, front_matter, from_html, guess_title, iso_date
from qa.types import Document, Skipped

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl"}
TEXT_FIELDS = ("text", "body", "content", "article")
_BINARY_PROBE = 8192
# Scrapers prepend " date 2024-01-10 " to the article body; it is metadata, not text.
_DATE_PREFIX = re.compile(r"\s*date\s+(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2})?\S*)?\s+", re.I)


def load_corpus(corpus_dir: Path, max_file_bytes: int = config.MAX_FILE_BYTES
                ) -> tuple[list[Document], list[Skipped]]:
    """All indexable documents (sorted by doc_id) and every file or record that was skipped."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.exists():
        raise CorpusError(f"corpus folder not found: {corpus_dir}")
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus path is not a directory: {corpus_dir}")
    docs: list[Document] = []
    skipped: list[Skipped] = []
    seen_real: dict[Path, str] = {}  # a file reached twice via symlinks is indexed once
    for path, problem in _walk(corpus_dir, corpus_dir.resolve(), set()):
        rel = path.relative_to(corpus_dir).as_posix()
        real = path.resolve()
        if not problem and real in seen_real:
            problem = f"duplicate of {seen_real[real]}"
        if problem:
            skipped.append(Skipped(rel, problem))
            continue
        seen_real[real] = rel
        found, bad = _load_safely(path, corpus_dir, max_file_bytes)
        docs.extend(found)
        skipped.extend(bad)
    if not docs:
        raise CorpusError(f"no indexable documents in {corpus_dir} ({len(skipped)} file(s) skipped)")
    return sorted(docs, key=lambda d: d.doc_id), sorted(skipped, key=lambda s: s.path)


def load_file(path: Path, corpus_dir: Path, max_file_bytes: int = config.MAX_FILE_BYTES) -> list[Document]:
    """Documents from one file. Raises LoadError(reason) if the file as a whole is unusable;
    bad records inside a .json/.jsonl file are dropped here (load_corpus reports them)."""
    docs, bad = _load(Path(path), Path(corpus_dir), max_file_bytes)
    if not docs:
        raise LoadError(bad[0].reason if bad else "no text after cleaning")
    return docs


def _load_safely(path: Path, corpus_dir: Path, max_file_bytes: int) -> tuple[list[Document], list[Skipped]]:
    rel = path.relative_to(corpus_dir).as_posix()
    try:
        return _load(path, corpus_dir, max_file_bytes)
    except LoadError as e:
        return [], [Skipped(rel, str(e))]
    except Exception as e:  # noqa: BLE001 - a parser bug on one file must not stop the build
        return [], [Skipped(rel, f"could not read: {type(e).__name__}: {e}".splitlines()[0])]


def _walk(directory: Path, root: Path, visited: set[Path]):
    """Yield (path, problem-or-None) in sorted order; follows symlinks only inside `root`."""
    visited.add(directory.resolve())
    try:
        entries = sorted(directory.iterdir(), key=lambda p: p.name)
    except OSError as e:
        yield directory, f"unreadable folder: {e.strerror}"
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue  # hidden files and folders (.git, .DS_Store) are not articles
        if entry.is_symlink():
            target = entry.resolve()
            if not target.is_relative_to(root):
                yield entry, "symlink leaving the corpus"
                continue
            if not target.exists():
                yield entry, "broken symlink"
                continue
        if entry.is_dir():
            if entry.resolve() not in visited:  # symlinked folders could loop forever
                yield from _walk(entry, root, visited)
        else:
            yield entry, None


def _read_text(path: Path, max_file_bytes: int) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(f"unsupported type {suffix}" if suffix else "unsupported type (no extension)")
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):  # reading a FIFO or device would hang or never end
        raise LoadError("not a regular file")
    if info.st_size == 0:
        raise LoadError("empty")
    if info.st_size > max_file_bytes:  # checked before reading the whole file
        raise LoadError(f"too large ({info.st_size} bytes > {max_file_bytes})")
    data = path.read_bytes()
    if b"\x00" in data[:_BINARY_PROBE]:
        raise LoadError("binary")
    try:
        text = data.decode("utf-8-sig")  # strict; a leading BOM is accepted and dropped
    except UnicodeDecodeError:
        raise LoadError("not UTF-8") from None
    if not text.strip():
        raise LoadError("empty")
    return text


def _load(path: Path, corpus_dir: Path, max_file_bytes: int) -> tuple[list[Document], list[Skipped]]:
    rel = path.relative_to(corpus_dir).as_posix()
    try:
        text = _read_text(path, max_file_bytes)
    except OSError as e:
        raise LoadError(f"unreadable: {e.strerror or e}") from None
    suffix = path.suffix.lower()
    if suffix in (".json", ".jsonl"):
        return _load_records(text, rel, suffix)
    meta, body_start = {}, 0
    if suffix in (".html", ".htm"):
        text, meta = from_html(text)
    elif suffix in (".md", ".markdown"):
        meta, body_start = front_matter(text)
    return [_make_doc(text, meta, rel, rel, body_start)], []


def _make_doc(raw: str, meta: dict, doc_id: str, rel: str, offset: int = 0) -> Document:
    """Clean `raw[offset:]` (offset skips front matter) and attach title/date/source."""
    date = iso_date(meta.get("date"))
    prefix = _DATE_PREFIX.match(raw, offset)
    if prefix:  # the scraped date prefix is removed from the text even when metadata has a date
        date = date or iso_date(prefix.group(1))
        offset = prefix.end()
    clean, segments = clean_text(raw[offset:])
    if not clean:
        raise LoadError("no text after cleaning")
    segments = tuple((cs, rs + offset, n) for cs, rs, n in segments)
    date = date or dateline_date(raw[offset:])
    source = next((str(meta[k]).strip() for k in ("url", "source", "link")
                   if isinstance(meta.get(k), str) and re.match(r"https?://\S+$", meta[k].strip())), rel)
    title = meta.get("title")
    title = " ".join(title.split()) if isinstance(title, str) and title.strip() else guess_title(clean)
    return Document(doc_id=doc_id, title=cap_title(title), date=date, source=source, text=clean,
                    content_hash=hashlib.sha256(clean.encode("utf-8")).hexdigest(), path=rel,
                    segments=segments)


def _load_records(text: str, rel: str, suffix: str) -> tuple[list[Document], list[Skipped]]:
    """Records from a .json (object or list) or .jsonl file; bad records are skipped, not fatal."""
    skipped: list[Skipped] = []
    records: list[tuple[int, object]] = []
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise LoadError(f"invalid JSON: {e.msg} (line {e.lineno})") from None
        records = list(enumerate(data if isinstance(data, list) else [data], start=1))
    else:
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append((lineno, json.loads(line)))
            except json.JSONDecodeError as e:
                skipped.append(Skipped(f"{rel}:{lineno}", f"invalid JSON: {e.msg}"))
    docs = _records_to_docs(records, rel, skipped)
    if not docs and not skipped:
        raise LoadError("no records")
    return docs, skipped


def _records_to_docs(records: list[tuple[int, object]], rel: str, skipped: list[Skipped]) -> list[Document]:
    docs: list[Document] = []
    used: set[str] = set()
    where = ":" if rel.endswith(".jsonl") else "#"
    for n, rec in records:
        field = next((k for k in TEXT_FIELDS if isinstance(rec, dict) and isinstance(rec.get(k), str)
                      and rec[k].strip()), None)
        if field is None:
            skipped.append(Skipped(f"{rel}{where}{n}", "record has no text field"))
            continue
        rid = rec.get("id")
        rid = str(rid).strip() if isinstance(rid, (str, int)) and str(rid).strip() else str(n)
        if rid in used:
            skipped.append(Skipped(f"{rel}{where}{n}", f"duplicate record id {rid}"))
            continue
        try:
            docs.append(_make_doc(rec[field], rec, f"{rel}#{rid}", rel))
        except LoadError as e:
            skipped.append(Skipped(f"{rel}{where}{n}", str(e)))
            continue
        used.add(rid)
    return docs
