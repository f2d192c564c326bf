"""Web latency: what the Gradio server + gradio_client add on top of `Assistant.ask`, and behaviour under load.

Indexes the default corpus (a cache dir under settings().cache_dir/bench; an unchanged rebuild is a
no-op), starts the web app on a free 127.0.0.1 port in this process, warms up, then:

1. sequential: for every labelled question (tests/data/news_questions.jsonl), --rounds times, the direct
   `assistant.ask` time and the round trip of `Client.predict(q, api_name="/ask")`. Overhead =
   p50(round trip) - p50(direct); goal <= 70 ms. The client gets a shared SSLContext (`ssl_verify=ctx`):
   gradio_client opens a fresh httpx client per request, and building httpx's default TLS context
   (re-reading the CA bundle) costs ~50 ms each time even for plain-http loopback URLs. The default
   client is measured too and reported as `default_client_*` so nothing is hidden.
2. concurrent: --clients threads (8), each with its own Client, --per-client questions (25) each;
   reports errors (goal 0), p50/p95 latency and throughput. The app's queue holds 16 and runs 2 at once.

    python benchmarks/web_latency.py [--model fake] [--rounds 2] [--clients 8] [--per-client 25] [--json]
A script, not a test.
"""
from __future__ import annotations

import argparse
import json
import socket
import ssl
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa import Assistant, config  # noqa: E402
from qa.build import build_index  # noqa: E402
from qa.eval_data import load_eval_set, percentile  # noqa: E402

QUESTIONS = REPO / "tests" / "data" / "news_questions.jsonl"
FALLBACK = ["How many Patriot missiles are allies procuring?", "What did Zelensky say in Vilnius?",
            "What share of the missiles and drones were intercepted?", "Who met Zelensky in Kyiv in August?"]


def questions() -> list[str]:
    qs = [q.question for q in load_eval_set(QUESTIONS).questions] if QUESTIONS.exists() else []
    return [q for q in qs if q.strip()] or FALLBACK


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ms_since(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


def stats(values: list[float]) -> dict:
    return {"n": len(values), "p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95)}


def sequential(assistant, url: str, qs: list[str], rounds: int, ctx) -> dict:
    from gradio_client import Client

    fast, default = Client(url, verbose=False, ssl_verify=ctx), Client(url, verbose=False)
    for q in qs[:3]:
        assistant.ask(q), fast.predict(q, api_name="/ask"), default.predict(q, api_name="/ask")
    direct, rt, rt_default = [], [], []
    for _ in range(rounds):
        for q in qs:
            t0 = time.perf_counter()
            assistant.ask(q)
            direct.append(ms_since(t0))
            t0 = time.perf_counter()
            fast.predict(q, api_name="/ask")
            rt.append(ms_since(t0))
    for q in qs[:20]:
        t0 = time.perf_counter()
        default.predict(q, api_name="/ask")
        rt_default.append(ms_since(t0))
    out = {"direct": stats(direct), "client": stats(rt), "default_client": stats(rt_default)}
    out["overhead_p50_ms"] = out["client"]["p50_ms"] - out["direct"]["p50_ms"]
    out["default_client_overhead_p50_ms"] = out["default_client"]["p50_ms"] - out["direct"]["p50_ms"]
    return out


def concurrent(url: str, qs: list[str], clients: int, per_client: int, ctx) -> dict:
    from gradio_client import Client

    pool = [Client(url, verbose=False, ssl_verify=ctx) for _ in range(clients)]
    latencies, errors, lock = [], [], threading.Lock()

    def worker(i: int) -> None:
        for j in range(per_client):
            q = qs[(i * per_client + j) % len(qs)]
            t0 = time.perf_counter()
            try:
                out = pool[i].predict(q, api_name="/ask")
                ok = isinstance(out, dict) and "answer" in out
                with lock:
                    latencies.append(ms_since(t0)) if ok else errors.append(f"bad output for {q!r}")
            except Exception as exc:  # counted, not raised: the benchmark reports errors
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = ms_since(t0) / 1000
    return {"clients": clients, "per_client": per_client, "errors": len(errors), "error_samples": errors[:3],
            **stats(latencies), "seconds": seconds, "questions_per_s": len(latencies) / seconds}


def run(args) -> dict:
    from qa.web.app import launch

    settings = config.settings()
    index_dir = settings.cache_dir / "bench" / f"web-{args.model.replace(':', '-').replace('/', '_')}"
    build_index(REPO / "corpus", index_dir, args.model)
    settings.index_dir = index_dir
    assistant = Assistant.load(index_dir, model=args.model, settings=settings)
    qs = questions()
    demo = launch(assistant, port=free_port(), block=False)
    try:
        ctx = ssl.create_default_context()
        seq = sequential(assistant, demo.local_url, qs, args.rounds, ctx)
        conc = concurrent(demo.local_url, qs, args.clients, args.per_client, ctx)
    finally:
        demo.close()
    return {"model": args.model, "questions": len(qs), "sequential": seq, "concurrent": conc}


def report(r: dict) -> str:
    s, c = r["sequential"], r["concurrent"]
    verdict = "meets" if s["overhead_p50_ms"] <= 70 else "misses"
    return "\n".join([
        f"model {r['model']}, {r['questions']} questions",
        f"  direct ask         p50 {s['direct']['p50_ms']:7.1f} ms  p95 {s['direct']['p95_ms']:7.1f} ms",
        f"  gradio_client      p50 {s['client']['p50_ms']:7.1f} ms  p95 {s['client']['p95_ms']:7.1f} ms",
        f"  overhead p50 {s['overhead_p50_ms']:.1f} ms ({verdict} <= 70 ms)",
        f"  default client     p50 {s['default_client']['p50_ms']:7.1f} ms  (overhead "
        f"{s['default_client_overhead_p50_ms']:.1f} ms; fresh TLS context per request)",
        f"  {c['clients']} clients x {c['per_client']}: errors {c['errors']}, p50 {c['p50_ms']:.1f} ms, "
        f"p95 {c['p95_ms']:.1f} ms, {c['questions_per_s']:.1f} questions/s"
        + (f"\n  error samples: {c['error_samples']}" if c["errors"] else "")])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=config.settings().model, help="embedder spec (default: the real one)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--per-client", type=int, default=25)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args)
    print(json.dumps(result, indent=1) if args.json else report(result))
    return 0 if result["concurrent"]["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
