"""Settings: every field refuses a wrong type and an out-of-range value with one line naming the
environment variable or flag and the allowed values; flags come from the field metadata; start-up
environment changes happen only in apply_environment; an unexpected exception is one CLI line."""
from __future__ import annotations

import dataclasses
import math
import os
import subprocess
import sys

import pytest

from qa import cli, config
from qa.errors import SettingsError

from .conftest import REPO

OPTIONS = config.options()


def bad_values(opt: config.Option) -> list[str]:
    """A wrong type and, where the option has one, each side of its range."""
    if opt.kind == "int":
        out = ["two", "2.5"]
    elif opt.kind == "float":
        out = ["abc", "nan"]
    elif opt.kind in ("choice", "switch"):
        out = ["x", "maybe"]
    elif opt.kind == "bool":
        out = ["maybe", "2"]
    else:
        out = []  # any non-empty text is a path or a name; empty is "unset" in the environment
    if opt.low is not None and math.isfinite(opt.low):
        out.append(str(opt.low - 1))
    if opt.high is not None and math.isfinite(opt.high):
        out.append(str(opt.high + 1))
    return out


def argv_for(command: str, tmp_path) -> list[str]:
    return {"ask": ["ask", "--index", str(tmp_path), "a question?"], "eval": ["eval", str(tmp_path / "q.jsonl")],
            "check": ["check", "--index", str(tmp_path)]}.get(command, [command, "--index", str(tmp_path)])


def one_line_error(capsys, rc: int, *names: str) -> str:
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    for name in names:
        assert name in err, err
    return err


@pytest.mark.parametrize("name", [n for n, o in OPTIONS.items() if o.env and bad_values(o)])
def test_every_environment_variable_refuses_wrong_values(name, monkeypatch, tmp_path, capsys):
    opt = OPTIONS[name]
    for raw in bad_values(opt):
        monkeypatch.setenv(opt.env, raw)
        err = one_line_error(capsys, cli.main(["check", "--index", str(tmp_path)]), opt.env, opt.allowed())
        assert repr(raw) in err


@pytest.mark.parametrize("name", [n for n, o in OPTIONS.items() if o.flag and o.kind not in ("bool", "switch")])
def test_every_flag_refuses_wrong_values(name, tmp_path, capsys):
    opt = OPTIONS[name]
    argv = argv_for(opt.commands[0], tmp_path)
    for raw in bad_values(opt) + [""]:  # an empty flag value is refused too
        rc = cli.main(argv + [f"{opt.flag}={raw}"])  # last, so it wins over the --index of `argv`
        one_line_error(capsys, rc, opt.flag, opt.allowed())


@pytest.mark.parametrize("name", list(OPTIONS))
def test_values_from_python_are_checked_too(name):
    opt = OPTIONS[name]
    wrong = {"int": "two", "float": "abc", "choice": "x", "switch": "x", "bool": "maybe"}.get(opt.kind, "")
    with pytest.raises(SettingsError, match=f"Settings.{name}"):
        config.settings(**{name: wrong})


def test_the_examples_from_the_issue_as_real_commands(tmp_path):
    """Real processes: the message is one line on stderr, exit 2, no traceback."""
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    cases = [({"QA_LLM_THREADS": "two"}, [], "QA_LLM_THREADS"), ({"QA_LLM_CTX": "-1"}, [], "QA_LLM_CTX"),
             ({}, ["--llm-timeout", "abc"], "--llm-timeout"), ({"QA_LLM_PROMPT": "x"}, [], "auto, chat, completion"),
             ({"QA_LLM_AMX": "maybe"}, [], "auto, on, off")]
    for extra, flags, expected in cases:
        out = subprocess.run([sys.executable, "-m", "qa", "ask", "--index", str(tmp_path), *flags, "hi?"],
                             capture_output=True, text=True, cwd=REPO, env=dict(env, **extra), timeout=120)
        assert out.returncode == 2 and out.stderr.count("\n") == 1 and expected in out.stderr, out.stderr


def test_flags_are_generated_from_the_fields():
    """Every field with a flag appears on each command it lists, with its help naming the variable."""
    sub = next(a for a in cli.parser()._actions if a.dest == "command").choices
    for name, opt in OPTIONS.items():
        for command in config.ALL_COMMANDS:
            flags = {s for a in sub[command]._actions for s in a.option_strings}
            assert (opt.flag in flags) == (opt.flag is not None and command in opt.commands), (name, command)
    assert "--auth" not in {s for p in sub.values() for a in p._actions for s in a.option_strings}


def test_flags_override_the_environment(monkeypatch):
    monkeypatch.setenv("QA_LLM_THREADS", "3")
    monkeypatch.setenv("QA_FUSION", "rrf")
    args = cli.parser().parse_args(["ask", "--llm-threads", "4", "--no-llm-amx", "--abstain-below=-inf", "q?"])
    s = cli.settings_from_args(args)
    assert (s.llm_threads, s.fusion, s.llm_amx, s.abstain_below) == (4, "rrf", "off", -math.inf)


def test_defaults_match_the_modules_that_were_tuned():
    from qa import answer, retrieve

    s = config.Settings()
    assert s.abstain_below == answer.ABSTAIN_BELOW and s.fusion == retrieve.DEFAULT_FUSION


def test_the_password_never_shows_in_a_repr(monkeypatch):
    monkeypatch.setenv("QA_AUTH", "ann:hunter2-secret")
    assert "hunter2" not in repr(config.settings())


def test_tuning_settings_reach_the_answers(fake_index):
    """QA_ABSTAIN_BELOW and QA_FUSION are read by the Assistant, not attributes poked from outside."""
    from qa import Assistant

    question = "When did the Baltic states regain independence?"
    never = Assistant.load(fake_index, model="fake", settings=config.settings(abstain_below=2.0))
    assert never.ask(question).abstained
    always = Assistant.load(fake_index, model="fake", settings=config.settings(abstain_below=-math.inf))
    assert not always.ask(question).abstained
    rrf = Assistant.load(fake_index, model="fake", settings=config.settings(fusion="rrf"))
    weighted = Assistant.load(fake_index, model="fake", settings=config.settings(fusion="weighted"))
    assert [p.score for p in rrf.retrieve(question)] != [p.score for p in weighted.retrieve(question)]


def test_importing_config_changes_no_environment():
    # qa/__init__ imports the embedder, which calls apply_environment on purpose; load config on its own
    code = ("import os, sys, types; pkg = types.ModuleType('qa'); pkg.__path__ = ['qa']; sys.modules['qa'] = pkg; "
            "before = dict(os.environ); import qa.config as c; assert dict(os.environ) == before; "
            "c.apply_environment(); assert os.environ['HF_HUB_OFFLINE'] == '1' and "
            "os.environ['OMP_WAIT_POLICY'] == 'PASSIVE'")
    env = {k: v for k, v in os.environ.items() if k not in config.ENVIRONMENT_DEFAULTS}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env)
    assert out.returncode == 0, out.stderr


def test_a_value_the_user_set_is_kept(monkeypatch):
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    config.apply_environment()
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"


def test_an_unexpected_exception_is_one_line(monkeypatch, tmp_path, capsys):
    def boom(args):
        raise RuntimeError("something\nbroke")

    monkeypatch.setitem(cli.COMMANDS, "check", boom)
    monkeypatch.delenv("QA_DEBUG", raising=False)
    assert cli.main(["check", "--index", str(tmp_path)]) == 70
    err = capsys.readouterr().err
    assert err == "internal error: RuntimeError: something broke; set QA_DEBUG=1 for the traceback\n"
    monkeypatch.setenv("QA_DEBUG", "1")
    with pytest.raises(RuntimeError):
        cli.main(["check", "--index", str(tmp_path)])


def test_settings_are_a_plain_dataclass_copyable_with_replace():
    s = config.settings()
    assert dataclasses.replace(s, llm_threads=5).llm_threads == 5
    with pytest.raises(SettingsError, match="Settings.llm_threads"):
        dataclasses.replace(s, llm_threads=0)
