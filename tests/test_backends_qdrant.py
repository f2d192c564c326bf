"""The Qdrant backend end to end, without a server (qdrant-client's local mode in a folder): the same
answers as FAISS, crash-safe builds behind an alias, and one-line errors for what users can get wrong."""
from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest

from qa import Assistant, cli, store
from qa.backends import qdrant, qdrant_conn
from qa.build import build_index
from qa.errors import IndexMismatchError, QAError
from qa.index import Index

from .conftest import CORPUS, REPO, copy_corpus


def _same(a: dict, b: dict) -> bool:
    """Answers equal in everything; scores (FAISS's and Qdrant's sums differ in the last bit) within 1e-5."""
    floats_a, floats_b = [], []

    def strip(value, out):
        if isinstance(value, float):
            out.append(value)
            return "float"
        if isinstance(value, dict):
            return {k: strip(v, out) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v, out) for v in value]
        return value

    return strip(a, floats_a) == strip(b, floats_b) and np.allclose(floats_a, floats_b, rtol=0, atol=1e-5)


def _collections(loc: dict) -> set[str]:
    return {c.name for c in qdrant_conn.client(loc).get_collections().collections}


def _alias(loc: dict) -> str:
    return {a.alias_name: a.collection_name for a in qdrant_conn.client(loc).get_aliases().aliases}["qa"]


def _live_collection(index_dir) -> str:
    return store.read_manifest(store.current_generation(index_dir))["dense"]["params"]["collection"]


@pytest.fixture(scope="module")
def qdrant_index(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("qdrant_index")
    build_index(CORPUS, index_dir, "fake", dense=qdrant.location(path=index_dir / "qdrant"))
    return index_dir


def test_same_answers_as_faiss(fake_assistant, qdrant_index):
    questions = [json.loads(line) for line in (REPO / "tests/data/news_questions.jsonl").read_text().splitlines()]
    on_qdrant = Assistant.load(qdrant_index, model="fake")
    assert on_qdrant.index.manifest["dense"]["backend"] == "qdrant"
    answered = 0
    for q in questions:
        faiss_answer = fake_assistant.ask(q["question"]).to_dict()
        assert _same(on_qdrant.ask(q["question"]).to_dict(), faiss_answer)
        answered += not faiss_answer["abstained"]
        filters = {"doc_ids": q["sources"][:1]}
        assert _same(on_qdrant.ask(q["question"], filters=filters).to_dict(),
                     fake_assistant.ask(q["question"], filters=filters).to_dict())
    assert answered >= len(questions) // 2  # the comparison covers real answers, not only abstentions
    dated = {"date_from": "2024-01-01", "date_to": "2024-06-30"}
    assert ([p.doc_id for p in on_qdrant.retrieve("air defence", filters=dated)]
            == [p.doc_id for p in fake_assistant.retrieve("air defence", filters=dated)])


def test_interrupted_build_leaves_the_old_collection_serving(tmp_path, monkeypatch):
    corpus, index_dir = copy_corpus(tmp_path / "corpus"), tmp_path / "idx"
    loc = qdrant.location(path=tmp_path / "q")
    build_index(corpus, index_dir, "fake", dense=loc)
    first = _live_collection(index_dir)
    assert _alias(loc) == first

    def crash(*args, **kwargs):
        raise RuntimeError("power cut before the commit")

    monkeypatch.setattr(store, "commit_generation", crash)
    from qa.errors import IndexWriteError

    with pytest.raises(IndexWriteError, match="power cut"):  # a failed write is one line; the old index serves
        build_index(corpus, index_dir, "fake", full=True)
    monkeypatch.undo()
    orphans = _collections(loc) - {first}
    assert len(orphans) == 1  # the half-built collection exists, but nothing points at it
    assert _alias(loc) == first and _live_collection(index_dir) == first
    assert not Assistant.load(index_dir, model="fake").ask("How many Patriot missiles are allies procuring?").abstained

    build_index(corpus, index_dir, "fake", full=True)
    second = _live_collection(index_dir)
    assert _alias(loc) == second and _collections(loc) == {first, second}  # the orphan is gone
    build_index(corpus, index_dir, "fake", full=True)
    kept = {json.loads(m.read_text())["dense"]["params"]["collection"]
            for m in (index_dir / "generations").glob("*/manifest.json")}
    assert len(kept) == 2 and _collections(loc) == kept  # a collection goes with its generation


def test_missing_collection_is_one_line(tmp_path, capsys):
    corpus, index_dir = copy_corpus(tmp_path / "corpus"), tmp_path / "idx"
    assert cli.main(["build", "--corpus", str(corpus), "--index", str(index_dir), "--model", "fake",
                     "--backend", "qdrant", "--qdrant-path", str(tmp_path / "q")]) == 0
    assert cli.main(["ask", "--index", str(index_dir), "--model", "fake", "Patriot missiles?"]) == 0
    loc = qdrant.location(path=tmp_path / "q")
    qdrant_conn.client(loc).delete_collection(_live_collection(index_dir))
    capsys.readouterr()
    assert cli.main(["ask", "--index", str(index_dir), "--model", "fake", "Patriot missiles?"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: Qdrant collection 'qa-") and "not found" in err and "\n" not in err


def test_collection_of_another_dimension_is_refused(qdrant_index):
    gen = store.current_generation(qdrant_index)
    manifest = store.read_manifest(gen)
    manifest["model"] = dict(manifest["model"], dim=384, name="another-model")
    with pytest.raises(IndexMismatchError, match="holds 64-d vectors .* 'another-model'"):
        qdrant.QdrantDense.load(gen, manifest)


def _silent_server():
    """Accepts connections and never answers: a hung server."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    held = []
    threading.Thread(target=lambda: [held.append(sock.accept()) for _ in range(8)], daemon=True).start()
    return sock


def _not_qdrant_server():
    server = HTTPServer(("127.0.0.1", 0), type("Quiet", (BaseHTTPRequestHandler,), {"log_message": lambda *a: None}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_server_errors_are_one_line():
    hung, other = _silent_server(), _not_qdrant_server()
    cases = [("http://127.0.0.1:1", qdrant_conn.QdrantUnavailableError, "cannot reach Qdrant"),
             (f"http://127.0.0.1:{hung.getsockname()[1]}", qdrant_conn.QdrantTimeoutError, "did not answer within 1 s"),
             (f"http://127.0.0.1:{other.server_port}", qdrant_conn.QdrantUnavailableError, "right URL of a Qdrant")]
    try:
        for url, error, words in cases:
            with pytest.raises(error, match=words) as info:
                qdrant_conn.client(qdrant.location(url=url, timeout=1))
            assert isinstance(info.value, QAError) and "\n" not in str(info.value)
    finally:
        other.shutdown()
        hung.close()


def test_url_and_path_together_are_refused():
    with pytest.raises(QAError, match="not both"):
        qdrant.location(url="http://localhost:6333", path="/tmp/q")


def test_row_filter_shapes():
    assert qdrant._row_filter(None) is None
    runs = qdrant._row_filter(np.array([3, 4, 5, 9, 10], dtype=np.int64))
    assert [(c.range.gte, c.range.lte) for c in runs.should] == [(3, 5), (9, 10)]
    scattered = qdrant._row_filter(np.arange(0, 2 * (qdrant.MAX_RANGE_RUNS + 1), 2, dtype=np.int64))
    assert scattered.must[0].has_id == list(range(0, 2 * (qdrant.MAX_RANGE_RUNS + 1), 2))


def test_a_new_qdrant_place_is_a_new_generation(tmp_path):
    corpus, index_dir = copy_corpus(tmp_path / "corpus"), tmp_path / "idx"
    build_index(corpus, index_dir, "fake", dense=qdrant.location(path=tmp_path / "a"))
    assert build_index(corpus, index_dir, "fake", dense=qdrant.location(path=tmp_path / "a")).unchanged
    assert not build_index(corpus, index_dir, "fake", dense=qdrant.location(path=tmp_path / "b")).unchanged
    assert Index.load(index_dir).dense.loc["path"] == str((tmp_path / "b").resolve())
    assert qdrant.location()["path"] == ":memory:"


def test_served_url_overrides_the_recorded_one(qdrant_index, monkeypatch):
    manifest = store.read_manifest(store.current_generation(qdrant_index))
    manifest["dense"] = dict(manifest["dense"], params=dict(manifest["dense"]["params"], url="http://127.0.0.1:1",
                                                             path=None))
    monkeypatch.setenv("QA_QDRANT_URL", "http://127.0.0.1:2")
    with pytest.raises(qdrant_conn.QdrantUnavailableError, match="127.0.0.1:2"):
        qdrant.QdrantDense.load(store.current_generation(qdrant_index), manifest)


def test_server_down_at_ask_is_one_line(tmp_path, capsys):
    corpus, index_dir = copy_corpus(tmp_path / "corpus"), tmp_path / "idx"
    build_index(corpus, index_dir, "fake", dense=qdrant.location(path=tmp_path / "q"))
    manifest_path = store.current_generation(index_dir) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for dense in [manifest["dense"]] + [s["dense"] for s in manifest["segments"]]:  # as if built on a server
        dense["params"] |= {"url": "http://127.0.0.1:1", "path": None}
    manifest["checksum"] = store.manifest_checksum(manifest)  # re-sealed, as a real writer would
    manifest_path.write_text(json.dumps(manifest))
    capsys.readouterr()
    assert cli.main(["ask", "--index", str(index_dir), "--model", "fake", "Patriot missiles?"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cannot reach Qdrant at http://127.0.0.1:1") and "\n" not in err


def test_local_folder_held_by_another_process_is_one_line(tmp_path):
    import subprocess
    import sys

    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from qdrant_client import QdrantClient; c = QdrantClient(path=sys.argv[1]); "
        "print('ready', flush=True); time.sleep(60)"), str(tmp_path / "q")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(qdrant_conn.QdrantUnavailableError, match="open in another process"):
            qdrant_conn.client(qdrant.location(path=tmp_path / "q"))
    finally:
        holder.kill()
        holder.wait()
