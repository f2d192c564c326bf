"""The one-time check that decides whether llama.cpp's AMX kernels may run (qa.llm.amx).

The child process is replaced by small Python commands that crash, hang, disagree or agree, so
these tests need neither a model nor xllamacpp; tests/test_llm_gguf.py runs the real child.
"""
from __future__ import annotations

import json
import sys

import pytest

import qa.llm.amx as amx


def _child_doing(monkeypatch, code: str) -> None:
    monkeypatch.setattr(amx, "_probe_command", lambda model, threads: [sys.executable, "-c", code])


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGUF")
    return path


def test_a_child_killed_by_sigill_means_no_amx(monkeypatch, model):
    _child_doing(monkeypatch, "import os, signal; os.kill(os.getpid(), signal.SIGILL)")
    assert amx.probe(model, 2) == (False, "the check crashed with SIGILL")


def _verdict(amx_dist: dict, plain_dist: dict) -> str:
    return f"print({json.dumps(json.dumps({'amx': amx_dist, 'plain': plain_dist}))})"


PLAIN = {" The": -2.06, " Lithuania": -2.07, " We": -2.55, "\n\n": -2.70, " ": -3.42, " A": -3.58, "\n": -3.80, " I": -3.97}


def test_runs_whose_next_token_distributions_agree_allow_amx(monkeypatch, model):
    # measured on a correct AMX build: the same tokens, log-probabilities moved by up to 0.35
    rounded = {t: lp + (0.35 if i % 2 else -0.2) for i, (t, lp) in enumerate(PLAIN.items())}
    _child_doing(monkeypatch, _verdict(rounded, PLAIN))
    assert amx.probe(model, 2) == (True, "8 of the 8 likeliest next tokens shared, log-probabilities within 0.35")


def test_runs_that_disagree_mean_no_amx(monkeypatch, model):
    garbage = {" the": -1.0, " a": -1.5, " one": -2.0, " Ukraine": -2.2, " of": -2.5, ",": -3.0, ".": -3.1, " to": -3.3}
    _child_doing(monkeypatch, _verdict(garbage, PLAIN))
    safe, why = amx.probe(model, 2)
    assert not safe and why.startswith("AMX changes the model's output (0 of the 8 likeliest")
    assert "[' the', ' a', ' one'] vs [' The', ' Lithuania', ' We']" in why
    shifted = {t: lp - 1.5 if t == " We" else lp for t, lp in PLAIN.items()}  # same tokens, one far off
    _child_doing(monkeypatch, _verdict(shifted, PLAIN))
    assert amx.probe(model, 2)[0] is False
    five = dict(list(PLAIN.items())[:5]) | dict(list(garbage.items())[:3])  # too few shared
    _child_doing(monkeypatch, _verdict(five, PLAIN))
    assert amx.probe(model, 2)[0] is False


def test_a_failing_silent_or_slow_child_means_no_amx(monkeypatch, model):
    _child_doing(monkeypatch, "import sys; sys.exit('error: could not load the GGUF model')")
    assert amx.probe(model, 2) == (False, "the check failed (exit 1): error: could not load the GGUF model")
    _child_doing(monkeypatch, "print('not json')")
    assert amx.probe(model, 2) == (False, "the check printed no verdict: not json")
    _child_doing(monkeypatch, _verdict({}, {}))
    assert amx.probe(model, 2) == (False, "the model gave no next-token probabilities")
    monkeypatch.setattr(amx, "PROBE_TIMEOUT", 0.5)
    _child_doing(monkeypatch, "import time; time.sleep(30)")
    assert amx.probe(model, 2) == (False, "the check did not finish within 0.5 s")


def test_the_verdict_is_cached_per_build_and_model(monkeypatch, model, tmp_path):
    runs, key = [], {"now": "build-a"}
    monkeypatch.setattr(amx, "build_key", lambda path: key["now"])
    monkeypatch.setattr(amx, "probe", lambda path, threads: runs.append(path) or (True, "both runs wrote ' A'"))
    cache = tmp_path / "cache"
    assert amx.amx_safe(model, cache, 2) and amx.amx_safe(model, cache, 2) and len(runs) == 1
    key["now"] = "build-b"  # a rebuilt llama.cpp or another model file: checked again
    monkeypatch.setattr(amx, "probe", lambda path, threads: runs.append(path) or (False, "the check crashed with SIGILL"))
    assert amx.amx_safe(model, cache, 2) is False and len(runs) == 2
    assert amx.amx_safe(model, cache, 2) is False and len(runs) == 2
    saved = json.loads((cache / amx.VERDICTS).read_text())
    assert saved["build-a"]["safe"] is True and saved["build-b"]["why"] == "the check crashed with SIGILL"
    (cache / amx.VERDICTS).write_text("{torn")  # a damaged cache file: checked again, then repaired
    assert amx.amx_safe(model, cache, 2) is False and len(runs) == 3
    assert json.loads((cache / amx.VERDICTS).read_text())["build-b"]["safe"] is False


def test_the_amx_setting_accepts_the_usual_switch_words(monkeypatch):
    from qa import config

    for raw, want in (("1", "on"), ("yes", "on"), ("ON", "on"), ("0", "off"), ("false", "off"), ("auto", "auto")):
        monkeypatch.setenv("QA_LLM_AMX", raw)
        assert config.settings().llm_amx == want
    monkeypatch.delenv("QA_LLM_AMX")
    assert config.settings().llm_amx == "auto"
