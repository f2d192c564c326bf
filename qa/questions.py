"""Checking a question before anything is loaded: empty, too long, control characters, lone surrogates.

Used by the API, the CLI (which refuses bad input before it loads an index) and so the web chat. It
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
