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

import functools
import hashlib
import re
import stat
from pathlib import Path

from qa import config, records, templates
from qa.cleaning import clean_text
from qa.decoding import decode
from qa.errors import CorpusError
from qa.metadata import LoadError, cap_title, dateline_date, from_html, front_matter, guess_title, iso_date
from qa.progress import Progress, Stage
from qa.types import Document, Skipped

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl"}
# Scrapers prepend " date 2024-01-10 " to the article body; it is metadata, not text.
_DATE_PREFIX = re.compile(r"\s*date\s+(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2})?\S*)?\s+", re.I)


def load_corpus(
    corpus_dir: Path, max_file_bytes: int = config.MAX_FILE_BYTES, progress: Progress | None = None
) -> tuple[list[Document], list[Skipped]]:
    """All indexable documents (sorted by doc_id) and every file or record that was skipped.
    `max_file_bytes` limits an article file, or each record of a .json/.jsonl export."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.exists():
        raise CorpusError(f"corpus folder not found: {corpus_dir}")
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus path is not a directory: {corpus_dir}")
    docs: list[Document] = []
    skipped: list[Skipped] = []
    todo = _files_to_read(corpus_dir, skipped)
    with Stage("Reading articles", sum(size for _, size in todo), progress, unit="B") as stage:
        for path, size in todo:
            found, bad = _load_safely(path, corpus_dir, max_file_bytes, stage.advance)
            stage.settle(size)  # files that were rejected unread still count as done
            docs.extend(found)
            skipped.extend(bad)
    if not docs:
        skipped.sort(key=lambda s: s.path)
        raise CorpusError(f"no indexable documents in {corpus_dir}: {_describe(skipped)}")
    docs = _without_templates(docs, corpus_dir, max_file_bytes, skipped)
    skipped.sort(key=lambda s: s.path)
    return sorted(docs, key=lambda d: d.doc_id), skipped


def _without_templates(
    docs: list[Document], corpus_dir: Path, max_file_bytes: int, skipped: list[Skipped]
) -> list[Document]:
    """Second pass: short lines that recur across many articles of this corpus (an outlet's furniture,
    qa.templates) are dropped; only files holding such a line are read and cleaned again."""
    found = templates.template_lines(d.text for d in docs)
    if not found:
        return docs
    paths = {d.path for d in docs if any(" ".join(ln.split()) in found for ln in d.text.splitlines())}
    kept = [d for d in docs if d.path not in paths]
    for rel in sorted(paths):
        again, bad = _load_safely(corpus_dir / rel, corpus_dir, max_file_bytes, templates=found)
        kept.extend(again)
        skipped.extend(b for b in bad if b not in skipped)  # a record skipped in pass one stays listed once
    return kept


def _files_to_read(corpus_dir: Path, skipped: list[Skipped]) -> list[tuple[Path, int]]:
    """(path, size) of each file to read, in order; symlink and duplicate problems go to `skipped`."""
    todo: list[tuple[Path, int]] = []
    seen_real: dict[Path, str] = {}  # a file reached twice via symlinks is indexed once
    for path, problem in _walk(corpus_dir, corpus_dir.resolve(), set()):
        rel = path.relative_to(corpus_dir).as_posix()
        if not problem and not _utf8_name(rel):  # ids and reports are UTF-8 text; this name is not
            rel, problem = (
                rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
                "file name is not valid UTF-8 (rename the file)",
            )
        real = None if problem else path.resolve()  # a problem entry may be a loop: never resolve it
        if real is not None and real in seen_real:
            problem = f"duplicate of {seen_real[real]}"
        if problem:
            skipped.append(Skipped(rel, problem))
            continue
        assert real is not None  # resolved above whenever there is no problem
        seen_real[real] = rel
        try:
            todo.append((path, path.stat().st_size))
        except OSError:
            todo.append((path, 0))  # reading it reports why
    return todo


def _utf8_name(name: str) -> bool:
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:  # undecodable bytes in a file name arrive as lone surrogates
        return False


def _describe(skipped: list[Skipped], most: int = 10) -> str:
    """One line naming each skipped file and why (the first `most`), for the nothing-to-index error."""
    if not skipped:
        return "the folder holds no files"
    listed = "; ".join(f"{s.path}: {s.reason}" for s in skipped[:most])
    more = f"; and {len(skipped) - most} more" if len(skipped) > most else ""
    return f"{len(skipped)} file(s) skipped ({listed}{more})"


def load_file(path: Path, corpus_dir: Path, max_file_bytes: int = config.MAX_FILE_BYTES) -> list[Document]:
    """Documents from one file. Raises LoadError(reason) if the file as a whole is unusable;
    bad records inside a .json/.jsonl file are dropped here (load_corpus reports them)."""
    docs, bad = _load(Path(path), Path(corpus_dir), max_file_bytes)
    if not docs:
        raise LoadError(bad[0].reason if bad else "no text after cleaning")
    return docs


def _load_safely(
    path: Path, corpus_dir: Path, max_file_bytes: int, advance=None, templates: frozenset[str] = frozenset()
) -> tuple[list[Document], list[Skipped]]:
    rel = path.relative_to(corpus_dir).as_posix()
    try:
        return _load(path, corpus_dir, max_file_bytes, advance, templates)
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
            try:
                target = entry.resolve()
            except (RuntimeError, OSError):  # a symlink loop (a -> b -> a) must not stop the walk
                yield entry, "symlink loop"
                continue
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


def _check_file(path: Path, max_bytes: int | None) -> None:
    """Refuse a file before reading it: unsupported type, not a regular file, empty, too large."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(f"unsupported type {suffix}" if suffix else "unsupported type (no extension)")
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):  # reading a FIFO or device would hang or never end
        raise LoadError("not a regular file")
    if info.st_size == 0:
        raise LoadError("empty")
    if max_bytes is not None and info.st_size > max_bytes:  # checked before reading the whole file
        raise LoadError(f"too large ({info.st_size} bytes > {max_bytes})")


def _read_text(path: Path, max_file_bytes: int) -> str:
    _check_file(path, max_file_bytes)
    with open(path, "rb") as fh:  # bounded: the file may have grown since it was checked
        data = fh.read(max_file_bytes + 1)
    if len(data) > max_file_bytes:
        raise LoadError(f"too large (grew past {max_file_bytes} bytes while being read)")
    text = decode(data)
    if not text.strip():
        raise LoadError("empty")
    return text


def _load(
    path: Path, corpus_dir: Path, max_file_bytes: int, advance=None, templates: frozenset[str] = frozenset()
) -> tuple[list[Document], list[Skipped]]:
    rel = path.relative_to(corpus_dir).as_posix()
    suffix = path.suffix.lower()
    try:
        if suffix == ".jsonl":  # streamed: the limit is per record, the file may be any size
            _check_file(path, None)
            skipped: list[Skipped] = []
            lines = records.iter_jsonl(path, rel, max_file_bytes, skipped, advance or (lambda n: None))
            return _records_file(lines, rel, skipped, max_file_bytes, templates)
        text = _read_text(path, records.MAX_JSON_FILE_BYTES if suffix == ".json" else max_file_bytes)
    except FileNotFoundError:
        raise LoadError("vanished while the corpus was being read") from None
    except OSError as e:
        raise LoadError(f"unreadable: {e.strerror or e}") from None
    if suffix == ".json":
        return _records_file(records.read_json(text), rel, [], max_file_bytes, templates)
    meta: dict = {}
    body_start = 0
    if suffix in (".html", ".htm"):
        text, meta = from_html(text)
    elif suffix in (".md", ".markdown"):
        meta, body_start = front_matter(text)
    return [_make_doc(text, meta, rel, rel, body_start, templates)], []


def _records_file(
    numbered, rel: str, skipped: list[Skipped], max_record_bytes: int, templates: frozenset[str] = frozenset()
) -> tuple[list[Document], list[Skipped]]:
    """The documents of a .json/.jsonl file and its bad records; a file with no records is unusable."""
    docs = records_to_docs(numbered, rel, skipped, max_record_bytes, templates)
    if not docs and not skipped:
        raise LoadError("no records")
    return docs, skipped


def _make_doc(
    raw: str, meta: dict, doc_id: str, rel: str, offset: int = 0, templates: frozenset[str] = frozenset()
) -> Document:
    """Clean `raw[offset:]` (offset skips front matter) and attach title/date/source."""
    date = iso_date(meta.get("date"))
    prefix = _DATE_PREFIX.match(raw, offset)
    if prefix:  # the scraped date prefix is removed from the text even when metadata has a date
        date = date or iso_date(prefix.group(1))
        offset = prefix.end()
    clean, segments = clean_text(raw[offset:], templates)
    if not any(ch.isalnum() for ch in clean):  # "* * *" or "---" alone: nothing to ask about or quote
        raise LoadError("no text after cleaning")
    segments = tuple((cs, rs + offset, n) for cs, rs, n in segments)
    date = date or dateline_date(raw[offset:])
    source = next(
        (
            str(meta[k]).strip()
            for k in ("url", "source", "link")
            if isinstance(meta.get(k), str) and re.match(r"https?://\S+$", meta[k].strip())
        ),
        rel,
    )
    title = meta.get("title")
    title = " ".join(title.split()) if isinstance(title, str) and title.strip() else guess_title(clean)
    return Document(
        doc_id=doc_id,
        title=cap_title(title),
        date=date,
        source=source,
        text=clean,
        content_hash=hashlib.sha256(clean.encode("utf-8")).hexdigest(),
        path=rel,
        segments=segments,
    )


def records_to_docs(
    numbered,
    rel: str,
    skipped: list[Skipped],
    max_record_bytes: int = config.MAX_FILE_BYTES,
    templates: frozenset[str] = frozenset(),
) -> list[Document]:
    """Documents from (number, record dict) pairs, cleaned exactly as a .jsonl file's records are."""
    return records.to_docs(numbered, rel, skipped, max_record_bytes, functools.partial(_make_doc, templates=templates))
