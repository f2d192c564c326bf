"""The web chat's login: credentials from QA_AUTH_FILE or QA_AUTH (never a flag), required on a
non-loopback host unless --no-auth; a real server refuses gradio_client and raw HTTP calls without
the right credentials and answers with them."""
from __future__ import annotations

import os

import httpx
import pytest

from qa import cli, config
from qa.errors import AuthError
from qa.web.auth import credentials, web_auth

from .test_web_client import CITED_QUESTION, free_port, make_web_assistant

PASSWORD = "s3cret-horse"


def login_file(tmp_path, text: str):
    path = tmp_path / "users.txt"
    path.write_text(text)
    os.chmod(path, 0o600)
    return path


def test_credentials_from_a_file_and_the_environment(tmp_path, monkeypatch):
    path = login_file(tmp_path, f"# who may log in\nann:{PASSWORD}\n\nbob:pa:ss:word\n")
    monkeypatch.setenv("QA_AUTH_FILE", str(path))
    monkeypatch.setenv("QA_AUTH", "carl:x y z")
    assert credentials(config.settings()) == [("ann", PASSWORD), ("bob", "pa:ss:word"), ("carl", "x y z")]
    monkeypatch.delenv("QA_AUTH_FILE")
    monkeypatch.delenv("QA_AUTH")
    assert credentials(config.settings()) is None


@pytest.mark.parametrize("line", [f"ann{PASSWORD}", f":{PASSWORD}", "ann:"])
def test_a_bad_line_is_refused_without_repeating_it(tmp_path, line):
    s = config.settings(auth_file=login_file(tmp_path, f"ok:fine\n{line}\n"))
    with pytest.raises(AuthError, match="line 2 of .* is not user:password") as err:
        credentials(s)
    assert PASSWORD not in str(err.value)


def test_unreadable_or_empty_files_are_one_line(tmp_path):
    with pytest.raises(AuthError, match="cannot read the login file"):
        credentials(config.settings(auth_file=tmp_path / "missing.txt"))
    with pytest.raises(AuthError, match="holds no user:password line"):
        credentials(config.settings(auth_file=login_file(tmp_path, "# nobody\n")))


def test_a_world_readable_file_is_warned_about(tmp_path, capsys):
    path = login_file(tmp_path, f"ann:{PASSWORD}\n")
    os.chmod(path, 0o644)
    credentials(config.settings(auth_file=path))
    assert "readable by other users" in capsys.readouterr().err


def test_a_login_is_required_off_loopback_unless_no_auth():
    for host in ("127.0.0.1", "::1", "localhost"):
        assert web_auth(config.settings(host=host)) is None
    with pytest.raises(AuthError, match="serving on 0.0.0.0 needs a login.*--no-auth"):
        web_auth(config.settings(host="0.0.0.0"))
    assert web_auth(config.settings(host="0.0.0.0", no_auth=True)) is None
    assert web_auth(config.settings(host="0.0.0.0", auth=f"ann:{PASSWORD}")) == [("ann", PASSWORD)]


def test_chat_refuses_a_public_host_without_a_login_before_loading(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("QA_AUTH", raising=False)
    monkeypatch.delenv("QA_AUTH_FILE", raising=False)
    assert cli.main(["chat", "--host", "0.0.0.0", "--index", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "needs a login" in err and "QA_AUTH_FILE" in err


def test_passwords_cannot_be_given_on_the_command_line(capsys):
    with pytest.raises(SystemExit):
        cli.parser().parse_args(["chat", "--auth", f"ann:{PASSWORD}"])
    capsys.readouterr()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from qa.web.app import launch

    assistant = make_web_assistant(tmp_path_factory.mktemp("auth"))
    demo = launch(assistant, host="127.0.0.1", port=free_port(), block=False, auth=[("ann", PASSWORD)])
    yield demo.local_url.rstrip("/")
    demo.close()


@pytest.mark.web
def test_gradio_client_needs_the_right_credentials(server):
    from gradio_client import Client

    with pytest.raises(Exception, match="credentials were not provided"):
        Client(server, verbose=False)
    with pytest.raises(ValueError, match="Could not login"):
        Client(server, verbose=False, auth=("ann", "wrong"))
    with pytest.raises(ValueError, match="Could not login"):
        Client(server, verbose=False, auth=("bob", PASSWORD))
    answer = Client(server, verbose=False, auth=("ann", PASSWORD)).predict(CITED_QUESTION, api_name="/ask")
    assert answer["citations"] and not answer["abstained"]


@pytest.mark.web
def test_raw_http_without_a_login_is_refused(server):
    for path in ("/config", "/gradio_api/info", "/gradio_api/openapi.json"):
        assert httpx.get(server + path).status_code == 401, path
    for path, body in (("/gradio_api/call/ask", {"data": [CITED_QUESTION]}),
                       ("/gradio_api/queue/join", {"data": [CITED_QUESTION], "fn_index": 0, "session_hash": "x"})):
        assert httpx.post(server + path, json=body).status_code == 401, path
    upload = httpx.post(server + "/gradio_api/upload", files={"files": ("a.txt", b"hello")})
    assert upload.status_code == 401
    assert httpx.post(server + "/login", data={"username": "ann", "password": "wrong"}).status_code == 400
    with httpx.Client() as session:
        assert session.post(server + "/login", data={"username": "ann", "password": PASSWORD}).status_code == 200
        assert session.get(server + "/config").status_code == 200


def test_chat_hands_the_login_to_the_server(fake_index, monkeypatch, tmp_path):
    """The CLI path: QA_AUTH_FILE reaches launch(auth=...); --no-auth serves a public host without one."""
    import qa.web.app as app

    calls = []
    monkeypatch.setattr(app, "launch", lambda assistant, **kw: calls.append(kw))
    monkeypatch.delenv("QA_AUTH", raising=False)
    monkeypatch.setenv("QA_AUTH_FILE", str(login_file(tmp_path, f"ann:{PASSWORD}\n")))
    base = ["chat", "--index", str(fake_index), "--model", "fake", "--host", "0.0.0.0", "--port", "8123"]
    assert cli.main(base) == 0
    monkeypatch.delenv("QA_AUTH_FILE")
    assert cli.main(base + ["--no-auth"]) == 0
    assert calls == [dict(host="0.0.0.0", port=8123, share=False, auth=[("ann", PASSWORD)]),
                     dict(host="0.0.0.0", port=8123, share=False, auth=None)]
