"""Local-model benchmark: speed of the GGUF test model, support-threshold calibration, citation quality.

    python benchmarks/llm_speed.py speed      [--threads 2] [--runs 3]   # TTFT and decode tok/s, ~600-token prompt
                                                                     # (AMX as qa decides: QA_LLM_AMX=auto|on|off)
    python benchmarks/llm_speed.py calibrate  [--fake]                   # SUPPORT_THRESHOLD / LEX_WEIGHT grid
    python benchmarks/llm_speed.py citations  [--limit 46]               # verified LLM answers vs extractive ones

`speed` needs requirements-llm.txt; `calibrate` needs only the embedder (or --fake); `citations`
needs both and a built index. Every figure is printed; nothing is written anywhere.
The machine is shared (2 cores): decode speed drops sharply when anything else runs, so each
speed run is repeated and the median and best are reported.
It does not change qa.llm.verify's constants: copy the printed values there by hand.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa import config  # noqa: E402
from qa.types import Document, Passage  # noqa: E402

A, B, C, D, E = ("000_b8f282db394e9f24.txt", "001_4a8362189b09e3f7.txt", "002_64afd957455d19e6.txt",
                 "003_26c1d75cb2d413e3.txt", "004_2c1e1c5ba1f36e4e.txt")
# (article, claim, supported?) - written by hand against corpus/. Negatives are mostly hard: same
# topic, a wrong number or name, or a true fact from another article.
SUPPORT_PAIRS = [
    (A, "Zelensky asked for more air defence systems.", 1),
    (A, "Russia fired at least 500 missiles and drones at Ukraine around the new year.", 1),
    (A, "About 70% of the missiles and drones were intercepted.", 1),
    (A, "Allies are procuring up to 1,000 Patriot missiles through NATO.", 1),
    (A, "Stoltenberg said Putin is trying to wear down Ukraine with mass strikes.", 1),
    (A, "NATO allies condemned Russia's use of ballistic missiles from North Korea.", 1),
    (A, "Hungary opposed the EU's new aid plans for Ukraine.", 1),
    (A, "Lithuania will send ammunition, generators and armoured personnel carriers.", 1),
    (A, "Lithuania borders the Russian exclave of Kaliningrad.", 1),
    (A, "Lithuania approved a long-term military aid plan worth about 200 million euros.", 1),
    (A, "Zelensky last visited Lithuania in July 2023.", 1),
    (A, "Zelensky said Moldova could be at risk next.", 1),
    (A, "The NATO-Ukraine Council met in Brussels.", 1),
    (A, "Zelensky will travel next to Latvia and Estonia.", 1),
    (A, "Zelensky said he felt no pressure to freeze the war.", 1),
    (A, "Drones from Iran were deployed by Russia, according to NATO.", 1),
    (A, "Russia fired at least 800 missiles at Ukraine.", 0),
    (A, "About 90% of the missiles were intercepted.", 0),
    (A, "Allies are procuring up to 5,000 Patriot missiles.", 0),
    (A, "Poland opposed the EU aid plans.", 0),
    (A, "Lithuania borders Finland.", 0),
    (A, "The aid plan is worth 2 billion euros.", 0),
    (A, "Zelensky last visited Lithuania in March 2021.", 0),
    (A, "Zelensky said Georgia would be the next country at risk.", 0),
    (A, "The Baltic states joined NATO in 2004.", 0),
    (A, "Estonian President Alar Karis called for more help.", 0),
    (A, "Training for F-16 pilots is being provided.", 0),
    (A, "Zelensky met the Pope in Rome.", 0),
    (A, "Ukraine's economy grew by 5% last year.", 0),
    (A, "NATO allies supplied ballistic missiles to North Korea.", 0),
    (A, "Zelensky visited Vilnius on his way to China.", 0),
    (A, "Kamyshin said Ukraine can produce drone ammunition.", 0),
    (B, "Zelensky said Russia's military can be stopped.", 1),
    (B, "More than 500 drones and missiles were fired between December 29 and January 2.", 1),
    (B, "Zelensky said warehouses are empty.", 1),
    (B, "The Baltic countries joined Nato in 2004.", 1),
    (B, "Josef Stalin seized and annexed the three countries during the Second World War.", 1),
    (B, "Estonian President Alar Karis said Ukraine must win and the aggressor lose.", 1),
    (B, "Russia's aggression started in 2014 with the annexation of Crimea.", 1),
    (B, "Zelensky described the focus of his trip on Telegram.", 1),
    (B, "The invasion was 22 months old when the visit began.", 1),
    (B, "Ukrainian officials signed documents on joint arms production.", 1),
    (B, "Zelensky said modern air defence systems are what Ukraine needs the most.", 1),
    (B, "Nauseda said Lithuania wants Ukraine's complete victory as soon as possible.", 1),
    (B, "The Baltic countries regained independence in 1991.", 1),
    (B, "The Baltic countries joined Nato in 1999.", 0),
    (B, "Lenin seized the Baltic countries.", 0),
    (B, "More than 900 drones were fired between December 29 and January 2.", 0),
    (B, "Zelensky said warehouses are full.", 0),
    (B, "Latvian President Edgars Rinkevics said the war is over.", 0),
    (B, "The invasion was 34 months old.", 0),
    (B, "Russia's aggression started in 2008.", 0),
    (B, "Zelensky described his trip on Facebook.", 0),
    (B, "Lithuania will send generators and armoured personnel carriers.", 0),
    (B, "The three countries left the European Union in 2016.", 0),
    (B, "Ukraine's tank production doubled this year.", 0),
    (B, "Nauseda told reporters the war would end in spring.", 0),
    (C, "Zelenskyy asked NATO countries for additional air defense systems.", 1),
    (C, "Russia used more than 40 Shaheds in one night.", 1),
    (C, "Ukrinform quoted Zelenskyy on the drone attacks.", 1),
    (C, "Stoltenberg pointed to three historic decisions taken at the Vilnius Summit.", 1),
    (C, "NATO allies are training F-16 pilots.", 1),
    (C, "Nearly 100 billion euros of military support has been committed since last year.", 1),
    (C, "Around half of the support came from European NATO allies and Canada.", 1),
    (C, "Zelenskyy said it is only a matter of time before Ukraine joins NATO.", 1),
    (C, "The press conference with Stoltenberg took place in Kyiv.", 1),
    (C, "All allies have agreed that Ukraine will join NATO.", 1),
    (C, "Ukraine's ports are important for global food security.", 1),
    (C, "Russia used more than 400 Shaheds in one night.", 0),
    (C, "Reuters quoted Zelenskyy on the drone attacks.", 0),
    (C, "Stoltenberg pointed to five decisions taken at the Madrid Summit.", 0),
    (C, "NATO allies are training Gripen pilots.", 0),
    (C, "Nearly 300 billion euros of support has been committed.", 0),
    (C, "Around half of the support came from Japan.", 0),
    (C, "Zelenskyy said Ukraine will never join NATO.", 0),
    (C, "The press conference took place in Warsaw.", 0),
    (C, "Zelensky met Lithuanian President Nauseda in Vilnius.", 0),
    (C, "Lithuania will send armoured personnel carriers.", 0),
    (C, "Iran signed a drone deal with Ukraine.", 0),
    (D, "Russia launched 500 strikes on Ukraine in late December and early January.", 1),
    (D, "Ukrainian defenders repelled 70% of the strikes on average.", 1),
    (D, "Ukraine cannot yet produce modern air defense systems with its partners.", 1),
    (D, "Zelenskyy spoke at a joint press conference with Gitanas Nausėda.", 1),
    (D, "Alexander Kamyshin said Ukraine can produce ammunition for drones.", 1),
    (D, "More than 50 state and private manufacturers produce drone ammunition.", 1),
    (D, "Dmytro Kuleba said Ukraine expects decisions from the NATO Council meeting.", 1),
    (D, "Dozens were killed and injured in the strikes.", 1),
    (D, "Ukraine is increasing domestic drone production.", 1),
    (D, "Ukraine has drone agreements with Lithuania.", 1),
    (D, "Russia launched 5,000 strikes on Ukraine.", 0),
    (D, "Ukrainian defenders repelled 95% of the strikes.", 0),
    (D, "Ukraine already produces modern air defense systems with its partners.", 0),
    (D, "More than 500 manufacturers produce drone ammunition.", 0),
    (D, "Kuleba resigned as foreign minister.", 0),
    (D, "Nobody was hurt in the strikes.", 0),
    (D, "Denys Shmyhal said Ukraine can produce ammunition for drones.", 0),
    (D, "The strikes happened in August 2024.", 0),
    (D, "Stoltenberg said Putin will not succeed.", 0),
    (D, "Zelenskyy announced exactly how many drones Ukraine produces.", 0),
    (E, "Laurynas Kasčiūnas visited Ukraine on 13 August 2024.", 1),
    (E, "Zelensky thanked Lithuania for its political support.", 1),
    (E, "The Security Cooperation Agreement was signed in Brussels on 24 June 2024.", 1),
    (E, "Lithuania planned to deliver short-range air defense systems in August.", 1),
    (E, "Five Lithuanian drone manufacturers tested their UAVs under frontline conditions.", 1),
    (E, "Deliveries of the drones are expected in September.", 1),
    (E, "The talks covered Ukraine's defense-industrial complex.", 1),
    (E, "Lithuania's defense minister met Zelensky in Kyiv.", 1),
    (E, "Kasčiūnas visited Ukraine on 13 March 2023.", 0),
    (E, "The Security Cooperation Agreement was signed in Vilnius.", 0),
    (E, "Twelve Lithuanian drone manufacturers tested their UAVs.", 0),
    (E, "Deliveries are expected in December.", 0),
    (E, "Lithuania planned to deliver long-range missiles.", 0),
    (E, "Kasčiūnas is Lithuania's foreign minister.", 0),
    (E, "Zelensky criticised Lithuania for a lack of support.", 0),
    (E, "The Patriot missiles will be procured via NATO.", 0),
    (E, "Estonia hosted the talks.", 0),
    (E, "The meeting focused on grain exports.", 0),
]


def _documents() -> dict[str, Document]:
    from qa.loader import load_corpus  # the lead's loader: same clean text and doc ids as the index

    docs, _ = load_corpus(config.settings().corpus_dir)
    return {d.doc_id: d for d in docs}


def _whole_passage(doc: Document) -> Passage:
    return Passage(rank=1, doc_id=doc.doc_id, title=doc.title, source=doc.source, date=doc.date,
                   text=doc.text, start=0, end=len(doc.text), score=1.0)


def support_table(encode) -> list[tuple[float, float, int]]:
    """Per pair: (recall, cosine, penalty) for every sentence of its article, and the label."""
    from qa.llm import verify

    docs = _documents()
    sents = {d: [docs[d].text[s:e] for s, e in verify.passage_sentences(_whole_passage(docs[d]), docs)]
             for d in {doc_id for doc_id, _, _ in SUPPORT_PAIRS}}
    svecs = {d: np.asarray(encode(texts), dtype=np.float32) for d, texts in sents.items()}  # once per article
    cvecs = np.asarray(encode([claim for _, claim, _ in SUPPORT_PAIRS]), dtype=np.float32)
    feats = {d: [verify.Features.of(t) for t in texts] for d, texts in sents.items()}
    context = {d: frozenset().union(*(f.terms for f in fs)) for d, fs in feats.items()}
    rows = []
    for (doc_id, claim, label), cvec in zip(SUPPORT_PAIRS, cvecs):
        c = verify.Features.of(claim)
        best = []
        for f, vec in zip(feats[doc_id], svecs[doc_id]):
            recall = len(c.terms & f.terms) / max(1, len(c.terms))
            factor = verify.penalty(c, f, context[doc_id])
            best.append((recall, max(0.0, float(cvec @ vec)), factor))
        rows.append((best, label))
    return rows


def calibrate(fake: bool) -> None:
    from qa.embedder import load_embedder

    encoder = load_embedder("fake" if fake else config.settings().model)
    rows = support_table(encoder.encode)
    results = []
    for w in np.arange(0.0, 1.01, 0.1):
        scores = np.array([max((w * r + (1 - w) * c) * f for r, c, f in best) for best, _ in rows])
        labels = np.array([lab for _, lab in rows])
        for t in np.arange(0.30, 0.95, 0.01):
            pred = scores >= t
            tp, fp = int(np.sum(pred & (labels == 1))), int(np.sum(pred & (labels == 0)))
            fn = int(np.sum(~pred & (labels == 1)))
            prec, rec = tp / max(1, tp + fp), tp / max(1, tp + fn)
            f1 = 2 * prec * rec / max(1e-9, prec + rec)
            results.append((f1, prec, rec, float(np.mean(pred == labels)), round(float(w), 1), round(float(t), 2)))
    results.sort(reverse=True)
    pos = sum(lab for _, _, lab in SUPPORT_PAIRS)
    print(f"encoder={encoder.name} pairs={len(SUPPORT_PAIRS)} "
          f"(supported {pos}, unsupported {len(SUPPORT_PAIRS) - pos})")
    print("   F1   prec  recall  acc   LEX_WEIGHT threshold")
    for f1, prec, rec, acc, w, t in results[:8]:
        print(f"  {f1:.3f} {prec:.3f} {rec:.3f} {acc:.3f}   {w:.1f}      {t:.2f}")
    from qa.llm import verify

    current = [r for r in results if r[4] == verify.LEX_WEIGHT and abs(r[5] - verify.SUPPORT_THRESHOLD) < 1e-6]
    if current:
        f1, prec, rec, acc, w, t = current[0]
        print(f"current constants (w={w}, t={t}): F1 {f1:.3f} precision {prec:.3f} recall {rec:.3f} accuracy {acc:.3f}")


def _speed_prompt(run: int) -> str:
    """A ~600-token grounded prompt: three 500-character passages, shifted per run.

    Shifting the passages (not the template) matches real use: llama.cpp's prompt cache can reuse
    the fixed instructions and example, never the passages of a new question.
    """
    from qa.llm.prompt import build_prompt

    doc = _documents()[A]
    at = 120 * run
    passages = [Passage(rank=i + 1, doc_id=doc.doc_id, title=doc.title, source=doc.source, date=doc.date,
                        text=doc.text[s:s + 500], start=s, end=s + 500, score=1.0)
                for i, s in enumerate((at, at + 900, at + 1800))]
    return build_prompt("How many Patriot missiles are Ukraine's allies procuring?", passages, "completion")


def read_bandwidth(threads: int, mb: int = 256, repeats: int = 8) -> float:
    """GB/s that `threads` threads reach summing their own `mb` MB arrays (numpy releases the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    arrays = [np.ones(mb * 1_000_000 // 8, dtype=np.int64) for _ in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(np.sum, arrays))  # page in
        t0 = time.perf_counter()
        list(pool.map(lambda a: [a.sum() for _ in range(repeats)], arrays))
        return threads * repeats * mb / 1000 / (time.perf_counter() - t0)


def speed(threads: int, runs: int, max_tokens: int) -> None:
    import xllamacpp

    from qa.llm.backends import TEST_MODEL_ALIAS, make_backend

    # the same backend `--llm-model gemma3-270m` builds (AMX kernels and their Q8_0 copy as QA_LLM_AMX says)
    settings = config.settings()
    settings.llm_model, settings.llm_url, settings.llm_prompt = TEST_MODEL_ALIAS, None, "completion"
    settings.llm_threads, settings.llm_ctx, settings.llm_max_tokens, settings.llm_timeout = threads, 4096, max_tokens, 600
    backend = make_backend(settings)
    path, amx = backend.path, backend.amx
    t0 = time.perf_counter()
    backend.warm()  # as `chat` does at start: load, and evaluate the prompt's fixed start once
    print(f"model {path.name} loaded and warmed up in {time.perf_counter() - t0:.2f} s, threads={threads}, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, load average before: {os.getloadavg()[0]:.2f} "
          "(other processes slow both figures)")
    info = xllamacpp.get_system_info().removeprefix("CPU :")
    features = [f.split("=")[0].strip() for f in info.split("|") if f.strip().endswith("1")]
    print(f"llama.cpp build: {xllamacpp.__file__}\n  CPU features it was compiled for: {' '.join(features)}; "
          f"AMX kernels {'on (Q8_0 copy of the model)' if amx else 'off'} (QA_LLM_AMX={settings.llm_amx})")
    ttfts, rates, prompt_rates = [], [], []
    for i in range(runs):
        text, start, first = _speed_prompt(i), time.perf_counter(), None
        for _ in backend.stream(text, max_tokens):  # no stop strings: decode a full max_tokens if it can
            first = first or time.perf_counter()
        t = backend.last_timings
        ttfts.append((first or time.perf_counter()) - start)
        rates.append(t.get("predicted_per_second", 0.0))
        prompt_rates.append(t.get("prompt_per_second", 0.0))
        print(f"  run {i}: prompt {t.get('prompt_n', 0) + t.get('cache_n', 0)} tokens ({t.get('cache_n', 0)} cached), "
              f"TTFT {ttfts[-1]:.2f} s, prompt eval {prompt_rates[-1]:.0f} tok/s, "
              f"decode {t.get('predicted_n')} tokens at {rates[-1]:.1f} tok/s")
    print(f"TTFT median {statistics.median(ttfts):.2f} s (best {min(ttfts):.2f}); decode median "
          f"{statistics.median(rates):.1f} tok/s (best {max(rates):.1f}); prompt eval median "
          f"{statistics.median(prompt_rates):.0f} tok/s; load average after: {os.getloadavg()[0]:.2f}. "
          "Goal: TTFT <= 1 s, decode >= 40 tok/s.")
    # Baseline in the same process: each decoded token reads every weight once (the 262k-token
    # embedding doubles as the output layer), so memory bandwidth caps the decode rate.
    gbps, weights_gb = read_bandwidth(threads), path.stat().st_size / 1e9
    ceiling = gbps / weights_gb
    print(f"memory-bound ceiling: {threads} threads read {gbps:.1f} GB/s (numpy, same process) / {weights_gb * 1000:.0f} "
          f"MB of weights per token = {ceiling:.0f} tok/s; decode median reached {statistics.median(rates) / ceiling:.2f}× "
          f"of it; 40 tok/s would need {40 / ceiling:.2f}×.")


def citations(limit: int) -> None:
    """Citation precision/recall of verified LLM answers, taking the extractive answer's sources as gold."""
    from qa import Assistant
    from qa.eval_data import load_eval_set

    settings = config.settings()
    settings.llm_model = settings.llm_model or "gemma3-270m"
    assistant = Assistant.load(settings=settings, build_if_missing=True)
    questions = [q for q in load_eval_set(REPO / "tests/data/news_questions.jsonl").questions
                 if not q.unanswerable][:limit]
    kept = tp = fp = fn = span_hits = spans = 0
    t0 = time.perf_counter()
    for q in questions:
        extractive = assistant.ask(q.question)
        answer = assistant.ask(q.question, mode="llm")
        gold = {c.doc_id for c in extractive.citations} or set(q.sources)
        got = {c.doc_id for c in answer.citations} if answer.mode == "llm" else set()
        print(f"  {q.id} mode={answer.mode:10} cited={sorted(got)} gold={sorted(gold)}"
              + (f" text={answer.text[:80]!r}" if answer.mode == "llm" else ""))
        if answer.mode != "llm":
            continue
        kept += 1
        tp, fp, fn = tp + len(got & gold), fp + len(got - gold), fn + len(gold - got)
        for c in answer.citations:  # same sentence as an extractive citation (overlapping offsets)?
            spans += 1
            span_hits += any(c.doc_id == e.doc_id and c.start < e.end and e.start < c.end
                             for e in extractive.citations)
    print(f"{len(questions)} questions in {time.perf_counter() - t0:.0f} s; verified LLM answers kept for {kept} "
          f"(the rest fell back to extractive).\nOn the kept answers: document-level citation precision "
          f"{tp / max(1, tp + fp):.3f}, recall {tp / max(1, tp + fn):.3f}; {span_hits}/{spans} LLM citations quote "
          "the same sentence as an extractive citation.")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("speed")
    sp.add_argument("--threads", type=int, default=2)
    sp.add_argument("--runs", type=int, default=3)
    sp.add_argument("--max-tokens", type=int, default=64)
    cp = sub.add_parser("calibrate")
    cp.add_argument("--fake", action="store_true", help="the hashing test embedder instead of MiniLM")
    qp = sub.add_parser("citations")
    qp.add_argument("--limit", type=int, default=46)
    args = ap.parse_args(argv)
    if args.cmd == "speed":
        speed(args.threads, args.runs, args.max_tokens)
    elif args.cmd == "calibrate":
        calibrate(args.fake)
    else:
        citations(args.limit)


if __name__ == "__main__":
    main()
