"""Damaged indexes: every file of a generation truncated, zeroed and bit-flipped in turn gives `ask`
and `check` one line naming the file and the fix, never an answer and never a traceback; `build --full`
repairs it. An index from another model, dimension or format version is one line naming both."""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qa import cli, store

from .conftest import REPO, copy_corpus

QUESTION = "When did the Baltic states regain independence?"
FIX = "python -m qa build --full"
EXPECTED_FILES = {"CURRENT", "manifest.json", "meta.sqlite", "doc_chunk_ptr.npy", "doc_sent_ptr.npy",
                  "chunk_sent_ptr.npy", "chunk_sent_rows.npy", "sent_spans.npy",
                  "chunk_vectors.npy", "sentence_vectors.npy", "dense.faiss", "bm25/params.index.json",
                  "bm25/vocab.index.json", "bm25/data.csc.index.npy", "bm25/indices.csc.index.npy",
                  "bm25/indptr.csc.index.npy"}
FLIP_SEEDS = (1, 2, 3)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("faults")
    corpus = copy_corpus(root / "corpus")
    assert cli.main(["build", "--corpus", str(corpus), "--index", str(root / "index"), "--model", "fake"]) == 0
    return corpus, root / "index"


def generation_files(index: Path) -> dict[str, Path]:
    """The files of a one-segment generation, named within their segment."""
    gen = store.require_generation(index)
    files = {name.split("/", 1)[1]: gen / name for name in store.read_manifest(gen)["files"]}
    return files | {"manifest.json": gen / "manifest.json", "CURRENT": index / "CURRENT"}


def truncate(path: Path, seed: int = 0) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def zero(path: Path, seed: int = 0) -> None:
    path.write_bytes(bytes(path.stat().st_size))


def flip(path: Path, seed: int = 0) -> None:
    data = bytearray(path.read_bytes())
    rng = random.Random(f"{path.name}-{seed}")
    data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    path.write_bytes(bytes(data))


def damaged_copy(pristine_index: Path, tmp_path: Path, name: str, damage, seed: int = 0) -> Path:
    index = tmp_path / "index"
    shutil.copytree(pristine_index, index)
    damage(generation_files(index)[name], seed)
    return index


def assert_refused(capsys, index: Path, name: str) -> None:
    rc = cli.main(["ask", "--index", str(index), "--model", "fake", "--json", QUESTION])
    out, err = capsys.readouterr()
    assert rc == 1 and out == "", (out, err)  # never an answer
    assert err.startswith("error: ") and err.count("\n") == 1 and Path(name).name in err and FIX in err, err
    rc = cli.main(["check", "--index", str(index)])
    out, err = capsys.readouterr()
    assert rc == 1 and "Traceback" not in out + err, (out, err)
    problems = [line for line in out.splitlines() if line.startswith("problem: ")]
    assert problems and any(Path(name).name in p and FIX in p for p in problems), out


def test_every_file_is_covered(pristine):
    assert set(generation_files(pristine[1])) == EXPECTED_FILES


def test_a_sound_index_checks_ok(pristine, capsys):
    assert cli.main(["check", "--index", str(pristine[1])]) == 0
    assert capsys.readouterr().out.startswith("OK: ")


@pytest.mark.parametrize("name", sorted(EXPECTED_FILES))
@pytest.mark.parametrize("damage", [truncate, zero], ids=["truncated", "zeroed"])
def test_a_truncated_or_zeroed_file_is_named(pristine, tmp_path, capsys, name, damage):
    corpus, index = pristine
    index = damaged_copy(index, tmp_path, name, damage)
    assert_refused(capsys, index, name)
    # the fix the message gives works, with no manual clean-up
    assert cli.main(["build", "--full", "--corpus", str(corpus), "--index", str(index), "--model", "fake"]) == 0
    assert cli.main(["check", "--index", str(index)]) == 0
    assert cli.main(["ask", "--index", str(index), "--model", "fake", "--json", QUESTION]) == 0
    answer = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert answer["citations"]


@pytest.mark.parametrize("name", sorted(EXPECTED_FILES))
@pytest.mark.parametrize("seed", FLIP_SEEDS)
def test_a_flipped_bit_is_named_by_check(pristine, tmp_path, capsys, name, seed):
    """Loading checks sizes, not hashes (its cost must not grow with the index): a flipped bit inside a
    file may go unseen by `ask`, which then answers or refuses in one line, never a traceback;
    `check` hashes every file and names the damaged one."""
    index = damaged_copy(pristine[1], tmp_path, name, flip, seed)
    if name in ("CURRENT", "manifest.json"):  # read whole at every load: always refused
        assert_refused(capsys, index, name)
        return
    rc = cli.main(["ask", "--index", str(index), "--model", "fake", "--json", QUESTION])
    out, err = capsys.readouterr()
    assert rc == 0 or (rc == 1 and out == "" and err.count("\n") == 1 and FIX in err), (out, err)
    assert cli.main(["check", "--index", str(index)]) == 1
    out = capsys.readouterr().out
    assert any(Path(name).name in p and FIX in p for p in out.splitlines() if p.startswith("problem: ")), out


def test_check_catches_damage_the_hashes_cannot(pristine, tmp_path, capsys):
    """A file rewritten together with its manifest entry (so the hashes agree) still fails `check`:
    non-unit vectors and a FAISS index that no longer holds chunk_vectors.npy."""
    import numpy as np

    index = tmp_path / "index"
    shutil.copytree(pristine[1], index)
    gen = store.require_generation(index)
    path = generation_files(index)["chunk_vectors.npy"]
    vecs = store.load_npy(path)
    vecs[3] *= 2.0
    store.save_npy(path, vecs)
    rewrite_manifest(gen, lambda m: m)
    assert cli.main(["check", "--index", str(index)]) == 1
    out = capsys.readouterr().out
    assert "chunk_vectors.npy: 1 vector(s) are not finite or not unit length (first row 3)" in out
    assert "dense.faiss does not hold the vectors of chunk_vectors.npy" in out
    assert np.isfinite(vecs).all()


def rewrite_manifest(gen: Path, change) -> None:
    """Edit the manifest and re-seal it (sizes, hashes and checksum recomputed), as a real writer would."""
    path = gen / "manifest.json"
    manifest = change(json.loads(path.read_text()))
    for name in manifest["files"]:
        manifest["files"][name] = store.file_sha256(gen / name)
        manifest["sizes"][name] = (gen / name).stat().st_size
    manifest["checksum"] = store.manifest_checksum(manifest)
    path.write_text(json.dumps(manifest))


def one_line(capsys, argv) -> str:
    rc = cli.main(argv)
    out, err = capsys.readouterr()
    assert rc == 1 and out == "" and err.count("\n") == 1 and "Traceback" not in err, (out, err)
    return err


def test_another_dimension_names_both(pristine, capsys):
    err = one_line(capsys, ["ask", "--index", str(pristine[1]), "--model", "fake:32", QUESTION])
    assert "fake-hash-64" in err and "dim 64" in err and "fake-hash-32" in err and "dim 32" in err


def test_another_model_names_both(pristine, tmp_path, capsys):
    index = tmp_path / "index"
    shutil.copytree(pristine[1], index)

    def other_model(m):
        m["model"].update(name="other-model-64", fingerprint="f" * 64)
        return m

    rewrite_manifest(store.require_generation(index), other_model)
    err = one_line(capsys, ["ask", "--index", str(index), "--model", "fake", QUESTION])
    assert "other-model-64" in err and "fake-hash-64" in err and "--full" in err


@pytest.mark.parametrize("version", [store.FORMAT_VERSION + 1, 1])
def test_another_format_version_names_both(pristine, tmp_path, capsys, version):
    index = tmp_path / "index"
    shutil.copytree(pristine[1], index)
    gen = store.require_generation(index)
    if version == 1:  # what an older qa wrote: no checksum, no sizes
        m = json.loads((gen / "manifest.json").read_text())
        (gen / "manifest.json").write_text(json.dumps({k: v for k, v in m.items()
                                                       if k not in ("checksum", "sizes")} | {"format_version": 1}))
    else:
        rewrite_manifest(gen, lambda m: m | {"format_version": version})
    err = one_line(capsys, ["ask", "--index", str(index), "--model", "fake", QUESTION])
    assert f"format {version}" in err and f"reads format {store.FORMAT_VERSION}" in err and FIX in err
    assert cli.main(["check", "--index", str(index)]) == 1
    assert f"format {version}" in capsys.readouterr().out


def test_damage_seen_from_a_real_process_is_one_line(pristine, tmp_path):
    index = damaged_copy(pristine[1], tmp_path, "dense.faiss", zero)
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    for argv in (["ask", "--model", "fake", QUESTION], ["check"]):
        out = subprocess.run([sys.executable, "-m", "qa", argv[0], "--index", str(index), *argv[1:]],
                             capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
        assert out.returncode == 1 and "dense.faiss" in out.stdout + out.stderr and "Traceback" not in out.stderr


def test_a_new_build_first_removes_what_dead_builds_left(pristine, tmp_path):
    """A build killed while writing leaves generations/.tmp-*; the next build (holding the lock, so no
    live build can own it) removes it before writing its own, freeing that space first."""
    index = tmp_path / "index"
    shutil.copytree(pristine[1], index)
    dead = index / "generations" / ".tmp-20200101T000000-dead00"
    dead.mkdir()
    (dead / "chunk_vectors.npy").write_bytes(bytes(1 << 16))
    lock = store.build_lock(index)
    try:
        name, tmp = store.new_generation_dir(index)
    finally:
        lock.release()
    assert not dead.exists() and tmp.is_dir() and tmp.name == f".tmp-{name}"
