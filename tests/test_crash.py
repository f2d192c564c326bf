"""Crash safety: `python -m qa build` killed with SIGKILL at random moments, and a disk that fills up.

After every kill the index answers from one complete generation (the old one or the new one, never
a mix), `check` passes, no lock is left held, and the next build succeeds without manual clean-up.
A full disk (a small tmpfs mounted here; skipped with the reason where mounting is not allowed) is
one error line, the old index keeps serving and the partial generation is removed.
benchmarks/crash_kill.py runs many more kills.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qa import store
from qa.index import Index

from .conftest import REPO, copy_corpus

pytestmark = pytest.mark.slow
KILLS = 4
ENV = dict(os.environ, HF_HUB_OFFLINE="1")
QUESTION = "When did the Baltic states regain independence?"


def qa(*args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa", *args], capture_output=True, text=True, cwd=REPO,
                          env=ENV, timeout=timeout)


def synthetic(out: Path, n: int, seed: int) -> Path:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from synthetic import generate

    return generate(out, n, seed)


def doc_ids(corpus: Path) -> set[str]:
    return {p.name for p in corpus.iterdir() if p.is_file()}


def assert_whole_index(index: Path, allowed: list[set[str]]) -> str:
    """The live generation checks out and holds exactly one of the allowed document sets."""
    check = qa("check", "--index", str(index))
    assert check.returncode == 0, check.stdout + check.stderr
    gen = store.require_generation(index)
    ids = set(Index.load(index).documents)
    assert ids in allowed, "a mix of two builds"
    ask = qa("ask", "--index", str(index), "--model", "fake", "--json", "--k", "3", QUESTION)
    assert ask.returncode == 0 and json.loads(ask.stdout)["passages"], ask.stderr
    return gen.name


def assert_lock_free(index: Path) -> None:
    lock = store.build_lock(index)  # raises BuildLockedError if a dead build still held it
    lock.release()


def test_kill_9_at_random_moments(tmp_path):
    """Builds alternate between two corpora of different sizes; each is killed at a random moment."""
    a = synthetic(tmp_path / "a", 300, seed=1)
    b = synthetic(tmp_path / "b", 240, seed=2)
    index = tmp_path / "index"
    start = time.perf_counter()
    assert qa("build", "--corpus", str(a), "--index", str(index), "--model", "fake").returncode == 0
    full_build = time.perf_counter() - start  # kills are spread over the length of a real build
    allowed = [doc_ids(a), doc_ids(b)]
    rng = random.Random(12)
    outcomes = []
    for i in range(KILLS):
        corpus = (b, a)[i % 2]
        proc = subprocess.Popen([sys.executable, "-m", "qa", "build", "--full", "--corpus", str(corpus),
                                 "--index", str(index), "--model", "fake"], cwd=REPO, env=ENV,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 1.2) * full_build)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        outcomes.append((proc.returncode, assert_whole_index(index, allowed)))
        assert_lock_free(index)
    final = qa("build", "--full", "--corpus", str(b), "--index", str(index), "--model", "fake")
    assert final.returncode == 0, final.stderr
    assert assert_whole_index(index, [doc_ids(b)])
    assert not list((index / "generations").glob(".tmp-*"))  # leftovers of the killed builds are gone
    print("kills (returncode, live generation):", outcomes)


@pytest.fixture
def tmpfs(tmp_path):
    """A 1 MB tmpfs mounted for this test (root only)."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_disk_full_keeps_the_old_index(tmp_path, tmpfs):
    small = copy_corpus(tmp_path / "small")
    index = tmpfs / "index"
    assert qa("build", "--corpus", str(small), "--index", str(index), "--model", "fake").returncode == 0
    before = assert_whole_index(index, [doc_ids(small)])
    big = synthetic(tmp_path / "big", 300, seed=3)  # its index (about 4 MB) cannot fit in 1 MB
    out = qa("build", "--corpus", str(big), "--index", str(index), "--model", "fake")
    assert out.returncode == 1, out.stdout + out.stderr
    err = [line for line in out.stderr.replace("\r", "\n").splitlines() if line.startswith("error: ")]
    assert "Traceback" not in out.stderr and len(err) == 1, out.stderr  # the rest is the progress bar
    assert "No space left on device" in err[0] and "previous index is still in use" in err[0], err
    assert assert_whole_index(index, [doc_ids(small)]) == before  # the old index still serves
    assert sorted(p.name for p in (index / "generations").iterdir()) == [before]  # partial one removed
    assert not (index / "CURRENT.tmp").exists()
    assert_lock_free(index)
