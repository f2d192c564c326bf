"""The command line, a thin layer over the Python API: `python -m qa build|ask|chat|eval`.

Every QAError becomes one line on stderr and a non-zero exit; nothing here retrieves or answers.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time

from . import config
from .errors import QAError

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def add_setting_flags(p: argparse.ArgumentParser, command: str) -> None:
    """The flags of `command` that set Settings fields, generated from their metadata (qa.config)."""
    groups: dict[str, argparse._ArgumentGroup] = {}
    for name, opt in config.options().items():
        if opt.flag is None or command not in opt.commands:
            continue
        title = "optional local model" if name.startswith("llm_") else "settings"
        g = groups.get(title) or groups.setdefault(title, p.add_argument_group(title))
        env = f"; env {opt.env}" if opt.env else ""
        if opt.kind == "switch":  # --x means on, --no-x off; auto (the default) comes from the environment
            both = g.add_mutually_exclusive_group()
            both.add_argument(
                opt.flag,
                dest=name,
                action="store_const",
                const="on",
                default=None,
                help=f"{opt.help}: on{env}=auto|on|off",
            )
            both.add_argument(
                "--no-" + opt.flag[2:], dest=name, action="store_const", const="off", help=f"{opt.help}: off"
            )
        elif opt.kind == "bool":
            g.add_argument(opt.flag, dest=name, action="store_const", const="1", default=None, help=opt.help + env)
        else:  # parsed by qa.config, so a wrong value is one line naming the flag and the allowed values
            g.add_argument(
                opt.flag, dest=name, default=None, metavar=opt.kind.upper(), help=f"{opt.help} ({opt.allowed()}{env})"
            )


def settings_from_args(args) -> config.Settings:
    """Settings from the environment with the flags given on the command line applied."""
    given = {name: getattr(args, name) for name in config.options() if getattr(args, name, None) is not None}
    return config.from_flags(given)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **dict(kwargs, allow_abbrev=False))


def parser() -> argparse.ArgumentParser:
    root = _Parser(
        prog="python -m qa", description="Questions over your news articles, answered with verbatim citations."
    )
    # no abbreviations: `--auth user:pw` must not be taken as `--auth-file`, nor any prefix as a setting
    sub = root.add_subparsers(dest="command", required=True, parser_class=_Parser)
    b = sub.add_parser("build", help="build or incrementally update the index")
    b.add_argument("--full", action="store_true", help="re-embed everything")
    a = sub.add_parser("ask", help="answer one or more questions")
    a.add_argument("--k", type=int, default=5, help="passages to retrieve (default 5)")
    a.add_argument("--json", action="store_true", help="one JSON object per question, one per line")
    a.add_argument("--llm", action="store_true", help="answer with the configured local model")
    a.add_argument("questions", nargs="+", metavar="QUESTION")
    c = sub.add_parser("chat", help="start the web chat (builds the index first if missing)")
    k = sub.add_parser("check", help="verify the whole index: files, hashes, counts, vectors, FAISS, BM25")
    from .evaluate import add_arguments  # the eval flags live beside the code that reads them

    e = add_arguments(
        sub.add_parser("eval", help="evaluate on labelled questions (JSONL or SQuAD 2.0 JSON)"), settings_flags=False
    )
    for command, p in (("build", b), ("ask", a), ("chat", c), ("check", k), ("eval", e)):
        add_setting_flags(p, command)
    return root


def cmd_build(args) -> int:
    from .build import build_index

    s = settings_from_args(args)
    from .backends.qdrant import dense_choice

    model = s.model if ":" in s.model or s.model == "fake" else f"{s.encoder}:{s.model}"  # --encoder counts
    report = build_index(
        s.corpus_dir, s.index_dir, model, full=args.full, sentence_vectors=s.sentence_vectors, dense=dense_choice(s)
    )
    print(report.summary())
    return 0


def cmd_ask(args) -> int:
    from .api import Assistant, check_question

    for q in args.questions:  # refuse bad input before loading anything
        check_question(q)
    s = settings_from_args(args)
    assistant = Assistant.load(settings=s, model=args.model)  # no --model: the index's own model
    mode = "llm" if args.llm or args.llm_model or args.llm_url else "extractive"
    for q in args.questions:
        if args.json:
            print(json.dumps(assistant.ask(q, k=args.k, mode=mode).to_dict(), ensure_ascii=False), flush=True)
            continue
        answer = None
        for part in assistant.stream(q, k=args.k, mode=mode):
            if isinstance(part, str) and mode == "llm":
                print(part, end="", file=sys.stderr, flush=True)  # live tokens; the checked answer follows
            elif not isinstance(part, str):
                answer = part
        if mode == "llm":
            print(file=sys.stderr)
        assert answer is not None, "Assistant.stream always ends with the Answer"
        print(_printable(f"Q: {check_question(q)}\n{answer.to_markdown()}\n"))
    return 0


def _printable(text: str) -> str:
    """Text safe for a terminal: control characters from a question or an article (ANSI escapes could
    retitle or clear the terminal) are shown as U+FFFD, keeping newlines and tabs."""
    return _CONTROL.sub("\ufffd", text.replace("\r\n", "\n"))


def cmd_chat(args) -> int:
    from .api import Assistant
    from .web.auth import web_auth

    s = settings_from_args(args)
    auth = web_auth(s)  # refuse a bad login set-up before loading anything
    print("Loading the index (building it first if missing)...", file=sys.stderr)
    assistant = Assistant.load(settings=s, model=args.model, build_if_missing=True)  # tqdm shows progress
    if assistant.llm_available:  # load the local model while the web server starts
        threading.Thread(target=_warm_llm, args=(assistant,), name="qa-llm-warm", daemon=True).start()
    from .web.app import launch

    launch(assistant, host=s.host, port=s.port, share=False, auth=auth)
    return 0


def _warm_llm(assistant) -> None:
    start = time.perf_counter()
    try:
        assistant.warm_llm()
    except QAError as exc:  # the chat still answers extractively; an llm question repeats this error
        print(f"warning: the local model is not usable: {exc}", file=sys.stderr)
        return
    print(f"Local model ready ({time.perf_counter() - start:.1f} s).", file=sys.stderr)


def cmd_eval(args) -> int:
    from .evaluate import main as eval_main

    return eval_main(args)


def cmd_check(args) -> int:
    from .integrity import check_index

    s = settings_from_args(args)
    problems = check_index(s.index_dir)
    for line in problems:
        print(f"problem: {line}")
    if problems:
        print(f"{len(problems)} problem(s) in {s.index_dir}", file=sys.stderr)
        return 1
    print(f"OK: {s.index_dir}")
    return 0


COMMANDS = {"build": cmd_build, "ask": cmd_ask, "chat": cmd_chat, "eval": cmd_eval, "check": cmd_check}


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> int:
    config.apply_environment()  # before anything imports Hugging Face or llama.cpp
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except QAError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug, not the user's doing: one line unless asked for the traceback
        if args.debug or config.debug_enabled():
            raise
        print(
            f"internal error: {type(exc).__name__}: {_one_line(exc)}; set QA_DEBUG=1 for the traceback", file=sys.stderr
        )
        return 70
