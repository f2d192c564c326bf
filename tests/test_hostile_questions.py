"""Hostile questions (tests/data/hostile_questions.json) through the API, the CLI and the web app.

Whatever is asked, the API returns an Answer (answered or abstained, citations verbatim) or raises a
QAError; the CLI prints an answer or one `error:` line, never a traceback; the web `/ask` endpoint
returns the answer dict or a clean error; and the chat HTML built for any question, over an article
full of markup, contains only the tags and attributes the app itself writes.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from qa import QAError
from qa.types import Answer

from .conftest import REPO
from .hostile_data import hostile_questions

QUESTIONS = hostile_questions()
IDS = [q["id"] for q in QUESTIONS]
ARGV_MAX = 120_000  # Linux refuses a single argument over 128 KiB before Python ever starts


def test_the_set_is_big_and_varied():
    assert len(QUESTIONS) >= 30 and len(set(IDS)) == len(IDS)
    assert any(len(q["text"]) >= 1_000_000 for q in QUESTIONS)


def check_outcome(assistant, q: dict):
    """Ask; assert the outcome class matches `expect` and the answer is well formed. Returns it."""
    try:
        answer = assistant.ask(q["text"])
    except QAError as exc:
        assert q["expect"] in ("error", "any"), f"{q['id']}: unexpected error {exc}"
        assert "\n" not in str(exc) and str(exc)
        return exc
    assert q["expect"] in ("answer", "any"), f"{q['id']}: expected an error, got an answer"
    assert isinstance(answer, Answer)
    for c in answer.citations:
        assert assistant.document(c.doc_id).text[c.start:c.end] == c.quote
    json.dumps(answer.to_dict(), ensure_ascii=False).encode("utf-8")  # strict: no lone surrogates leak out
    return answer


@pytest.mark.parametrize("q", QUESTIONS, ids=IDS)
def test_api_answers_or_refuses_cleanly(fake_assistant, q):
    check_outcome(fake_assistant, q)


@pytest.mark.slow
def test_api_with_the_real_model(real_assistant):
    """The real tokenizer refuses lone surrogates; every hostile question must still get an outcome."""
    outcomes = {q["id"]: check_outcome(real_assistant, q) for q in QUESTIONS}
    assert isinstance(outcomes["lone_high_surrogate"], Answer)


def run_cli(args: list, **kw):
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "qa", *args], capture_output=True, cwd=REPO, env=env,
                          timeout=300, **kw)


def cli_text(q: str) -> str | None:
    """The question as argv can carry it: no NUL (exec refuses it), at most ARGV_MAX characters."""
    if "\x00" in q or len(q.encode("utf-8", "surrogatepass")) > ARGV_MAX:
        return None
    return q


def argv_bytes(q: str) -> bytes:
    # A lone surrogate cannot be passed as UTF-8; the nearest a shell can do is invalid UTF-8 bytes,
    # which Python turns into lone surrogates (surrogateescape) on the other side.
    return q.encode("utf-8", "surrogateescape") if not any(0xD800 <= ord(c) < 0xDC80 for c in q) \
        else q.encode("utf-8", "surrogatepass")


def test_cli_answers_every_askable_question_in_one_call(fake_index):
    asked = [q for q in QUESTIONS if q["expect"] != "error" and cli_text(q["text"]) is not None]
    assert len(asked) >= 30
    out = run_cli([b"ask", b"--index", str(fake_index).encode(), b"--model", b"fake", b"--json",
                   *[argv_bytes(q["text"]) for q in asked]])
    assert out.returncode == 0, out.stderr.decode(errors="replace")[-2000:]
    lines = out.stdout.decode("utf-8").splitlines()  # strict: the output is valid UTF-8
    assert len(lines) == len(asked)
    for line in lines:
        assert {"answer", "citations", "abstained"} <= set(json.loads(line))
    assert b"Traceback" not in out.stderr


def test_cli_plain_output_never_echoes_control_characters(fake_index):
    qs = [q["text"] for q in QUESTIONS if q["id"] in ("control_chars", "ansi_title_escape", "rtl_override")]
    out = run_cli(["ask", "--index", str(fake_index), "--model", "fake", *qs])
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    assert b"\x1b" not in out.stdout and b"\x07" not in out.stdout


@pytest.mark.parametrize("q", [q for q in QUESTIONS if q["expect"] == "error"], ids=lambda q: q["id"])
def test_cli_refuses_with_one_line(fake_index, q):
    text = q["text"] if len(q["text"]) <= ARGV_MAX else q["text"][:ARGV_MAX]  # still over the limit
    out = run_cli(["ask", "--index", str(fake_index), "--model", "fake", text])
    err = out.stderr.decode("utf-8")
    assert out.returncode == 2 and err.startswith("error: ") and err.count("\n") == 1, err[-500:]
    assert out.stdout == b""


def test_cli_invalid_utf8_argument(fake_index):
    out = run_cli([b"ask", b"--index", str(fake_index).encode(), b"--model", b"fake", b"--json",
                   b"How many Patriot missiles \xff\xfe are allies procuring?"])
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    assert json.loads(out.stdout.decode("utf-8"))["citations"]


# --- the web app -------------------------------------------------------------------------------

ALLOWED_TAGS = {"div", "span", "a", "mark", "br", "article", "header", "blockquote", "h3", "p"}
ALLOWED_ATTRS = {"class", "id", "href", "title", "role", "target", "rel"}


class TagAudit(HTMLParser):
    """Every tag and attribute in a fragment; the app's own markup is the only markup allowed."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.bad.append(f"<{tag}>")
        for name, value in attrs:
            if name not in ALLOWED_ATTRS:
                self.bad.append(f"{tag}[{name}]")
            if name == "href" and not (value.startswith(("#src-", "http://", "https://"))):
                self.bad.append(f"href={value}")


def audit(fragment: str) -> list[str]:
    parser = TagAudit()
    parser.feed(fragment)
    parser.close()
    return parser.bad


@pytest.fixture(scope="module")
def web_server(tmp_path_factory):
    from .test_web_client import make_web_assistant, serve

    assistant = make_web_assistant(tmp_path_factory.mktemp("hostile_web"))
    demo, url = serve(assistant)
    yield assistant, url
    demo.close()


def has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def raw_call(url: str, text: str):
    """POST /gradio_api/call/ask with the JSON escaped to ASCII (gradio_client cannot send a lone
    surrogate; a raw client can, as a \\ud800 escape), then read the result event."""
    import httpx
    from gradio_client.exceptions import AppError

    r = httpx.post(f"{url}gradio_api/call/ask", content=json.dumps({"data": [text, 5, "extractive"]}),
                   headers={"content-type": "application/json"}, timeout=30)
    r.raise_for_status()
    events = httpx.get(f"{url}gradio_api/call/ask/{r.json()['event_id']}", timeout=60).text
    kind = next(ln.split(":", 1)[1].strip() for ln in events.splitlines() if ln.startswith("event:"))
    data = next(ln.split(":", 1)[1].strip() for ln in events.splitlines() if ln.startswith("data:"))
    if kind != "complete":
        raise AppError(data)
    return json.loads(data)[0]


@pytest.mark.web
def test_web_api_answers_or_refuses_cleanly(web_server):
    from gradio_client.exceptions import AppError

    from .test_web_client import client

    assistant, url = web_server
    c = client(url)
    for q in QUESTIONS:
        try:
            out = raw_call(url, q["text"]) if has_lone_surrogate(q["text"]) else c.predict(q["text"], api_name="/ask")
        except AppError as exc:
            assert q["expect"] in ("error", "any"), (q["id"], str(exc))
            assert str(exc) and "Traceback" not in str(exc)
            continue
        assert q["expect"] in ("answer", "any"), q["id"]
        for cit in out["citations"]:
            assert assistant.document(cit["doc_id"]).text[cit["start"]:cit["end"]] == cit["quote"]


@pytest.mark.web
def test_chat_html_never_renders_markup_from_questions_or_articles(web_server):
    from qa.web.handlers import Handlers

    from .test_web_client import XSS_QUESTION

    assistant, _ = web_server
    h = Handlers(assistant)
    probes = [q["text"] for q in QUESTIONS if len(q["text"]) <= 1000] + [XSS_QUESTION]
    for text in probes:  # a fresh conversation each: follow-up rewriting is tested elsewhere
        for messages, sources, turns, _ in h.chat(text, [], 5, "extractive", [], "", ""):
            pieces = [m["content"] for m in messages] + ([sources] if isinstance(sources, str) else [])
            for piece in pieces:
                assert audit(piece) == [], (text[:60], audit(piece)[:5])
    harbour = turns[-1]["answer"]
    assert any(c.doc_id == "harbour.txt" for c in harbour.citations + harbour.passages)
