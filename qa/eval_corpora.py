"""Public evaluation corpora read from a pinned package at eval/test time: today the Lee news corpus.

What it does: finds (or downloads once, with pip, into `<cache_dir>/eval-corpora/`) the wheel of
`gensim==4.4.0`, reads `gensim/test/test_data/lee.cor` (50 ABC news articles) and
`lee_background.cor` (300 more) straight from the zip (Latin-1, one article per line) without
installing gensim, and turns every line into a `qa.types.Document` through the loader's normal
record path (`qa.loader`: cleaning, title guess, content hash), exactly as a `.jsonl` corpus file
would be. Doc ids are `<file>#<n>` with n the **1-based line number** in that file:
`lee.cor#12`, `lee_background.cor#7`.

How a question file names its corpus: an optional `"corpus": "lee"` field on its JSONL rows.
Every row of a file must name the same corpus (or none: then the default index is used);
`corpus_of_rows` checks that, and `qa.eval_data.load_eval_set` then evaluates the file against
an index of all 350 Lee articles (lee.cor + lee_background.cor, so the background is the
haystack), cached under `<cache_dir>/eval/` keyed by model fingerprint and corpus hash.

What it does not do: install gensim, keep the article texts anywhere in the repository, or build
an index (qa.eval_data does). Every failure is a one-line QAError.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from . import config
from .errors import QAError
from .types import Document

GENSIM_PIN = "gensim==4.4.0"
LEE_FILES = ("lee.cor", "lee_background.cor")  # questions are written about lee.cor only
_MEMBER = "gensim/test/test_data/{}"
_WHEEL_GLOB = "gensim-4.4.0-*.whl"
CORPORA = ("lee",)


class EvalCorpusError(QAError):
    """An evaluation corpus cannot be found, downloaded or read."""


def wheel_dir(cache_dir: Path | None = None) -> Path:
    return Path(cache_dir or config.settings().cache_dir) / "eval-corpora"


def find_gensim_wheel(cache_dir: Path | None = None, download: bool = True) -> Path:
    """The cached gensim 4.4.0 wheel; downloaded once with `pip download --no-deps` if missing."""
    folder = wheel_dir(cache_dir)
    found = sorted(folder.glob(_WHEEL_GLOB))
    if found:
        return found[-1]
    if not download:
        raise EvalCorpusError(f"no {GENSIM_PIN} wheel in {folder}")
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary",
        ":all:",
        GENSIM_PIN,
        "-d",
        str(folder),
        "--quiet",
    ]
    try:
        done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EvalCorpusError(f"could not download {GENSIM_PIN}: {exc}".splitlines()[0]) from exc
    found = sorted(folder.glob(_WHEEL_GLOB))
    if done.returncode or not found:
        last = (done.stderr.strip().splitlines() or ["no wheel for this platform"])[-1]
        raise EvalCorpusError(f"could not download {GENSIM_PIN} into {folder}: {last}")
    return found[-1]


def read_lee_lines(wheel: Path | None = None) -> dict[str, list[str]]:
    """{file name: its articles, one per line} read from the wheel (Latin-1 decoded)."""
    wheel = Path(wheel) if wheel else find_gensim_wheel()
    try:
        with zipfile.ZipFile(wheel) as zf:
            raw = {name: zf.read(_MEMBER.format(name)) for name in LEE_FILES}
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        msg = f"cannot read the Lee corpus from {wheel} (delete it to download again): {exc}"
        raise EvalCorpusError(msg.splitlines()[0]) from exc
    # Latin-1 maps every byte, so decoding cannot fail (the files hold a few non-ASCII bytes, e.g. '£');
    # split on "\n" only: str.splitlines would also break at Latin-1 control characters such as \x85
    return {name: _lines(data.decode("latin-1")) for name, data in raw.items()}


def _lines(text: str) -> list[str]:
    return text.removesuffix("\n").split("\n")


def lee_documents(wheel: Path | None = None, files=LEE_FILES) -> list[Document]:
    """The Lee articles as Documents (ids `lee.cor#1`.. 1-based), cleaned like any .jsonl record."""
    from .loader import records_to_docs  # the loader's own record path: same cleaning and titles

    lines = read_lee_lines(wheel)
    docs: list[Document] = []
    for name in files:
        records = [(n, {"id": n, "text": line}) for n, line in enumerate(lines[name], start=1)]
        skipped: list = []
        docs.extend(records_to_docs(records, name, skipped))
        if skipped:  # a blank or all-boilerplate line would silently shift what the questions mean
            raise EvalCorpusError(f"Lee corpus: {skipped[0].path} not loaded ({skipped[0].reason})")
    return docs


def load_corpus_documents(name: str) -> list[Document]:
    if name == "lee":
        return lee_documents()
    raise EvalCorpusError(f"unknown evaluation corpus {name!r} (known: {', '.join(CORPORA)})")


def corpus_hash(documents: list[Document]) -> str:
    """sha256 over ids and content hashes: changes whenever loading or cleaning changes a text."""
    h = hashlib.sha256()
    for d in documents:
        h.update(f"{d.doc_id}\0{d.content_hash}\n".encode())
    return h.hexdigest()


def corpus_of_rows(text: str, name: str = "<questions>") -> str | None:
    """The corpus every JSONL row names in its "corpus" field, or None when no row names one."""
    seen: set = set()
    for line in text.splitlines():
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                return None  # parse_jsonl reports the bad line with its number
            seen.add(row.get("corpus") if isinstance(row, dict) else None)
    if seen == {None} or not seen:
        return None
    if len(seen) > 1:
        raise EvalCorpusError(f"{name}: rows name different corpora ({', '.join(sorted(map(str, seen)))})")
    corpus = seen.pop()
    if corpus not in CORPORA:
        raise EvalCorpusError(f"{name}: unknown corpus {corpus!r} (known: {', '.join(CORPORA)})")
    return corpus


# ---- the dev/test split of a question set written about one corpus ----
def _stratum(row: dict) -> str:
    return f"{row.get('type', 'other')}/{'una' if row.get('unanswerable') else 'ans'}"


def split_by_article(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """Deterministic halves, grouped by article: a question's articles are the one it was written from
    (`row["about"]`) and its `sources`, and questions sharing an article stay together, so no article
    has questions in both halves; each (type, answerable) stratum is split about evenly.

    Groups are placed largest first (ties in sha256 order of their first article id, a fixed shuffle
    independent of file order), each into the half it unbalances least (ties: dev)."""
    groups = _article_groups(rows)
    order = sorted(groups, key=lambda g: (-len(groups[g]), hashlib.sha256(g.encode()).hexdigest()))
    halves: tuple[list[dict], list[dict]] = ([], [])
    counts: tuple[dict, dict] = ({}, {})
    for key in order:
        group = groups[key]
        side = 0 if _imbalance(counts, 0, group) <= _imbalance(counts, 1, group) else 1
        halves[side].extend(group)
        for row in group:
            counts[side][_stratum(row)] = counts[side].get(_stratum(row), 0) + 1
    by_id = lambda r: str(r["id"])
    return sorted(halves[0], key=by_id), sorted(halves[1], key=by_id)


def _article_groups(rows: list[dict]) -> dict[str, list[dict]]:
    """Questions joined (union-find) when they share an article; keyed by the group's smallest id."""
    parent: dict[str, str] = {}

    def root(a: str) -> str:
        while parent.setdefault(a, a) != a:
            a = parent[a]
        return a

    for row in rows:
        arts = [str(row["about"]), *map(str, row.get("sources") or ())]
        for other in arts[1:]:
            a, b = sorted((root(arts[0]), root(other)))
            parent[b] = a
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(root(str(row["about"])), []).append(row)
    return groups


def _imbalance(counts: tuple[dict, dict], side: int, group: list[dict]) -> int:
    """Sum of squared per-stratum differences between the halves if `group` went to `side`."""
    new = [dict(counts[0]), dict(counts[1])]
    for row in group:
        new[side][_stratum(row)] = new[side].get(_stratum(row), 0) + 1
    strata = set(new[0]) | set(new[1])
    diff = {s: new[0].get(s, 0) - new[1].get(s, 0) for s in strata}
    una = sum(d for s, d in diff.items() if s.endswith("/una"))
    return sum(d * d for d in diff.values()) + sum(diff.values()) ** 2 + una * una
