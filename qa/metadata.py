"""Metadata of one article: title, date, front matter, and the text of an HTML page.

Titles come from metadata or a headline-sized line near the top (capped at TITLE_MAX); dates are
normalised to ISO YYYY-MM-DD from metadata, ISO strings, free-form dates (dateparser) or a bare
dateline; YAML front matter and trafilatura's HTML extraction give the rest. It does not read
files or clean text (qa.loader, qa.cleaning).
"""

from __future__ import annotations

import datetime as dt
import re

from qa.cleaning import DATELINE, is_call_to_action

TITLE_MAX = 150
_ISO = re.compile(r"\s*(\d{4}-\d{2}-\d{2})")
_FRONT_MATTER = re.compile(r"---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)", re.S)


class LoadError(ValueError):
    """A whole file cannot be indexed; the message is the short reason shown to the user."""


# A wire or broadcaster dateline that opens a story's first paragraph: "CNN —", "London (Reuters) —",
# "WASHINGTON (AP) —". Its line is story text, not a headline.
_STORY_DATELINE = re.compile(
    r"(?:[A-Z][\w.'’-]*(?:[ ,]+[A-Z][\w.'’-]*){0,3}\s*\([A-Z][\w .&/-]{0,30}\)"
    r"|[A-Z][A-Z.'’-]+(?:[ ,]+[A-Z][A-Z.'’-]+){0,3})\s*[—–-]{1,2}(?:\s|$)"
)


def guess_title(clean: str) -> str:
    """A headline-sized line near the top, else the first line; section labels are too short, and
    story datelines ("CNN —") and calls to action ("Sign up for ... newsletter") are no titles."""
    lines = [ln.strip().lstrip("#").strip() for ln in clean.splitlines() if ln.strip()]
    usable = [ln for ln in lines if not _STORY_DATELINE.match(ln) and not is_call_to_action(ln)]
    for line in usable[:3]:
        if len(line.split()) >= 4 and len(line) <= TITLE_MAX:
            return line
    if usable:
        return usable[0]
    return _STORY_DATELINE.sub("", lines[0], count=1).strip() or lines[0]


def cap_title(title: str) -> str:
    if len(title) <= TITLE_MAX:
        return title
    return title[:TITLE_MAX].rsplit(" ", 1)[0].rstrip(" ,;:-\u2013") + "\u2026"


def iso_date(value) -> str | None:
    """ISO YYYY-MM-DD from a date/datetime or a date-like string; None if it isn't a full date."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if not isinstance(value, str) or not value.strip():
        return None
    if iso := _ISO.match(value):
        try:
            return dt.date.fromisoformat(iso.group(1)).isoformat()
        except ValueError:  # "2024-13-45" is not a date
            return None
    import dateparser  # slow import (~0.5 s); only needed for non-ISO dates

    # REQUIRE_PARTS stops "Aug 14" from silently borrowing the current year.
    parsed = dateparser.parse(value, languages=["en"], settings={"REQUIRE_PARTS": ["day", "month", "year"]})
    return parsed.date().isoformat() if parsed else None


def dateline_date(text: str, lines: int = 5) -> str | None:
    """The date of a bare dateline ("Aug 14, 2024 - 07:36") among the first few lines."""
    for line in [" ".join(ln.split()) for ln in text.splitlines() if ln.strip()][:lines]:
        if m := DATELINE.fullmatch(line):
            return iso_date(m.group("date"))
    return None


def front_matter(text: str) -> tuple[dict, int]:
    """(metadata, body offset); malformed or non-mapping front matter stays in the body text."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, 0
    import yaml

    try:
        meta = yaml.safe_load(m.group(1))
    except yaml.YAMLError:
        return {}, 0
    # Offsets (not slicing) keep segments indexing the file's own text.
    return (meta, m.end()) if isinstance(meta, dict) else ({}, 0)


def from_html(html: str) -> tuple[str, dict]:
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, include_tables=False) or ""
    if not text.strip():
        text = _deep_html_text(html)
    if not text.strip():
        raise LoadError("no text after cleaning")
    meta = trafilatura.extract_metadata(html)
    fields = {k: getattr(meta, k, None) for k in ("title", "date", "url")} if meta else {}
    return text, fields


# libxml2 stops at 2,048 levels even in "huge" mode, so a deeper page would be read cut short
MAX_HTML_DEPTH = 2040


def _deep_html_text(html: str) -> str:
    """Text of a page nested deeper than libxml2's default limit (256 levels), which silently drops
    everything below it; "" when depth was not the problem. Deeper than MAX_HTML_DEPTH is refused."""
    import lxml.html
    import trafilatura

    try:
        tree = lxml.html.document_fromstring(html, parser=lxml.html.HTMLParser(huge_tree=True))
    except (ValueError, lxml.etree.ParserError):
        return ""
    depth: dict = {}
    for el in tree.iter():  # parents come before children: one pass, no recursion
        parent = el.getparent()
        depth[el] = depth[parent] + 1 if parent is not None else 1
    deepest = max(depth.values(), default=0)
    if deepest <= 256:
        return ""
    if deepest > MAX_HTML_DEPTH:
        raise LoadError(f"HTML nested too deeply (more than {MAX_HTML_DEPTH} levels)")
    return trafilatura.extract(tree, include_comments=False, include_tables=False) or ""
