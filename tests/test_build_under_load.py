"""A rebuild while 8 gradio_client users ask: zero failed requests, and every answer's citations are
verbatim from one generation, the one it started with (never a mix of old and new offsets).

The corpus alternates between two versions whose texts differ at the start of every article, so all
offsets shift between generations: a citation read against the wrong generation cannot pass.
Fake embedder, a modest corpus (5 seed + 30 generated articles), 4 full rebuilds. Marked slow.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from qa.eval_data import load_eval_set

from .conftest import CORPUS, REPO

pytestmark = [pytest.mark.slow, pytest.mark.web]
USERS, REBUILDS, MIN_PER_USER = 8, 4, 10
PLACES = ["Vilnius", "Riga", "Tallinn", "Kyiv", "Warsaw", "Gdansk"]


def write_version(corpus: Path, version: int) -> None:
    """Version 0: the articles as they are; version 1: each begins with a revision note (offsets move).
    Each note names its article: one line repeated in every article would be dropped as template text."""

    def revision(key: str) -> str:
        return f"Revision note on {key}: the editors updated this article after publication.\n\n" if version else ""

    for f in sorted(CORPUS.iterdir()):
        (corpus / f.name).write_text(revision(f.stem) + f.read_text(encoding="utf-8"), encoding="utf-8")
    for i in range(30):
        place = PLACES[i % len(PLACES)]
        note = revision(f"report {i}")
        body = (f"Harbour report {i}\n\n{note}The port authority of {place} said on Tuesday that {100 + i} ships "
                f"docked in March. Officials in {place} expect {i + 3} new cranes by the summer. "
                f"The mayor of {place} praised the dock workers.\n")
        (corpus / f"harbour_{i:02d}.txt").write_text(body, encoding="utf-8")


def consistent_with(answer: dict, versions: list[dict]) -> bool:
    """True when one generation holds every citation of the answer verbatim at its offsets."""
    return any(all(c["doc_id"] in docs and docs[c["doc_id"]].text[c["start"]:c["end"]] == c["quote"]
                   for c in answer["citations"]) for docs in versions)


def test_build_while_eight_users_ask(tmp_path):
    from qa import Assistant, config
    from qa.build import build_index

    from .test_web_client import client, serve

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    write_version(corpus, 0)
    build_index(corpus, index, "fake")
    settings = config.Settings(corpus_dir=corpus, index_dir=index, model="fake", cache_dir=tmp_path / "cache",
                               llm_model=None, llm_url=None)
    assistant = Assistant.load(index, model="fake", settings=settings)
    versions = [dict(assistant.index.documents)]
    questions = [q.question for q in load_eval_set(REPO / "tests" / "data" / "news_questions.jsonl").questions]
    questions += [f"How many ships docked in {p}?" for p in PLACES]
    demo, url = serve(assistant)
    done, failures, answers, lock = threading.Event(), [], [], threading.Lock()

    def user(u: int) -> int:
        c, n = client(url), 0
        while not done.is_set() or n < MIN_PER_USER:
            try:
                out = c.predict(questions[(u * 5 + n) % len(questions)], api_name="/ask")
                with lock:
                    answers.append(out)
            except Exception as exc:  # noqa: BLE001 - counted, then asserted to be none
                with lock:
                    failures.append(repr(exc))
            n += 1
        return n

    during = []

    def builder() -> None:
        try:
            start = len(answers)
            for r in range(1, REBUILDS + 1):
                write_version(corpus, r % 2)
                assistant.rebuild(full=True)
                with lock:
                    versions.append(dict(assistant.index.documents))
            during.append(len(answers) - start)
        finally:
            done.set()

    try:
        with ThreadPoolExecutor(USERS + 1) as pool:
            asked = pool.map(user, range(USERS))
            pool.submit(builder).result()
            total = sum(asked)
    finally:
        demo.close()
    assert failures == []
    assert during and during[0] >= USERS  # answers really arrived while the builds ran
    print(f"{total} answers, {during[0]} during {REBUILDS} rebuilds, {len(failures)} failed")
    assert len(versions) == REBUILDS + 1 and total == len(answers) >= USERS * MIN_PER_USER
    cited = [a for a in answers if a["citations"]]
    assert cited, "no answer cited anything"
    assert [a["citations"] for a in answers if not consistent_with(a, versions)] == []
    first_docs, new_docs = versions[0], versions[1]
    some = next(d for d in first_docs if d.startswith("harbour_"))
    assert first_docs[some].text != new_docs[some].text  # the generations really differ
