"""Every backend offers the whole LLMBackend protocol, and the llm modules import in one direction."""
import ast
import inspect
from pathlib import Path

import pytest

from qa.llm import backends, http

MEMBERS = ("name", "prompt_style", "ctx", "max_tokens", "last_timings", "stream", "warm", "close")


@pytest.mark.parametrize("make", [
    lambda tmp: backends.GGUFBackend(tmp / "m.gguf"),
    lambda tmp: http.HTTPBackend("http://127.0.0.1:9/v1", "m"),
])
def test_backends_have_every_protocol_member(make, tmp_path):
    backend = make(tmp_path)
    assert all(hasattr(backend, m) for m in MEMBERS)
    assert all(callable(getattr(backend, m)) for m in ("stream", "warm", "close"))
    backend.close()  # nothing loaded yet: closing is harmless


def test_protocol_lists_the_same_members():
    declared = set(inspect.get_annotations(backends.LLMBackend)) | {
        n for n, v in vars(backends.LLMBackend).items() if inspect.isfunction(v) and not n.startswith("__")}
    assert declared == set(MEMBERS)


def _imports(module: str) -> set[str]:
    tree = ast.parse(Path(inspect.getfile(backends)).with_name(f"{module}.py").read_text())
    return {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 1}


def test_amx_and_llamacpp_do_not_import_backends():
    assert "backends" not in _imports("amx") and "backends" not in _imports("llamacpp")
    assert {"amx", "llamacpp"} <= _imports("backends")
