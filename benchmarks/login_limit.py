"""Memory and time of the failed-login limit (qa.web.throttle) under a flood of distinct addresses.

Sends --addresses (100,000) distinct IPv4 addresses through `LoginThrottle`, each failing until it is
locked out (MAX_FAILURES counted attempts, then refused), with the default MAX_ADDRESSES bound, and
reports the addresses remembered, the memory they hold (tracemalloc, current and peak, while the
flood runs) and the cost of one attempt. No server: this measures the limiter's own bookkeeping.

    python benchmarks/login_limit.py [--addresses 100000] [--json]
A script, not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.web import throttle  # noqa: E402


def flood(n: int) -> dict:
    logging.getLogger("qa.web").setLevel(logging.ERROR)  # one lock-out line per address would flood stderr
    lim = throttle.LoginThrottle()
    attempts = 0
    tracemalloc.start()
    start = time.perf_counter()
    for i in range(n):
        key = f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}" if i < 1 << 24 else f"host-{i}"
        for _ in range(throttle.MAX_FAILURES + 1):  # the last one is refused
            attempts += 1
            if lim.wait(key) == 0:
                lim.end(key, lim.begin(key), throttle.FAILURE)
    seconds = time.perf_counter() - start
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "addresses_sent": n,
        "addresses_kept": len(lim),
        "max_addresses": lim.max_addresses,
        "memory_mb": round(current / 1e6, 2),
        "peak_mb": round(peak / 1e6, 2),
        "bytes_per_address": round(current / max(1, len(lim))),
        "us_per_attempt": round(seconds / attempts * 1e6, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--addresses", type=int, default=100_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = flood(args.addresses)
    print(json.dumps(out) if args.json else "\n".join(f"{k}: {v}" for k, v in out.items()))


if __name__ == "__main__":
    main()
