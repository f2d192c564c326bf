"""A deterministic synthetic news corpus for benchmarks (never committed; written to a temp dir).

Each article recombines sentences of the default corpus, with the people, places, numbers, months
and dates swapped for others drawn from small lists by a seeded RNG, so the same (n, seed) always
gives byte-identical files and most sentences differ between articles. It is for speed measurements
only: the articles are not coherent and carry no labelled questions.

    python benchmarks/synthetic.py OUT_DIR [--n 2000] [--seed 0]
"""
from __future__ import annotations

import argparse
import contextlib
import random
import re
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

FIRST = ["Anna", "Marek", "Ingrid", "Tomas", "Olena", "Pieter", "Sofia", "Jonas", "Mira", "Karl", "Lena",
         "Andrius", "Elena", "Matti", "Ruta", "Oskar", "Daria", "Viktor", "Helga", "Pavel"]
LAST = ["Kovalenko", "Lindqvist", "Petraitis", "Ozols", "Tamm", "Novak", "Berger", "Moreau", "Rossi",
        "Jansen", "Kask", "Varga", "Horvat", "Nielsen", "Dumitru", "Sokolova", "Brandt", "Virtanen"]
PLACES = ["Riga", "Tallinn", "Warsaw", "Prague", "Helsinki", "Bucharest", "Sofia", "Gdansk", "Tartu",
          "Kaunas", "Odesa", "Lviv", "Vienna", "Oslo", "Copenhagen", "Bratislava"]
COUNTRIES = ["Poland", "Finland", "Romania", "Czechia", "Slovakia", "Denmark", "Norway", "Sweden",
             "Georgia", "Moldova", "Bulgaria", "Croatia", "Latvia", "Estonia"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
ENTITIES = {
    "first": r"Volodymyr|Gitanas|Jens|Vladimir|Dmytro|Alexander|Alar|Laurynas|Josef",
    "last": r"Zelenskyy|Zelenskyi|Zelensky|Nausėda|Nauseda|Stoltenberg|Putin|Kuleba|Kamyshin|Karis|"
            r"Kasčiūnas|Stalin",
    "place": r"Vilnius|Kyiv|Kiev|Brussels|Moscow",
    "country": r"Lithuania|Latvia|Estonia|Hungary|Moldova|Belarus",
    "month": "|".join(MONTHS),
}
_ENTITY = re.compile("|".join(f"(?P<{k}>\\b(?:{v})\\b)" for k, v in ENTITIES.items()))
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
CHOICES = {"first": FIRST, "last": LAST, "place": PLACES, "country": COUNTRIES, "month": MONTHS}


def sentence_pool(corpus_dir: Path = REPO / "corpus") -> list[str]:
    """Sentences (6+ words, one line) of the corpus articles, in a fixed order."""
    from qa.chunking import split_sentences
    from qa.loader import load_corpus

    docs, _ = load_corpus(corpus_dir)
    pool = []
    for doc in docs:
        for start, end in split_sentences(doc.text):
            sentence = " ".join(doc.text[start:end].split())
            if len(sentence.split()) >= 6:
                pool.append(sentence)
    return pool


def _vary(sentence: str, cast: dict[str, dict[str, str]], rng: random.Random) -> str:
    """Swap entities for this article's cast (consistent within the article) and redraw numbers."""
    def entity(m: re.Match) -> str:
        kind = m.lastgroup
        return cast[kind].setdefault(m.group(), rng.choice(CHOICES[kind]))

    def number(m: re.Match) -> str:
        digits = re.sub(r"\D", "", m.group())
        if len(digits) == 4 and digits.startswith(("19", "20")):
            return str(rng.randint(1990, 2025))
        return str(rng.randint(1, 10 ** min(len(digits), 6)))

    return _NUMBER.sub(number, _ENTITY.sub(entity, sentence))


def article(pool: list[str], rng: random.Random) -> str:
    cast: dict[str, dict[str, str]] = {k: {} for k in CHOICES}
    sentences = [_vary(s, cast, rng) for s in rng.sample(pool, rng.randint(8, 22))]
    date = f"{rng.randint(2019, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    title = " ".join(sentences[0].split()[:rng.randint(6, 11)]).rstrip(",;:")
    paragraphs, i = [], 0
    while i < len(sentences):
        step = rng.randint(1, 3)
        paragraphs.append(" ".join(sentences[i:i + step]))
        i += step
    return f" date {date} {title}\n\n" + "\n\n".join(paragraphs) + "\n"


def generate(out_dir: Path, n: int = 2000, seed: int = 0, corpus_dir: Path = REPO / "corpus") -> Path:
    """Write `n` articles (syn_00000.txt ...) into `out_dir`; the same arguments give the same bytes."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pool, rng = sentence_pool(corpus_dir), random.Random(seed)
    for i in range(n):
        (out_dir / f"syn_{i:05d}.txt").write_text(article(pool, rng), encoding="utf-8")
    return out_dir


@contextlib.contextmanager
def synthetic_corpus(n: int = 2000, seed: int = 0):
    """A temporary directory holding the synthetic corpus; removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="qa-synthetic-") as tmp:
        yield generate(Path(tmp) / "corpus", n, seed)


def generate_lee(out_dir: Path, n: int = 4000, seed: int = 0) -> Path:
    """`n` articles of real news text: each draws as many sentences as a real Lee background article
    has (a random one of the 300) from the pool of all their sentences, in paragraphs of 1-3. The
    texts come from gensim's wheel at run time (qa.eval_corpora) and are never written to the repo."""
    from qa.chunking import split_sentences
    from qa.eval_corpora import read_lee_lines

    lines = read_lee_lines()["lee_background.cor"]
    per_article = [[" ".join(line[s:e].split()) for s, e in split_sentences(line)] for line in lines]
    pool = [s for sentences in per_article for s in sentences if len(s.split()) >= 4]
    lengths = [len(sentences) for sentences in per_article if sentences]
    out_dir, rng = Path(out_dir), random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        sentences = rng.sample(pool, min(len(pool), rng.choice(lengths)))
        paragraphs, j = [], 0
        while j < len(sentences):
            step = rng.randint(1, 3)
            paragraphs.append(" ".join(sentences[j:j + step]))
            j += step
        (out_dir / f"lee_{i:05d}.txt").write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return out_dir


@contextlib.contextmanager
def lee_corpus(n: int = 4000, seed: int = 0):
    """A temporary directory holding `n` Lee-drawn articles (generate_lee); removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="qa-lee-") as tmp:
        yield generate_lee(Path(tmp) / "corpus", n, seed)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="write a synthetic news corpus")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    generate(args.out_dir, args.n, args.seed)
    print(f"wrote {args.n} articles to {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
