"""Template lines: short lines that recur across many articles of one corpus (page furniture of an outlet).

What it does: `template_lines(texts)` counts, per distinct article, the short lines of each raw text
(whitespace-collapsed) and returns those found in at least `min_docs` articles and at least
`min_share` of all articles: "Sign up for our daily newsletter", "Ad Feedback", a site's footer.
`qa.cleaning.clean_text(raw, templates=...)` then drops them like any other boilerplate. Evidence
that holds for any outlet: no phrase of any article is listed. It does not read files; the loader
(a corpus-level step, two passes) decides when to call it.
What it does not do: remove long lines (a syndicated story repeated in several articles is story, and
near-copies are folded at retrieval time), lines with quotes, or lines that are a whole article.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

MAX_CHARS = 200  # template furniture is short; longer repeated lines are syndicated story text
MAX_WORDS = 30
_QUOTES = re.compile(r'["\u201c\u201d\u00ab\u00bb\u201e]')


def _candidate_lines(raw: str) -> set[str]:
    lines = {" ".join(ln.split()) for ln in raw.splitlines()}
    lines.discard("")
    if len(lines) < 2:  # a one-line article (one record per line) is all story
        return set()
    return {ln for ln in lines if len(ln) <= MAX_CHARS and len(ln.split()) <= MAX_WORDS and not _QUOTES.search(ln)}


def template_lines(texts: Iterable[str], min_docs: int = 3, min_share: float = 0.05) -> frozenset[str]:
    """Short lines (whitespace-collapsed) that recur in at least `min_docs` articles and `min_share` of them."""
    counts: Counter[str] = Counter()
    n = 0
    for raw in texts:
        n += 1
        counts.update(_candidate_lines(raw))
    need = max(min_docs, min_share * n)
    return frozenset(line for line, c in counts.items() if c >= need)
