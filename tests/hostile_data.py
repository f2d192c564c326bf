"""The hostile questions kept as test data (tests/data/hostile_questions.json), expanded.

Each entry has an `id`, a `text` (repeated `repeat` times, so a 1 MB question is not a 1 MB file) and
what must happen: `error` (a one-line QAError), `answer` (an Answer, answered or abstained) or `any`
(either of the two, never anything else). Used by tests/test_hostile_questions.py and benchmarks/soak.py.
"""
from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "hostile_questions.json"


def hostile_questions() -> list[dict]:
    rows = json.loads(DATA.read_text(encoding="utf-8"))
    return [dict(r, text=r["text"] * r.get("repeat", 1)) for r in rows]


def markup_probes() -> list[str]:
    """Markup that must never appear unescaped in rendered HTML (from questions or articles)."""
    return ["<script", "<img", "<iframe", "<style", "<svg", "onerror=", "onload=", "javascript:"]
