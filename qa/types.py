"""The small dataclasses that flow through the pipeline: corpus -> chunks -> index -> answer.

Every span carries document offsets into `Document.text` (the stored *clean* text), so that
`doc.text[start:end]` is always the exact quoted text. This module holds data only: no I/O,
no model code.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Document:
    """One article after loading and cleaning. `text` is what every offset refers to."""

    doc_id: str
    title: str
    date: str | None  # ISO date (YYYY-MM-DD) or None when unknown
    source: str  # corpus-relative path, or the article URL when the file names one
    text: str
    content_hash: str  # sha256 of `text`; drives incremental rebuilds
    path: str = ""  # corpus-relative path of the file it came from
    # (clean_start, raw_start, length) runs mapping clean text back to the raw file's text
    segments: tuple[tuple[int, int, int], ...] = ()

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Skipped:
    """A file the loader did not index, and why (shown in the build summary)."""

    path: str
    reason: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Chunk:
    """A slice of a document sized for the embedder; `sentences` are (start, end) doc offsets."""

    chunk_id: str
    doc_id: str
    start: int
    end: int
    text: str
    sentences: tuple[tuple[int, int], ...]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["sentences"] = [list(s) for s in self.sentences]
        return d


@dataclass
class Passage:
    """A retrieved chunk. `also_in` lists near-duplicate passages from other articles (syndication)."""

    rank: int
    doc_id: str
    title: str
    source: str
    date: str | None
    text: str
    start: int
    end: int
    score: float
    chunk_id: str = ""
    also_in: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            k: getattr(self, k) for k in ("rank", "doc_id", "title", "source", "date", "text", "start", "end", "score")
        } | ({"also_in": self.also_in} if self.also_in else {})


@dataclass
class Citation:
    """A verbatim quote: `quote == document.text[start:end]` always holds."""

    n: int
    doc_id: str
    title: str
    source: str
    date: str | None
    quote: str
    start: int
    end: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    """What `Assistant.ask` returns: the answer text, its verbatim citations and the passages it read.

    Attributes:
        question: the question searched: for a follow-up, the full question it was rewritten into.
        text: the answer with [n] markers; "I could not find this in the articles." when abstained.
        short_answer: the span asked for ("1991", "up to 1,000") when one was found, else None.
        citations: the quoted sentences [1]..[n]; `c.quote == document.text[c.start:c.end]` always.
        passages: the retrieved passages, ranked (shown as the closest ones when abstained).
        abstained: True when the articles do not support an answer (no citations then).
        mode: "extractive", or "llm" when a local model's checked sentences were kept (or the name of
            another answerer registered in qa.answerers).
        note: what changed the answer, e.g. sentences the check removed or a fall-back to extractive.
        confidence: the score the abstention threshold is compared with (extractive), or the mean
            support of the kept sentences (llm); in [0, 1] for "llm", comparable only within a mode.
        features: the evidence the extractive abstain decision read (qa.abstention), not in `to_dict()`.

    Methods: `to_dict()` (the JSON of `qa ask --json` and the web API) and `to_markdown()` (plain text
    for a terminal; escape it before putting it into HTML).

    Example:
        >>> answer = assistant.ask("How many Patriot missiles are allies procuring?")
        >>> answer.short_answer, answer.abstained, answer.citations[0].n
        ('up to 1,000', False, 1)
        >>> answer.to_dict()["citations"][0]["quote"]  # the sentence, verbatim
    """

    question: str
    text: str
    short_answer: str | None
    citations: list[Citation]
    passages: list[Passage]
    abstained: bool
    mode: str = "extractive"
    note: str = ""  # e.g. why the LLM answer fell back to extractive
    confidence: float = 0.0
    # the evidence the abstain decision read (qa.abstention.FEATURES); for `qa eval --json` and refitting
    features: dict[str, float] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "short_answer": self.short_answer,
            "abstained": self.abstained,
            "mode": self.mode,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
        } | ({"note": self.note} if self.note else {})

    def to_markdown(self) -> str:
        """Plain markdown; callers that render HTML must escape article text themselves."""
        lines = []
        if self.short_answer and not self.abstained:
            lines.append(f"**{self.short_answer}**\n")
        lines.append(self.text)
        if self.note:
            lines.append(f"\nNote: {self.note}")
        if self.citations:
            lines.append("\nSources:")
            for c in self.citations:
                when = f", {c.date}" if c.date else ""
                lines.append(f"[{c.n}] {c.title}{when} ({c.source}): \u201c{c.quote}\u201d")
        elif self.passages:
            lines.append("\nClosest passages:")
            for p in self.passages[:3]:
                lines.append(f"- {p.title} ({p.source}): {p.text[:200]}")
        return "\n".join(lines)
