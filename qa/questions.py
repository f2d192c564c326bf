"""Checking a question before anything is loaded (empty, too long, control characters, lone surrogates),
and the form it is searched in.

`check_question` is used by the API, the CLI (which refuses bad input before it loads an index) and so
the web chat. `search_form` drops references to the articles themselves ("according to the article",
"quoted in the coverage"): every passage is from the articles, so those words only pull the search
toward the rare passage that uses them and lower the share of the question a right sentence covers. It
does not retrieve or answer.
"""

from __future__ import annotations

import re

from . import config
from .errors import InvalidQuestionError

# NUL and other control characters carry no meaning in a question (and can drive a terminal when echoed)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_question(question: str) -> str:
    """The question with whitespace collapsed, control characters blanked and lone surrogates (which
    the model's tokenizer refuses) replaced by U+FFFD; InvalidQuestionError if empty or too long."""
    if not isinstance(question, str) or not question.strip():
        raise InvalidQuestionError("the question is empty")
    if len(question) > config.MAX_QUESTION_CHARS:
        raise InvalidQuestionError(
            f"the question is {len(question)} characters; the limit is {config.MAX_QUESTION_CHARS}"
        )
    question = question.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    question = " ".join(_CONTROL.sub(" ", question).split())
    if not question:
        raise InvalidQuestionError("the question is empty")
    return question


# "according to the article", "quoted in the coverage", "in these news stories": the corpus itself, named
# as a source. "report" is left alone: "the report" is often a document the news is about.
_REFERENCE = (
    r"(?:according\s+to|in|from|by|within)\s+(?:the|this|these|those|that)\s+(?:news\s+)?"
    r"(?:articles?|coverage|stor(?:y|ies)|texts?|documents?|passages?|corpus)\b"
)
# a verb of reporting goes too when the reference ends the clause ("the president quoted in the coverage?")
_CORPUS_REFERENCE = re.compile(
    rf",?\s*\b(?:(?:as\s+)?(?:quoted|mentioned|reported|cited|described|named|featured)\s+{_REFERENCE}"
    rf"(?=\s*[?.!,]|\s*$)|{_REFERENCE}),?",
    re.IGNORECASE,
)


_JUST_REFERENCE = re.compile(rf",?\s*\b{_REFERENCE},?", re.IGNORECASE)
_ENDS_AUXILIARY = re.compile(r"\b(?:is|are|was|were|be|been|being|do|does|did|has|have|had)\W*$", re.IGNORECASE)


def search_form(question: str) -> str:
    """The question without references to the articles themselves; unchanged if nothing else is left."""
    stripped = _tidy(_CORPUS_REFERENCE.sub(" ", question))
    if _ENDS_AUXILIARY.search(stripped):  # "Which city is mentioned in the story?": the verb is the question's
        stripped = _tidy(_JUST_REFERENCE.sub(" ", question))
    if stripped == _tidy(question) or len(re.findall(r"\w+", stripped)) < 3:
        return question
    return stripped[:1].upper() + stripped[1:]


def _tidy(text: str) -> str:
    return re.sub(r"\s+([?.!,])", r"\1", " ".join(text.split()))
