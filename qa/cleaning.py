"""Boilerplate removal for scraped article text, keeping an exact map back to the raw text.

What it does: splits the raw text into paragraphs (blank-line separated) and lines, drops the
lines that are page furniture rather than story (donation appeals, ad/UI chrome, "Read more:"
link lists, photo captions and credits, slug lines, bare datelines, repeated headlines) using
general regexes and heuristics, and joins what is left with "\\n\\n". Every kept piece is a
verbatim run of the raw text, and `segments` records (clean_start, raw_start, length) for each
run, so `clean[cs:cs+n] == raw[rs:rs+n]` always holds and citations can be traced to the file.

What it does not do: rewrite, normalise or re-wrap text (no Unicode/whitespace normalisation,
no Markdown/HTML stripping), parse dates, or read files. It is deliberately conservative:
dropping a story sentence is worse than keeping a caption, so rules refuse any line that
contains a double quote (quotes are story) and only fire on short, self-contained lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

_QUOTES = re.compile(r'["\u201c\u201d\u00ab\u00bb\u201e]')

# Whole-line UI chrome: widgets, ad slots, share bars, follow-us lines. Matched in full.
_CHROME = re.compile(
    r"(?:"
    + "|".join(
        [
            r"advertisement|advertising|sponsored(?: content)?|ad|promoted",
            r"top (?:content|stories)(?: trending)?|trending(?: now| stories)?|most (?:read|popular)",
            # display toggles of any site's article page ("Enable Read mode", "Dark mode", "Reader view")
            r"(?:(?:enable|disable|turn (?:on|off)|switch (?:to|off)|toggle|exit)\s+)?"
            r"(?:read(?:er|ing)?|dark|light|night|full[- ]?screen|focus|text[- ]only|print)\s+(?:mode|view|version)"
            r"|\d{1,3}\s?% font size|font size|text size",
            r"(?:video )?ad feedback|why (?:am i seeing|this) ad\??",
            r"(?:(?:last )?(?:published|updated|posted)\s*:?\s*)+",
            r"share(?: this)?(?: article| story| page)?(?: on [\w ]{1,20})?|print|email|copy link",
            r"listen(?: to (?:this )?(?:article|story))?|\d+\s?min(?:ute)?s? read",
            r"(?:skip|jump) to (?:main )?content|back to top|close|menu|log ?in|sign ?in|subscribe(?: now)?",
            r"for (?:all )?the latest (?:news|headlines|updates)\b.{0,120}",
            r"follow us on [\w ,&]{1,60}|(?:click|tap) here\b.{0,80}",
            r"comments?(?: \(\d+\))?|show comments|leave a comment|(?:we use|accept(?: all)?) cookies\b.{0,200}",
        ]
    )
    + r")[\s:.!]*",
    re.IGNORECASE,
)

# Donation / subscription appeals and calls to action, by their grammar: the outlet ("we", "us", "our")
# asks the reader ("you") to give, join or sign up. One strong pattern is enough; weak ones need company.
_APPEAL_STRONG = re.compile(
    r"|".join(
        [
            r"\bwe need your (?:help|support)\b",
            r"\b(?:readers|viewers|listeners|supporters) like you\b",
            r"\bplease (?:contribute|donate|support us|consider (?:supporting|donating|a contribution))\b",
            r"\b(?:join|support|help|back|fund) "
            r"(?:us\b|our (?:community|journalism|reporting|newsroom|work|mission)\b)",
            r"\bsupport (?:our|independent|quality) (?:journalism|reporting|newsroom|work)\b",
            r"\b(?:make|give) a (?:donation|contribution)\b",
            r"\bdonate (?:now|today|here)\b",
            r"\bsign up\b.{0,60}\bnewsletters?\b",
            r"\bbuy (?:us|me) an?\b",
            r"\bsubscribe (?:now|today|here)\b",
        ]
    ),
    re.IGNORECASE,
)
# A short imperative line offering a relationship with the outlet: "Become a Patron!", "Get our app".
_CALL_TO_ACTION = re.compile(
    r"(?:please\s+)?(?:become|join|subscribe|sign up|register|donate|download|get|follow|support|upgrade)\b"
    r"[\w\s'’,&-]{0,60}\b(?:us|our|newsletters?|membership|subscription|patron|member|supporter|subscriber"
    r"|donor|app|premium|account)\b[\w\s'’,&-]{0,40}[.!]?",
    re.IGNORECASE,
)
# Ad-survey widgets ask the reader about "this ad" ("How relevant is this ad to you?").
_AD_SURVEY = re.compile(r".{0,80}\b(?:this|these|the) (?:ads?|adverts?|advertisements?)\b.{0,80}", re.IGNORECASE)
_APPEAL_WEAK = re.compile(
    r"|".join(
        [
            r"\badvertising revenue\b",
            r"\bour mission\b",
            r"\bindependent\b.{0,40}\b(?:news|journalism)\b",
            r"\byou value\b",
            r"\bour (?:reporting|journalism)\b",
            r"\bsupport us\b",
            r"\bsubscri(?:be|ption)\b",
            r"\bcontribut",
            r"\bkeeps? [\w ]{0,30}\b(?:open|free)\b",
        ]
    ),
    re.IGNORECASE,
)
# A kicker or section label in capitals ("BREAKING NEWS", "HAPPENING LATER"): page chrome, not story.
_KICKER = re.compile(r"[A-Z][A-Z'’&-]*(?: [A-Z][A-Z'’&-]*){0,3}:?")
_ADDRESSES_READER = re.compile(r"\byour?\b", re.IGNORECASE)
_SPEAKS_AS_WE = re.compile(r"\b(?:we|us|our)\b", re.IGNORECASE)

# Photo agencies / credit strings that end a caption ("... the president Alamy", "... -/Presidency/dpa").
_AGENCY = (
    r"(?:Alamy(?: Stock Photo)?|Getty Images|Getty|Shutterstock|Reuters|AFP|AP Photo|EPA(?:-EFE)?"
    r"|EFE|dpa|DPA|Xinhua|TASS|Sputnik|ANSA|PA Wire|PA Media|PA Images|Press Association"
    r"|Associated Press|Anadolu Agency|Anadolu|Bloomberg|NurPhoto|SOPA Images|ZUMA Wire|Imago)"
)
_CREDIT_TAIL = re.compile(
    r"(?:^|(?<=[\s/(|]))" + _AGENCY + r"(?:[\s/,]+" + _AGENCY + r")*(?:\s*/\s*[A-Z][\w.'\u2019 -]{1,40})?\)?\s*$"
)
_PHOTO_PAREN = re.compile(
    r"\((?:screenshot|photo|photograph|image|video|illustration|illustrative|"
    r"file photo|archive|pictured)\b[^()]{0,80}\)\s*$",
    re.IGNORECASE,
)
_PHOTO_PREFIX = re.compile(r"^(?:photo|image|picture|photograph|credit|photo credit|main image)s?\s*:", re.IGNORECASE)
_BYLINE = re.compile(r"\(?(?:with |additional )?(?:reporting|writing|editing) by\b[^\"]{0,150}", re.IGNORECASE)
# A scraped image filename: lowercase words joined by >= 5 hyphens, no spaces.
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+){5,}(?:\.\w{2,4})?(?:\s|$)")

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
DATELINE = re.compile(
    r"(?:(?:published|updated|posted|last updated|date)(?: on)?\s*:?\s*)?"
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
    rf"(?P<date>{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{4})"
    r"(?:\s*(?:[-\u2013\u2014|,@]|at)?\s*\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?"
    r"\s*(?:[A-Z]{2,4}|UTC|GMT)?(?:[+-]\d{1,2}(?::?\d{2})?)?)?",
    re.IGNORECASE,
)

# "Read more:" / "Related:" headers introduce a list of short headline links.
_LIST_HEADER = re.compile(
    r"(?:read more|read also|also read|related(?: articles| stories| news| content| coverage)?"
    r"|more on this(?: story| topic)?|see also|recommended(?: for you)?|you (?:may|might) also like"
    r"|more stories|more from [\w ]{1,30})(?:\s*[:\uff1a]\s*(?P<rest>.+)|\s*[:\uff1a]?)",
    re.IGNORECASE,
)
_MAX_LIST_ITEMS = 12


@dataclass
class _Unit:
    start: int  # raw offset of the first kept character (stripped)
    end: int  # raw offset just past the last kept character
    para: int  # paragraph index: runs never join units of different paragraphs
    text: str  # whitespace-collapsed text that the rules look at


def _paragraphs(raw: str) -> list[list[tuple[int, int]]]:
    """Stripped (start, end) spans of non-blank lines, grouped into blank-line separated paragraphs."""
    paras: list[list[tuple[int, int]]] = [[]]
    pos = 0
    for line in raw.split("\n"):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            paras[-1].append((pos + lead, pos + lead + len(stripped)))
        elif paras[-1]:
            paras.append([])
        pos += len(line) + 1
    return [p for p in paras if p]


def _is_hard_wrapped(raw: str, lines: list[tuple[int, int]]) -> bool:
    """Prose wrapped at a fixed width: many breaks fall mid-sentence (next line starts lowercase)."""
    if len(lines) < 2:
        return False
    wraps = sum(
        1 for (b, e), (s, _) in pairwise(lines) if e - b >= 30 and raw[e - 1] not in '.!?:"\u201d)' and raw[s].islower()
    )
    return wraps * 3 >= len(lines) - 1


def _units(raw: str) -> list[_Unit]:
    """One unit per line, except a hard-wrapped paragraph, which is judged as a whole."""
    units = []
    for i, lines in enumerate(_paragraphs(raw)):
        groups = [lines] if _is_hard_wrapped(raw, lines) else [[ln] for ln in lines]
        for g in groups:
            text = " ".join(raw[g[0][0] : g[-1][1]].split())
            units.append(_Unit(g[0][0], g[-1][1], i, text))
    return units


def is_headline_like(text: str) -> bool:
    """Short, and not ending like a sentence or quote: a link title in a related-articles list."""
    return len(text) <= 160 and not re.search(r'[.!:;,"\u201d\u2019\u00bb\u2026]$', text)


def is_appeal(text: str) -> bool:
    if len(text) > 1500 or _QUOTES.search(text):
        return False
    if _APPEAL_STRONG.search(text):
        return True
    # Weak phrases ("our mission", "advertising revenue") also occur in stories about media,
    # so they only count in a paragraph that talks to the reader as "we ... you".
    return (
        len(_APPEAL_WEAK.findall(text)) >= 2
        and bool(_ADDRESSES_READER.search(text))
        and bool(_SPEAKS_AS_WE.search(text))
    )


def is_call_to_action(text: str) -> bool:
    """A short line that asks the reader to act for the outlet, or an ad widget asking about an ad."""
    if len(text) > 200 or _QUOTES.search(text):
        return False
    if _CALL_TO_ACTION.fullmatch(text) or _APPEAL_STRONG.search(text):
        return True
    return bool(_AD_SURVEY.fullmatch(text) and (_ADDRESSES_READER.search(text) or text.endswith("?")))


def is_caption(text: str) -> bool:
    """A photo caption or credit line: ends with an agency credit or "(Screenshot ...)"."""
    if len(text) > 600 or _QUOTES.search(text):
        return False
    return bool(
        _CREDIT_TAIL.search(text) or _PHOTO_PAREN.search(text) or (len(text) <= 300 and _PHOTO_PREFIX.search(text))
    )


def _rule_for(text: str, seen: set[str]) -> str | None:
    """Name of the first rule that drops this line, or None to keep it."""
    checks = (
        ("chrome", lambda t: _CHROME.fullmatch(t)),
        ("appeal", is_appeal),
        ("call-to-action", is_call_to_action),
        ("kicker", lambda t: len(t) <= 40 and _KICKER.fullmatch(t)),
        ("dateline", lambda t: DATELINE.fullmatch(t)),
        ("caption", is_caption),
        ("slug", lambda t: _SLUG.match(t)),
        ("byline", lambda t: _BYLINE.fullmatch(t)),
        # A repeated headline; short one-word lines ("Yes.") may legitimately repeat in a story.
        ("repeat", lambda t: t in seen and len(t) <= 300 and len(t.split()) >= 4),
    )
    for name, check in checks:
        if check(text):
            return name
    return None


def classify(raw: str, templates: frozenset[str] = frozenset()) -> list[tuple[str, str | None]]:
    """(line text, rule name or None if kept) for every unit; useful to see why text was dropped."""
    units = _units(raw)
    return [(u.text, rule) for u, rule in zip(units, _rules(units, templates), strict=True)]


def _rules(units: list[_Unit], templates: frozenset[str] = frozenset()) -> list[str | None]:
    rules: list[str | None] = []
    seen: set[str] = set()
    list_left = 0  # > 0 while inside a "Read more:" list
    for u in units:
        if list_left and (is_headline_like(u.text) or _CHROME.fullmatch(u.text)):
            rules.append("related-list")
            list_left -= 1
            continue
        list_left = 0
        header = _LIST_HEADER.fullmatch(u.text)
        if header and not _QUOTES.search(u.text):
            rest = header.group("rest")
            if rest is None:
                rules.append("related-header")
                list_left = _MAX_LIST_ITEMS
                continue
            if is_headline_like(rest):
                rules.append("related-inline")
                continue
        rule = "template" if u.text in templates else _rule_for(u.text, seen)  # qa.templates
        rules.append(rule)
        if rule is None:
            seen.add(u.text)
    return rules


def clean_text(raw: str, templates: frozenset[str] = frozenset()) -> tuple[str, tuple[tuple[int, int, int], ...]]:
    """(clean text, segments) where each segment (cs, rs, n) has clean[cs:cs+n] == raw[rs:rs+n];
    `templates` are a corpus's recurring lines (qa.templates.template_lines), dropped as boilerplate."""
    units = _units(raw)
    runs: list[list[int]] = []  # [raw_start, raw_end, para]
    prev_kept = False
    for u, rule in zip(units, _rules(units, templates), strict=True):
        if rule is not None:
            prev_kept = False
            continue
        if prev_kept and runs[-1][2] == u.para:
            runs[-1][1] = u.end  # adjacent kept lines of one paragraph stay one verbatim run
        else:
            runs.append([u.start, u.end, u.para])
        prev_kept = True
    parts: list[str] = []
    segments: list[tuple[int, int, int]] = []
    pos = 0
    for start, end, _ in runs:
        if parts:
            pos += 2  # the "\n\n" joiner
        segments.append((pos, start, end - start))
        parts.append(raw[start:end])
        pos += end - start
    return "\n\n".join(parts), tuple(segments)
