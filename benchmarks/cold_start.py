"""Cold start: wall time of a no-change `qa build` and of a cold `qa ask`, each a fresh process.

What a user feels on the command line: every `python -m qa ...` is a new interpreter that imports
what it needs, reads the index and (for ask) loads the encoder. The default corpus is built once
into a temp index (not timed), then each command runs --runs times and the median is printed, next
to the wall time of a bare `python -c pass` measured in the same run (the floor any command pays).
Goals (issue "Fast builds on real archives"): no-change build <= 2 s, cold ask <= 3 s.
A script, not a test; nothing is kept on disk.

    python benchmarks/cold_start.py [--runs 5] [--model SPEC] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUESTION = "Who is the NATO Secretary General?"
GOALS = {"no-change build": 2.0, "cold ask": 3.0}


def wall(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return seconds


def median_wall(cmd: list[str], env: dict, runs: int) -> float:
    return statistics.median(wall(cmd, env) for _ in range(runs))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--model", default=None, help="embedding model (default: the configured one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="qa-cold-") as tmp:
        model = ["--model", args.model] if args.model else []
        build = [py, "-m", "qa", "build", "--corpus", str(REPO / "corpus"), "--index", tmp, *model]
        wall(build, env)  # the first build is setup, not measured
        rows = {"python -c pass": median_wall([py, "-c", "pass"], env, args.runs),
                "no-change build": median_wall(build, env, args.runs),
                "cold ask": median_wall([py, "-m", "qa", "ask", "--index", tmp, QUESTION], env, args.runs)}
    floor = rows["python -c pass"]
    if args.json:
        print(json.dumps({"runs": args.runs, "seconds": rows, "goals": GOALS}))
        return 0
    print(f"median of {args.runs} runs each, fresh process per run")
    for name, seconds in rows.items():
        goal = f"  goal <= {GOALS[name]:.1f} s: {'met' if seconds <= GOALS[name] else 'MISSED'}" \
            if name in GOALS else ""
        print(f"  {name:16s} {seconds:6.2f} s  ({seconds / floor:5.1f}x a bare interpreter){goal}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
