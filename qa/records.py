"""Article records from `.jsonl` and `.json` exports: streamed, with every bad record reported.

Archives arrive as one big JSON-lines export, so the size limit applies per record, never per file,
and a `.jsonl` file is read line by line (a line longer than the limit is skipped without being held
in memory). A malformed, non-UTF-8, oversized or text-less record is reported as `file:line` (or
`file#n` inside a `.json` array) with its reason; the other records are kept. A `.json` file is one
JSON value and must be parsed whole, so it has its own, larger, file limit.
It does not clean text or make Documents itself: `to_docs` hands each record to the loader's
`make_doc`, which does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from .metadata import LoadError
from .types import Document, Skipped

TEXT_FIELDS = ("text", "body", "content", "article")
MAX_JSON_FILE_BYTES = 256 * 1024 * 1024  # a .json value is parsed whole; .jsonl has no file limit
_READ = 1 << 20
# JSON escapes can make a line several times longer than the text it carries ("\u00e9" for "é");
# a line this many times the record limit cannot hold a text within it, so it is skipped unread
LINE_FACTOR = 6
TOO_DEEP = "JSON nested too deeply"


def iter_jsonl(
    path: Path, rel: str, max_record_bytes: int, skipped: list[Skipped], advance: Callable[[int], None] = lambda n: None
) -> Iterator[tuple[int, object]]:
    """(line number, parsed record) for each good line; bad lines go to `skipped` as `rel:line`."""
    limit = LINE_FACTOR * max_record_bytes  # the record's text is checked exactly in to_docs
    with open(path, "rb") as fh:
        for lineno in range(1, 1 << 62):
            line = fh.readline(limit + 1)
            if not line:
                return
            advance(len(line))
            if len(line) > limit and not line.endswith(b"\n"):
                size = len(line) + _skip_rest_of_line(fh, advance)
                skipped.append(Skipped(f"{rel}:{lineno}", f"too large ({size} bytes > {limit})"))
                continue
            record, problem = _parse_line(line, first=lineno == 1)
            if problem:
                skipped.append(Skipped(f"{rel}:{lineno}", problem))
            elif record is not None:
                yield lineno, record


def _skip_rest_of_line(fh, advance: Callable[[int], None]) -> int:
    """Read past the rest of an over-long line in bounded pieces; returns the bytes skipped."""
    skipped = 0
    while True:
        piece = fh.readline(_READ)
        skipped += len(piece)
        advance(len(piece))
        if not piece or piece.endswith(b"\n"):
            return skipped


def _parse_line(line: bytes, first: bool) -> tuple[object, str]:
    """(record, "") for a good line, (None, "") for a blank one, (None, reason) for a bad one."""
    if b"\x00" in line:
        return None, "binary"
    try:
        text = line.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError:
        return None, "not UTF-8"
    if not text.strip():
        return None, ""
    try:
        return json.loads(text), ""
    except json.JSONDecodeError as e:
        return None, f"invalid JSON: {e.msg}"
    except RecursionError:  # "[[[[..." thousands deep; only this line is lost
        return None, TOO_DEEP


def read_json(text: str) -> list[tuple[int, object]]:
    """The records of a .json file: a list of objects, or one object (numbered from 1)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise LoadError(f"invalid JSON: {e.msg} (line {e.lineno})") from None
    except RecursionError:
        raise LoadError(TOO_DEEP) from None
    return list(enumerate(data if isinstance(data, list) else [data], start=1))


def to_docs(
    records, rel: str, skipped: list[Skipped], max_record_bytes: int, make_doc: Callable[..., Document]
) -> list[Document]:
    """Documents from (number, record) pairs; each unusable record is reported in `skipped`."""
    docs: list[Document] = []
    used: set[str] = set()
    where = ":" if rel.endswith(".jsonl") else "#"
    for n, rec in records:
        rec = _no_lone_surrogates(rec)
        field = next(
            (k for k in TEXT_FIELDS if isinstance(rec, dict) and isinstance(rec.get(k), str) and rec[k].strip()), None
        )
        if field is None:
            skipped.append(Skipped(f"{rel}{where}{n}", "record has no text field"))
            continue
        size = len(rec[field].encode("utf-8", "surrogatepass"))
        if size > max_record_bytes:
            skipped.append(Skipped(f"{rel}{where}{n}", f"too large ({size} bytes > {max_record_bytes})"))
            continue
        rid = rec.get("id")
        rid = str(rid).strip() if isinstance(rid, (str, int)) and str(rid).strip() else str(n)
        if rid in used:
            skipped.append(Skipped(f"{rel}{where}{n}", f"duplicate record id {rid}"))
            continue
        try:
            docs.append(make_doc(rec[field], rec, f"{rel}#{rid}", rel))
        except LoadError as e:
            skipped.append(Skipped(f"{rel}{where}{n}", str(e)))
            continue
        used.add(rid)
    return docs


def _no_lone_surrogates(rec):
    """The record with each top-level string's lone surrogates (a JSON escape such as \\ud800 that
    pairs with nothing) replaced by U+FFFD: they cannot be stored as UTF-8 or read by the tokenizer."""
    if not isinstance(rec, dict):
        return rec
    return {
        k: v.encode("utf-16", "surrogatepass").decode("utf-16", "replace") if isinstance(v, str) else v
        for k, v in rec.items()
    }
