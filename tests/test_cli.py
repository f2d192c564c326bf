"""The CLI contract: `ask --json` lines, several questions per call, one-line errors with exit codes."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from .conftest import REPO


def run(*args, env_extra=None):
    env = dict(os.environ, HF_HUB_OFFLINE="1", **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "qa", *args], capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=120)


def test_ask_json_contract(fake_index):
    out = run("ask", "--index", str(fake_index), "--model", "fake", "--json", "--k", "3",
              "When did the Baltic states regain independence?", "Who is the prime minister of Japan?")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 2
    for obj in lines:
        assert set(obj) >= {"question", "answer", "short_answer", "abstained", "mode", "citations", "passages"}
        assert obj["mode"] == "extractive" and len(obj["passages"]) <= 3
        for c in obj["citations"]:
            assert set(c) == {"n", "doc_id", "title", "source", "date", "quote", "start", "end"}
            text = (REPO / "corpus" / c["doc_id"]).read_text()
            assert c["quote"] in text  # the quote is verbatim in the article file itself
        for rank, p in enumerate(obj["passages"], 1):
            assert p["rank"] == rank
            assert {"rank", "doc_id", "title", "source", "date", "text", "start", "end", "score"} <= set(p)


def test_ask_plain_text_lists_sources(fake_index):
    out = run("ask", "--index", str(fake_index), "--model", "fake", "Who signed the Security Cooperation Agreement?")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Q: ") and ("Sources:" in out.stdout or "Closest passages:" in out.stdout)


def test_errors_are_one_line_with_nonzero_exit(fake_index, tmp_path):
    empty = run("ask", "--index", str(fake_index), "   ")
    assert empty.returncode == 2 and empty.stderr.strip() == "error: the question is empty"
    long = run("ask", "--index", str(fake_index), "x" * 2000)
    assert long.returncode == 2 and long.stderr.count("\n") == 1
    missing = run("build", "--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "i"))
    assert missing.returncode == 1 and "corpus folder not found" in missing.stderr
    noindex = run("ask", "--index", str(tmp_path / "none"), "--model", "fake", "hello?")
    assert noindex.returncode == 1 and "python -m qa build" in noindex.stderr


def test_build_command_prints_summary(tmp_path):
    out = run("build", "--index", str(tmp_path / "i"), "--model", "fake")
    assert out.returncode == 0, out.stderr
    assert "Indexed 5 documents" in out.stdout


def test_chat_warms_the_local_model_once_and_reports_a_bad_one(fake_index, capsys, monkeypatch):
    """`chat` loads the local model in the background at start; a bad model is one warning line (the
    chat still answers extractively), and concurrent first questions make a single backend."""
    import threading
    import time

    import qa.llm.backends as backends
    from qa import Assistant, config
    from qa.cli import _warm_llm

    settings = config.Settings()
    settings.llm_model, settings.llm_url = "/nonexistent/model.gguf", None
    assistant = Assistant.load(fake_index, model="fake", settings=settings)
    _warm_llm(assistant)
    assert capsys.readouterr().err == ("warning: the local model is not usable: no GGUF model file at "
                                       "/nonexistent/model.gguf\n")
    calls = []

    class Loaded:
        def warm(self):
            calls.append("warm")

    monkeypatch.setattr(backends, "make_backend", lambda s: calls.append("make") or time.sleep(0.05) or Loaded())
    threads = [threading.Thread(target=assistant.llm_backend) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _warm_llm(assistant)
    assert calls == ["make", "warm"] and "Local model ready" in capsys.readouterr().err
