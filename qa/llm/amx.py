"""Whether llama.cpp's AMX kernels may run here: a check made once per build and model, in a child process.

A llama.cpp built for an AMX CPU (Intel Sapphire Rapids and later) has fast int8 matrix kernels, but a
build made by GCC 12 without -fno-tree-dse dies in them with SIGILL (docs/local-model.md, "Building
llama.cpp for your CPU"), and nothing in the library tells the two builds apart. So before qa turns the
kernels on by itself, a child process loads the model twice, with and without AMX, and reads the model's
distribution over the next token of a fixed prompt. The kernels are used only if the child exits
normally and the two distributions agree: the same likeliest tokens with nearly the same
log-probabilities. (Not the same greedy text: AMX rounds differently, which moves log-probabilities by a
few tenths and can swap two close tokens; a miscompiled kernel that computes garbage shares almost none of
the likeliest tokens.)
The verdict is cached in the cache folder, keyed by the llama.cpp library and the model file.
`choose` applies the setting (QA_LLM_AMX, --llm-amx / --no-llm-amx). Builds without AMX kernels are
never checked, and no model is loaded in the calling process.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from ..errors import LLMError
from ..store import file_stamp, written_beside
from .llamacpp import has_amx, load_xllamacpp, server_params

TOP = 8  # the likeliest next tokens compared
MIN_SHARED = 6  # of the TOP likeliest without AMX, at least this many among the TOP with it
# nats: the largest log-probability change allowed for a shared token. A correct AMX build moved them
# by 0.12-0.35 on 8 prompts (7-8 of 8 tokens shared); two unrelated prompts shared 0 of 8.
MAX_SHIFT = 1.0
PROBE_TIMEOUT = 180.0  # seconds for the child: two model loads and two prompt evaluations
VERDICTS = "amx-check.json"
# About 110 tokens, evaluated as one batch: that runs the AMX tile kernels (a build made without the
# flags in docs/local-model.md crashed on this very prompt), not only the vector kernels used one token
# at a time.
PROBE_PROMPT = (
    "The following is a news report.\n\nLithuania will send ammunition, generators and armoured "
    "personnel carriers to Ukraine as part of a long-term military aid plan worth about 200 million "
    "euros, the country's defence ministry said on Wednesday. The Baltic state, which borders the "
    "Russian exclave of Kaliningrad, has been one of Ukraine's firmest supporters since the full-scale "
    "invasion began. Officials said the first deliveries would arrive before the spring.\n\n"
    "Question: What will Lithuania send to Ukraine?\nAnswer:"
)


def choose(settings, path: Path) -> tuple[bool, Path]:
    """(use AMX kernels?, the model file to load) for QA_LLM_AMX auto | on | off. AMX needs a build with
    the kernels and, unless "on" forces it, a passed check; the kernels take Q8_0 but not Q5_0/Q4_0
    weights, so they run a copy of the model holding the same values as Q8_0 (qa.llm.repack)."""
    from .repack import q8_copy

    mode = settings.llm_amx
    if mode not in ("auto", "on", "off"):
        raise LLMError(f"unknown AMX setting {mode!r} (QA_LLM_AMX); use auto, on or off")
    if mode == "off" or not has_amx(load_xllamacpp().get_system_info()):
        return False, path
    fast = q8_copy(path, settings.cache_dir)
    if mode == "on" or amx_safe(fast, settings.cache_dir, settings.llm_threads, _notify):
        return True, fast
    return False, path


def _notify(message: str) -> None:
    print(f"qa: {message}", file=sys.stderr, flush=True)


def build_key(model: Path) -> str:
    """Identifies the installed llama.cpp library and the model file (a rebuild or a new model re-checks)."""
    import xllamacpp

    libraries = sorted(Path(xllamacpp.__file__).parent.glob("*.so*"))
    parts = [getattr(xllamacpp, "__version__", "?"), *(file_stamp(p) for p in [model, *libraries])]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def amx_safe(model: Path, cache_dir: Path, threads: int, notify=None) -> bool:
    """True when this build's AMX kernels ran the model correctly in a child process (checked once)."""
    key, store = build_key(model), Path(cache_dir) / VERDICTS
    verdicts = _read(store)
    if key in verdicts:
        return bool(verdicts[key].get("safe"))
    if notify:
        notify("checking once whether this llama.cpp build's AMX kernels run correctly ...")
    safe, why = probe(model, threads)
    verdicts[key] = {"safe": safe, "why": why, "model": str(model)}
    _write(store, verdicts)
    if notify:
        notify(f"AMX kernels {'on' if safe else 'off'}: {why} (cached in {store})")
    return safe


def probe(model: Path, threads: int) -> tuple[bool, str]:
    """Run the check in a child process; (safe?, why)."""
    # the child must import this very qa and xllamacpp, whatever the working directory
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    try:
        done = subprocess.run(
            _probe_command(model, threads), capture_output=True, text=True, timeout=PROBE_TIMEOUT, env=env
        )
    except subprocess.TimeoutExpired:
        return False, f"the check did not finish within {PROBE_TIMEOUT:g} s"
    except OSError as exc:
        return False, f"the check could not start: {exc}"
    if done.returncode < 0:
        return False, f"the check crashed with {_signal_name(-done.returncode)}"
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        err = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return False, f"the check failed (exit {done.returncode}): {err[:200]}"
    try:
        runs = json.loads(lines[-1])
        return agree(runs["amx"], runs["plain"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return False, f"the check printed no verdict: {lines[-1][:200]}"


def agree(with_amx: dict, without: dict) -> tuple[bool, str]:
    """Do two next-token distributions ({token: log-probability}, the TOP likeliest) match? (ok, why)"""
    if not without:
        return False, "the model gave no next-token probabilities"
    shared = [t for t in without if t in with_amx]
    shift = max((abs(with_amx[t] - without[t]) for t in shared), default=float("inf"))
    summary = f"{len(shared)} of the {len(without)} likeliest next tokens shared, log-probabilities within {shift:.2f}"
    if len(shared) < min(MIN_SHARED, len(without)) or shift > MAX_SHIFT:
        return False, (
            f"AMX changes the model's output ({summary}; likeliest {_likeliest(with_amx)} vs {_likeliest(without)})"
        )
    return True, summary


def _likeliest(dist: dict) -> list[str]:
    return sorted(dist, key=lambda token: dist[token], reverse=True)[:3]


def _probe_command(model: Path, threads: int) -> list[str]:
    return [sys.executable, "-m", "qa.llm.amx", str(model), str(threads)]


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _read(store: Path) -> dict:
    try:
        data = json.loads(store.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or damaged: check again
    return data if isinstance(data, dict) else {}


def _write(store: Path, verdicts: dict) -> None:
    try:
        with written_beside(store) as partial:
            partial.write_text(json.dumps(verdicts, indent=1), encoding="utf-8")
    except OSError:
        pass  # an unwritable cache only means checking again next time


def _child(model: str, threads: str) -> None:
    """The child's side: the next-token distribution with AMX kernels, then without; one JSON line."""
    xllamacpp, out = load_xllamacpp(), {}
    for name, amx in (("amx", True), ("plain", False)):
        server = xllamacpp.Server(server_params(Path(model), int(threads), 1024, 1, amx))
        reply: list[dict] = []
        server.handle_completions(
            {
                "prompt": PROBE_PROMPT,
                "max_tokens": 1,
                "n_probs": TOP,
                "temperature": 0.0,
                "stream": False,
                "cache_prompt": False,
            },
            reply.append,
        )
        top = reply[0]["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
        out[name] = {item["token"]: item["logprob"] for item in top}
        del server  # frees the model before the second load
    print(json.dumps(out))


if __name__ == "__main__":
    try:
        _child(*sys.argv[1:3])
    except (LLMError, RuntimeError, LookupError, TypeError) as exc:
        sys.exit(f"error: {exc!r}")
