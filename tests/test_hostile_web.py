"""Hostile web traffic: uploads with bad names, sizes, types and counts; requests for files outside
what the app serves; cross-origin and DNS-rebinding requests. All refused, and nothing is written
anywhere under the test's folder except `<corpus>/uploads/`.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import httpx
import pytest

from qa import config
from qa.web.guard import refusal
from qa.web.uploads import MAX_NAME, safe_name, save_uploads

from .conftest import REPO

HOSTILE_NAMES = ["../../x.txt", "../../../../etc/cron.d/evil.txt", "/etc/passwd.txt", "/abs/path/article.md",
                 "C:\\Windows\\win.ini.txt", "..\\..\\x.txt", "a\x00b.txt", "evil.txt\x00.html", "x" * 10_000 + ".txt",
                 "...", "..", ".", ".txt", "....txt", " .txt", "\u202etxt.exe", "article.txt.exe", "article.exe",
                 "article", "article.pdf", "article.zip", "con.txt", "~/.bashrc.md", "%2e%2e%2fx.txt",
                 "\u00e9t\u00e9 \U0001F600 news.HTML", "name\nwith\nnewlines.txt", "uploads/../../x.json", ".hidden.txt"]


def snapshot(root: Path) -> dict[str, tuple[int, float]]:
    """Every path under root with (size, mtime) for files; a folder counts only by existing (making
    uploads/ touches its parent's mtime)."""
    return {p.relative_to(root).as_posix(): (0, 0.0) if p.is_dir() and not p.is_symlink()
            else (p.lstat().st_size, p.lstat().st_mtime) for p in root.rglob("*")}


def written_outside_uploads(before: dict, after: dict) -> list[str]:
    return [p for p in after if before.get(p) != after[p] and not p.startswith("corpus/uploads")]


def test_hostile_names_become_plain_basenames_or_are_refused():
    for name in HOSTILE_NAMES:
        safe = safe_name(name)
        if safe is None:
            continue
        assert "/" not in safe and "\\" not in safe and "\x00" not in safe and "\n" not in safe, name
        assert not safe.startswith(".") and ".." not in safe and len(safe) <= MAX_NAME + 9, name
        assert Path(safe).suffix in (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl"), name
    refused = [n for n in HOSTILE_NAMES if safe_name(n) is None]
    assert {"...", "..", ".", ".txt", "\u202etxt.exe", "article.exe", "article", "article.pdf"} <= set(refused)


def test_save_uploads_writes_only_inside_the_upload_folder(tmp_path):
    corpus, incoming = tmp_path / "corpus", tmp_path / "incoming"
    corpus.mkdir()
    incoming.mkdir()
    (corpus / "uploads").mkdir()
    (corpus / "uploads" / "x.txt").symlink_to(tmp_path / "outside.txt")  # a dangling trap
    contents = {"ok": b"The council approved the pier.", "big": b"a" * (config.MAX_UPLOAD_BYTES + 1),
                "bin": b"\x89PNG\x00\x00", "latin": "caf\u00e9".encode("latin-1"), "empty": b"  \n",
                "utf16": "pier".encode("utf-16")}
    paths = []
    for i, name in enumerate(HOSTILE_NAMES):
        kind = list(contents)[i % len(contents)]
        p = incoming / f"{i}.bin"
        p.write_bytes(contents[kind])
        paths.append((p, name, kind))
    before = snapshot(tmp_path)
    from qa.web.uploads import save_one

    saved = []
    for p, name, kind in paths:
        rel, message = save_one(p, corpus, original_name=name)
        assert "\n" not in message or "\n" in name
        if rel:
            saved.append(rel)
            assert kind == "ok", (name, kind)
    after = snapshot(tmp_path)
    assert written_outside_uploads(before, after) == []
    assert not (tmp_path / "outside.txt").exists()  # the symlink was not followed
    assert saved and all(r.startswith("uploads/") and (corpus / r).resolve().parent == (corpus / "uploads").resolve()
                         for r in saved)


def test_many_uploads_at_once_are_capped(tmp_path):
    corpus, incoming = tmp_path / "corpus", tmp_path / "incoming"
    corpus.mkdir()
    incoming.mkdir()
    paths = []
    for i in range(60):
        p = incoming / f"story{i}.txt"
        p.write_text(f"Story {i}. The council approved the pier.")
        paths.append(p)
    saved, messages = save_uploads(paths, corpus)
    assert len(saved) == 20 and messages[-1].startswith("only the first 20")
    assert len(list((corpus / "uploads").iterdir())) == 20


# --- through a running server ------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from .test_web_client import make_web_assistant, serve

    root = tmp_path_factory.mktemp("hostile_web_server")
    assistant = make_web_assistant(root)
    demo, url = serve(assistant)
    yield root, assistant, url
    demo.close()


def upload_fn(url: str) -> int:
    cfg = httpx.get(f"{url}config", timeout=10).json()
    return next(i for i, d in enumerate(cfg["dependencies"]) if d.get("api_name") == "upload")


def run_event(url: str, fn: int, data: list, session: str) -> dict:
    """Join the queue as the page does and wait for the result message."""
    r = httpx.post(f"{url}gradio_api/queue/join", timeout=10,
                   json={"data": data, "fn_index": fn, "session_hash": session})
    assert r.status_code == 200, r.text
    with httpx.stream("GET", f"{url}gradio_api/queue/data", params={"session_hash": session}, timeout=60) as s:
        for line in s.iter_lines():
            if line.startswith("data:"):
                msg = json.loads(line[5:])
                if msg.get("msg") == "process_completed":
                    return msg
    raise AssertionError("no result")


def file_data(path: str, name: str) -> dict:
    return {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}


@pytest.mark.web
def test_uploads_through_the_server_land_only_in_the_upload_folder(server):
    root, _, url = server
    before = snapshot(root)
    names = ["../../x.txt", "/etc/evil.txt", "a\x00b.txt", "y" * 300 + ".md", "...", "run.exe", "p.pdf", "bin.txt"]
    bodies = [b"Pier story one.", b"Pier story two.", b"Pier story three.", b"Pier story four.", b"dots",
              b"MZ\x00\x00", b"%PDF-1.4", b"\x00\x01\x02"]
    up = httpx.post(f"{url}gradio_api/upload", timeout=30,
                    files=[("files", (n, b, "text/plain")) for n, b in zip(names, bodies)])
    assert up.status_code == 200, up.text
    cached = up.json()
    for p in cached:  # Gradio keeps only a basename, inside its own cache
        assert ".." not in Path(p).relative_to(Path(p).parents[1]).as_posix()
    fn = upload_fn(url)
    wrong_type = [(p, n) for p, n in zip(cached, names) if Path(p).suffix not in (".txt", ".md")]
    assert len(wrong_type) == 3
    out = run_event(url, fn, [[file_data(p, n) for p, n in wrong_type]], "hostile-types")
    assert not out["success"]  # Gradio's File component refuses the whole batch
    allowed = [(p, n) for p, n in zip(cached, names) if (p, n) not in wrong_type]
    out = run_event(url, fn, [[file_data(p, n) for p, n in allowed]], "hostile-up")
    assert out["success"], out
    report = out["output"]["data"][0]
    assert "not accepted" in report and "saved as uploads/" in report
    after = snapshot(root)
    assert written_outside_uploads(before, after) == []
    saved = sorted(p for p in after if p.startswith("corpus/uploads/"))
    assert 1 <= len(saved) <= 4 and all(".." not in p[len("corpus/uploads/"):] for p in saved)


@pytest.mark.web
def test_the_upload_event_refuses_server_side_paths(server):
    root, assistant, url = server
    fn = upload_fn(url)
    secret = Path(assistant.settings.index_dir) / "CURRENT"
    for i, path in enumerate(["/etc/passwd", str(secret), str(REPO / "qa" / "config" / "__init__.py"),
                              str(Path(assistant.corpus_dir) / "harbour.txt"), "/proc/self/environ"]):
        before = snapshot(root)
        out = run_event(url, fn, [[file_data(path, "stolen.txt")]], f"steal{i}")
        assert not out["success"], path  # Gradio: "not uploaded by a user"
        assert written_outside_uploads(before, snapshot(root)) == []
        assert not list((Path(assistant.corpus_dir) / "uploads").glob("stolen*"))


@pytest.mark.web
def test_oversize_and_many_uploads_are_refused(server):
    _, _, url = server
    big = b"x" * (config.MAX_UPLOAD_BYTES + 1)
    r = httpx.post(f"{url}gradio_api/upload", files={"files": ("big.txt", big, "text/plain")}, timeout=30)
    assert r.status_code in (400, 413)
    many = [("files", (f"s{i}.txt", b"Pier story.", "text/plain")) for i in range(40)]
    r = httpx.post(f"{url}gradio_api/upload", files=many, timeout=30)
    assert r.status_code == 200 and len(r.json()) == 40  # cached, but at most 20 reach the corpus:
    out = run_event(url, upload_fn(url), [[file_data(p, f"s{i}.txt") for i, p in enumerate(r.json())]], "many")
    assert "only the first 20 files were considered" in out["output"]["data"][0]


@pytest.mark.web
def test_files_outside_what_the_app_serves_are_refused(server):
    root, assistant, url = server
    corpus_file = (Path(assistant.corpus_dir) / "harbour.txt").resolve()
    index_dir = Path(assistant.settings.index_dir).resolve()
    targets = ["/etc/passwd", "/proc/self/environ", str(corpus_file), str(index_dir / "CURRENT"),
               str(REPO / "qa" / "config" / "__init__.py"), str(Path.home() / ".ssh" / "id_rsa"), str(root),
               "../../../../etc/passwd", "%2e%2e/%2e%2e/%2e%2e/etc/passwd", "..%2f..%2f..%2fetc%2fpasswd"]
    routes = ["file=", "gradio_api/file=", "gradio_api/file/", "static/", "assets/", "gradio_api/static/",
              "gradio_api/assets/"]
    refused = 0
    for route in routes:
        for target in targets:
            r = httpx.get(f"{url}{route}{target}", timeout=10)
            assert r.status_code in (400, 403, 404, 405), (route, target, r.status_code)
            assert "root:" not in r.text and "harbour council" not in r.text and "PATH=" not in r.text
            refused += 1
    assert refused == len(routes) * len(targets)


EVIL = {"Origin": "http://evil.example"}
CROSS_NAME = "cross-origin-upload-must-not-exist.txt"


@pytest.mark.web
def test_cross_origin_requests_are_refused_before_they_run(server):
    root, _, url = server
    before = snapshot(root)
    ask = json.dumps({"data": ["How many Patriot missiles are allies procuring?", 5, "extractive"]})
    attempts = [
        httpx.post(f"{url}gradio_api/call/ask", content=ask, headers=EVIL | {"content-type": "application/json"}),
        httpx.post(f"{url}gradio_api/upload", files={"files": (CROSS_NAME, b"evil", "text/plain")}, headers=EVIL),
        httpx.post(f"{url}gradio_api/queue/join", json={"data": [], "fn_index": 0, "session_hash": "e"}, headers=EVIL),
        httpx.get(f"{url}config", headers=EVIL),
        httpx.get(f"{url}config", headers={"Origin": "null"}),
        httpx.get(f"{url}config", headers={"Host": "evil.example"}),  # a rebinding page: same-origin, foreign host
        httpx.post(f"{url}gradio_api/call/ask", content=ask, headers={"Host": "evil.example:80",
                                                                       "Origin": "http://evil.example:80",
                                                                       "content-type": "application/json"}),
    ]
    for r in attempts:
        assert r.status_code == 403, (r.request.method, r.request.url, r.status_code)
        assert r.request.headers["host"] == "evil.example:80" or "access-control-allow-origin" not in r.headers
    # Gradio's CORS layer answers a preflight itself (outside the guard), but never allows evil.example,
    # so a browser does not send the real request
    pre = httpx.options(f"{url}gradio_api/call/ask", headers=EVIL | {"Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in pre.headers
    assert written_outside_uploads(before, snapshot(root)) == []
    gradio_cache = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
    assert not list(gradio_cache.glob(f"*/{CROSS_NAME}"))  # refused before Gradio's cache saw it
    same = url.rstrip("/")
    ok = httpx.post(f"{url}gradio_api/call/ask", content=ask, headers={"Origin": same, "content-type": "application/json"})
    assert ok.status_code == 200  # the page's own requests still work
    assert httpx.get(f"{url}config").status_code == 200  # and so do clients that send no Origin


def test_guard_rules():
    lo = True
    assert refusal({"host": "127.0.0.1:7860"}, lo) is None
    assert refusal({"host": "localhost:7860", "origin": "http://localhost:7860"}, lo) is None
    assert refusal({"host": "[::1]:7860", "origin": "http://[::1]:7860"}, lo) is None
    assert refusal({"host": "127.0.0.1:7860", "origin": "http://127.0.0.1:9999"}, lo)  # another local app
    assert refusal({"host": "127.0.0.1:7860", "origin": "http://evil.example"}, lo)
    assert refusal({"host": "127.0.0.1:7860", "origin": "null"}, lo)
    assert refusal({"host": "attacker.example:7860"}, lo)
    assert refusal({"host": "news.lan:7860", "origin": "http://news.lan:7860"}, False) is None
    assert refusal({"host": "news.lan:7860", "origin": "http://evil.example"}, False)
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
