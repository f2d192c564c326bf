"""No pickle anywhere: nothing in qa/ imports pickle, calls torch.load, or loads .npy files that may
hold pickled objects; the libraries qa reads its index with default to refusing pickles too."""
from __future__ import annotations

import inspect
import re

from .conftest import REPO

UNSAFE = re.compile(r"^\s*(import|from)\s+(c?pickle|dill|joblib|cloudpickle)\b|\bpickle\.(loads?|Unpickler)\b"
                    r"|\btorch\.load\s*\(|allow_pickle\s*=\s*True", re.M)
NP_LOAD = re.compile(r"\bnp\.load\s*\(([^)]*)\)")


def sources():
    return sorted((REPO / "qa").rglob("*.py"))


def test_no_pickle_in_qa():
    hits = [f"{p.relative_to(REPO)}: {m.group(0).strip()}" for p in sources() for m in UNSAFE.finditer(p.read_text())]
    assert hits == []


def test_every_np_load_refuses_pickles():
    calls = [(p, m.group(1)) for p in sources() for m in NP_LOAD.finditer(p.read_text())]
    assert calls and all("allow_pickle=False" in args for _, args in calls), calls


def test_the_grep_would_catch_it():
    bad = "import pickle\nx = pickle.loads(b)\nimport torch\ntorch.load(f)\nnp.load(p, allow_pickle=True)\n"
    assert len(UNSAFE.findall(bad)) == 4


def test_bm25s_loads_without_pickles_by_default():
    import bm25s

    assert inspect.signature(bm25s.BM25.load).parameters["allow_pickle"].default is False
