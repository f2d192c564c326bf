"""The command line, a thin layer over the Python API: `python -m qa build|ask|chat|eval`.

Every QAError becomes one line on stderr and a non-zero exit; nothing here retrieves or answers.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

from . import config
from .errors import QAError


def _settings(args) -> config.Settings:
    s = config.settings()
    for name in ("corpus", "index", "model", "llm_model", "llm_url", "llm_name", "llm_threads", "llm_ctx",
                 "llm_max_tokens", "llm_timeout", "llm_prompt", "llm_amx", "backend", "qdrant_url",
                 "qdrant_path", "qdrant_collection"):
        value = getattr(args, name, None)
        if value is not None:
            attr = {"corpus": "corpus_dir", "index": "index_dir"}.get(name, name)
            setattr(s, attr, Path(value) if attr.endswith("_dir") else value)
    return s


def _add_common(p: argparse.ArgumentParser, corpus: bool = False) -> None:
    p.add_argument("--index", help="index directory (default: embeddings/)")
    p.add_argument("--model", help="embedding model: installed package name or local directory")
    if corpus:
        p.add_argument("--corpus", help="folder of articles (default: corpus/)")
        g = p.add_argument_group("index backend (docs/qdrant.md; ask/eval find it in the index)")
        g.add_argument("--backend", choices=("faiss", "qdrant"), help="dense index (default: as the live index)")
        g.add_argument("--qdrant-url", dest="qdrant_url", help="Qdrant server, e.g. http://localhost:6333")
        g.add_argument("--qdrant-path", dest="qdrant_path", help="Qdrant local mode folder (default <index>/qdrant)")
        g.add_argument("--collection", dest="qdrant_collection", help="Qdrant alias / collection prefix (default qa)")


def _add_llm(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("optional local model")
    g.add_argument("--llm-model", dest="llm_model", help="path to a .gguf file (in-process, xllamacpp)")
    g.add_argument("--llm-url", dest="llm_url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1")
    g.add_argument("--llm-name", dest="llm_name", help="model name at that endpoint")
    g.add_argument("--llm-threads", dest="llm_threads", type=int)
    g.add_argument("--llm-ctx", dest="llm_ctx", type=int)
    g.add_argument("--llm-max-tokens", dest="llm_max_tokens", type=int)
    g.add_argument("--llm-timeout", dest="llm_timeout", type=float)
    g.add_argument("--llm-prompt", dest="llm_prompt", choices=("auto", "chat", "completion"),
                   help="prompt template: chat messages or plain completion (auto: by backend)")
    amx = g.add_mutually_exclusive_group()
    amx.add_argument("--llm-amx", dest="llm_amx", action="store_const", const="on", default=None,
                     help="use the AMX kernels of a self-built llama.cpp without the one-time check (README, Speed)")
    amx.add_argument("--no-llm-amx", dest="llm_amx", action="store_const", const="off",
                     help="never use AMX kernels (default: use them if a one-time check passes)")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m qa", description="Questions over your news articles, "
                                   "answered with verbatim citations.")
    sub = root.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build or incrementally update the index")
    _add_common(b, corpus=True)
    b.add_argument("--full", action="store_true", help="re-embed everything")
    a = sub.add_parser("ask", help="answer one or more questions")
    _add_common(a)
    a.add_argument("--k", type=int, default=5, help="passages to retrieve (default 5)")
    a.add_argument("--json", action="store_true", help="one JSON object per question, one per line")
    a.add_argument("--llm", action="store_true", help="answer with the configured local model")
    _add_llm(a)
    a.add_argument("questions", nargs="+", metavar="QUESTION")
    c = sub.add_parser("chat", help="start the web chat (builds the index first if missing)")
    _add_common(c, corpus=True)
    c.add_argument("--host", default="127.0.0.1")
    c.add_argument("--port", type=int, default=7860)
    _add_llm(c)
    from .evaluate import add_arguments  # the eval flags live beside the code that reads them

    add_arguments(sub.add_parser("eval", help="evaluate on labelled questions (JSONL or SQuAD 2.0 JSON)"))
    return root


def cmd_build(args) -> int:
    from .build import build_index

    s = _settings(args)
    from .backends.qdrant import dense_choice

    report = build_index(s.corpus_dir, s.index_dir, s.model, full=args.full, dense=dense_choice(s))
    print(report.summary())
    return 0


def cmd_ask(args) -> int:
    from .api import Assistant, check_question

    for q in args.questions:  # refuse bad input before loading anything
        check_question(q)
    s = _settings(args)
    assistant = Assistant.load(settings=s, model=args.model)
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
        print(f"Q: {q}\n{answer.to_markdown()}\n")
    return 0


def cmd_chat(args) -> int:
    from .api import Assistant
    from .web.app import launch

    s = _settings(args)
    print("Loading the index (building it first if missing)...", file=sys.stderr)
    assistant = Assistant.load(settings=s, model=args.model, build_if_missing=True)  # tqdm shows progress
    if assistant.llm_available:  # load the local model while the web server starts
        threading.Thread(target=_warm_llm, args=(assistant,), name="qa-llm-warm", daemon=True).start()
    launch(assistant, host=args.host, port=args.port, share=False)
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


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return {"build": cmd_build, "ask": cmd_ask, "chat": cmd_chat, "eval": cmd_eval}[args.command](args)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
