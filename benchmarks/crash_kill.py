"""Crash safety, many times over: `python -m qa build --full` killed with SIGKILL at random moments.

Builds alternate between two synthetic corpora of different sizes (benchmarks/synthetic.py, fake
embedder, so each build takes seconds). After each kill it records whether the live index is whole
(`python -m qa check` passes and the documents are exactly one corpus's: old or new, never a mix),
whether `ask` answers, whether the build lock is free, and how many partial generations were left
(the next build removes them). Ends with one uninterrupted build. A script, not a test (the test
suite runs 4 kills in tests/test_crash.py); timings depend on the machine's load.

    python benchmarks/crash_kill.py [--kills 30] [--n 300] [--seed 0] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import REPO, generate  # noqa: E402

from qa import store  # noqa: E402
from qa.errors import QAError  # noqa: E402
from qa.index import Index  # noqa: E402

ENV = dict(os.environ, HF_HUB_OFFLINE="1")
QUESTION = "What did the minister say about the agreement?"


def qa(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa", *args], capture_output=True, text=True, cwd=REPO,
                          env=ENV, timeout=600)


def state(index: Path, corpora: dict[str, set]) -> dict:
    """What a kill left behind."""
    out = {"check_ok": qa("check", "--index", str(index)).returncode == 0}
    try:
        ids = set(Index.load(index).documents)
        out["holds"] = next((name for name, want in corpora.items() if ids == want), "MIX")
    except (QAError, OSError, ValueError) as exc:
        out["holds"] = f"unreadable: {exc}"
    out["ask_ok"] = qa("ask", "--index", str(index), "--model", "fake", "--json", QUESTION).returncode == 0
    try:
        store.build_lock(index).release()
        out["lock_free"] = True
    except QAError:
        out["lock_free"] = False
    out["partial_left"] = len(list((index / "generations").glob(".tmp-*")))
    return out


def run(kills: int, n: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="qa-crash-") as tmp:
        root = Path(tmp)
        corpora = {"a": generate(root / "a", n, seed + 1), "b": generate(root / "b", n * 4 // 5, seed + 2)}
        ids = {k: {p.name for p in v.iterdir()} for k, v in corpora.items()}
        index = root / "index"
        assert qa("build", "--corpus", str(corpora["a"]), "--index", str(index), "--model", "fake").returncode == 0
        t0 = time.perf_counter()  # a full rebuild like the ones killed below sets the time scale
        assert qa("build", "--full", "--corpus", str(corpora["a"]), "--index", str(index), "--model",
                  "fake").returncode == 0
        build_s = time.perf_counter() - t0
        rng, rows = random.Random(seed), []
        for i in range(kills):
            target = "ba"[i % 2]
            proc = subprocess.Popen([sys.executable, "-m", "qa", "build", "--full", "--corpus",
                                     str(corpora[target]), "--index", str(index), "--model", "fake"],
                                    cwd=REPO, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            at = rng.uniform(0.05, 1.1) * build_s
            time.sleep(at)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            row = {"kill": i, "after_s": round(at, 2), "building": target, "exit": proc.returncode}
            rows.append(row | state(index, ids))
            print(rows[-1], flush=True)
        final = qa("build", "--full", "--corpus", str(corpora["b"]), "--index", str(index), "--model", "fake")
        after = state(index, ids)
    held = [r for r in rows if r["check_ok"] and r["ask_ok"] and r["lock_free"] and r["holds"] in ("a", "b")]
    return {"kills": kills, "articles": n, "full_build_s": round(build_s, 1), "whole_after_kill": len(held),
            "killed_before_finishing": sum(r["exit"] == -signal.SIGKILL for r in rows),
            "new_generation_live_after_kill": sum(r["holds"] == r["building"] for r in rows),
            "mixes": sum(r["holds"] == "MIX" for r in rows), "partial_dirs_seen": sum(r["partial_left"] for r in rows),
            "final_build_ok": final.returncode == 0 and after["holds"] == "b" and after["check_ok"],
            "partial_left_after_final": after["partial_left"], "rows": rows}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(args.kills, args.n, args.seed)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print({k: v for k, v in report.items() if k != "rows"})
    return 0 if report["whole_after_kill"] == args.kills and report["final_build_ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
