"""Fit the calibrated abstention model (qa.abstention) and estimate how it generalises.

Input: per-question dumps of `python -m qa eval FILE --json` (each result carries the answerer's
`features`), one file per labelled set, named after the set:

    python -m qa eval tests/data/news_questions.jsonl --json > DUMPS/news.json
    python -m qa eval ../shared/dev_questions.jsonl --json > DUMPS/dev.json
    python -m qa eval tests/data/lee_dev.jsonl --json > DUMPS/lee_dev.json
    python -m qa eval ../shared/external/squad2-dev-subset/small.json --json > DUMPS/squad.json
    python tools/fit_abstention.py DUMPS [--write]

It prints cross-validated figures for the model and for the hand-set rule on the same folds
(leave-one-set-out, and k-fold over Lee dev articles with every other set in training); in every fold
the threshold of each is chosen on the training part only. `--write` fits on all sets and writes
qa/abstention_model.py. The label (`--label`) is "hit" (answered with a gold answer: a wrong answer to an
answerable question is better refused too) or "answerable"; lee_test is never read.
What it does not do: ask questions (qa eval does) or change the answer itself.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from qa.abstention import FEATURES  # noqa: E402

SETS = ("news", "dev", "lee_dev", "squad")
# the shipped model's features: the hand-set confidence, its parts, and two margins (docs/evaluation.md)
SHIPPED = ("rule", "dense", "lex", "fit", "absent", "missing", "margin", "article_recall")
L2 = 1.0  # ridge penalty on the standardised coefficients (a handful of features, a few hundred questions)
LEE_FOLDS = 5
CRITERION = ["wrong5"]  # how a threshold is chosen on training questions (--criterion)


def load(dumps: Path) -> dict[str, list[dict]]:
    """Per set, one row per question: label, hit (answered text holds the answer), features, group."""
    about = {}
    for line in (ROOT / "tests/data/lee_dev.jsonl").read_text().splitlines():
        row = json.loads(line)
        about[row["id"]] = row.get("about", "")
    out = {}
    for name in SETS:
        rows = []
        for r in json.loads((dumps / f"{name}.json").read_text())["results"]:
            feats = r["features"] or None  # none: no sentence was read; the answerer always abstains then
            rows.append(
                {"answerable": not r["unanswerable"], "hit": r["hit_text"] and not r["no_answer"], "f": feats}
                | {"group": about.get(r["id"], r["id"])}
            )
        out[name] = rows
    return out


def matrix(rows: list[dict], names=FEATURES) -> np.ndarray:
    return np.array([[r["f"][n] if r["f"] else 0.0 for n in names] for r in rows], dtype=float)


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = L2) -> dict:
    """Weighted L2-penalised logistic regression on standardised features, by Newton's method."""
    w = w * len(w) / w.sum()
    mean = (w[:, None] * x).sum(0) / w.sum()
    scale = np.sqrt((w[:, None] * (x - mean) ** 2).sum(0) / w.sum())
    scale[scale < 1e-9] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    beta = np.zeros(z.shape[1])
    pen = np.full(z.shape[1], l2)
    pen[0] = 0.0  # the intercept is not shrunk
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(z @ beta, -30, 30)))
        grad = z.T @ (w * (p - y)) + pen * beta
        hess = (z * (w * p * (1 - p))[:, None]).T @ z + np.diag(pen)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return {"mean": mean, "scale": scale, "intercept": beta[0], "coef": beta[1:]}


def predict(model: dict, x: np.ndarray) -> np.ndarray:
    s = model["intercept"] + ((x - model["mean"]) / model["scale"]) @ model["coef"]
    return 1 / (1 + np.exp(-np.clip(s, -30, 30)))


MAX_WRONGLY_ABSTAINED = 0.05  # the goal for answerable questions refused (docs/evaluation.md)


def choose_threshold(score: np.ndarray, y: np.ndarray, w: np.ndarray, criterion: str = "wrong5") -> float:
    """On the (weighted) training questions, `balanced`: the threshold that maximises the mean of answerable
    answered and unanswerable abstained; `wrong5`: the highest that refuses at most 5% of the answerable."""
    best, best_t = -1.0, float(score.min())
    for t in np.unique(score):
        answered = score >= t
        kept = w[y == 1] @ answered[y == 1] / w[y == 1].sum()
        refused = w[y == 0] @ ~answered[y == 0] / w[y == 0].sum()
        if criterion == "wrong5":
            if kept >= 1 - MAX_WRONGLY_ABSTAINED - 1e-12:
                best_t = float(t)
            continue
        if 0.5 * (kept + refused) > best:
            best, best_t = 0.5 * (kept + refused), float(t)
    return best_t


def weights(rows: list[dict], sets: list[str], balance: bool) -> np.ndarray:
    """Each set's questions weigh 1 / its size when `balance` (so SQuAD's 626 do not drown Lee's 97)."""
    if not balance:
        return np.ones(len(rows))
    size = {s: sets.count(s) for s in set(sets)}
    return np.array([1.0 / size[s] for s in sets])


def figures(rows: list[dict], answered: np.ndarray) -> dict:
    ans = np.array([r["answerable"] for r in rows])
    hit = np.array([r["hit"] for r in rows])
    ok = np.array([r["f"] is not None for r in rows])
    answered = answered & ok
    pct = lambda a: 100 * float(a.mean()) if a.size else float("nan")  # noqa: E731
    return {"hit": pct((answered & hit)[ans]), "abstained": pct(~answered[~ans]), "wrong": pct(~answered[ans])}


def auc(score: np.ndarray, rows: list[dict]) -> float:
    """P(an answerable question scores above an unanswerable one), ties half."""
    y = np.array([r["answerable"] for r in rows])
    pos, neg = score[y], score[~y]
    if not len(pos) or not len(neg):
        return float("nan")
    return float(((pos[:, None] > neg).sum() + 0.5 * (pos[:, None] == neg).sum()) / (len(pos) * len(neg)))


def run_fold(train: list[tuple[str, dict]], test: list[dict], names, balance: bool, l2: float, label: str) -> dict:
    sets = [s for s, _ in train]
    rows = [r for _, r in train]
    w = weights(rows, sets, balance)
    y = np.array([r[label] for r in rows], dtype=float)
    x = matrix(rows, names)
    model = fit_logistic(x, y, w, l2)
    # both thresholds serve the same goal, whatever the model predicts: answer the answerable, refuse the rest
    answerable = np.array([r["answerable"] for r in rows], dtype=float)
    t_model = choose_threshold(predict(model, x), answerable, w, CRITERION[0])
    t_rule = choose_threshold(matrix(rows, ("rule",))[:, 0], answerable, w, CRITERION[0])
    p, rule = predict(model, matrix(test, names)), matrix(test, ("rule",))[:, 0]
    return {
        "model": figures(test, p >= t_model) | {"auc": auc(p, test), "score": p},
        "rule": figures(test, rule >= t_rule) | {"auc": auc(rule, test), "score": rule},
        "rule_0.355": figures(test, rule >= 0.355),
    }


def folds(data: dict[str, list[dict]], train_sets=SETS):
    """(label, training rows with their set, test rows): leave-one-set-out, then Lee dev by article."""
    every = [(s, r) for s in train_sets for r in data[s]]
    for held in SETS:
        yield f"set:{held}", [(s, r) for s, r in every if s != held], data[held]
    groups = sorted({r["group"] for r in data["lee_dev"]})
    rng = np.random.default_rng(11)
    fold_of = dict(zip(groups, rng.permutation(len(groups)) % LEE_FOLDS, strict=True))
    for k in range(LEE_FOLDS):
        test = [r for r in data["lee_dev"] if fold_of[r["group"]] == k]
        train = [(s, r) for s, r in every if not (s == "lee_dev" and fold_of[r["group"]] == k)]
        yield f"lee_dev-articles:{k}", train, test


def cross_validate(data, names, balance: bool, l2: float, train_sets, label: str) -> None:
    print(
        f"features: {', '.join(names)}; trained on {', '.join(train_sets)}; label {label}; balanced: {balance}; L2 {l2}"
    )
    print("hit / unanswerable abstained / answerable wrongly abstained (%), and AUC, on each held-out fold")
    print(f"{'fold':22} {'model':>28} {'rule (threshold refit)':>28} {'rule at 0.355':>18}")
    cell = lambda m: f"{m['hit']:5.1f} {m['abstained']:5.1f} {m['wrong']:5.1f}"  # noqa: E731
    lee: dict[str, list] = {"model": [], "rule": [], "rule_0.355": []}
    for fold, train, test in folds(data, train_sets):
        res = run_fold(train, test, names, balance, l2, label)
        print(
            f"{fold:22} {cell(res['model'])} AUC {res['model']['auc']:.3f}  "
            f"{cell(res['rule'])} AUC {res['rule']['auc']:.3f}  {cell(res['rule_0.355'])}"
        )
        if fold.startswith("lee_dev-articles"):
            for method, m in res.items():
                lee[method].append((len(test), m | {"rows": test}))
    n = sum(c for c, _ in lee["model"])
    for method, parts in lee.items():  # folds of one set: each weighs its questions
        avg = {k: sum(c * m[k] for c, m in parts) / n for k in ("hit", "abstained", "wrong")}
        pooled = ""
        if "score" in parts[0][1]:
            scores = np.concatenate([m["score"] for _, m in parts])
            pooled = f"; pooled out-of-fold AUC {auc(scores, [r for _, m in parts for r in m['rows']]):.3f}"
        print(f"Lee dev by article, {method:10}: {cell(avg)}{pooled}")


def write_model(data, names, balance: bool, l2: float, train_sets, label: str) -> None:
    train = [(s, r) for s in train_sets for r in data[s]]
    rows = [r for _, r in train]
    w = weights(rows, [s for s, _ in train], balance)
    y = np.array([r[label] for r in rows], dtype=float)
    x = matrix(rows, names)
    model = fit_logistic(x, y, w, l2)
    answerable = np.array([r["answerable"] for r in rows], dtype=float)
    threshold = choose_threshold(predict(model, x), answerable, w, CRITERION[0])
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    out = {
        "features": list(names),
        "mean": [round(float(v), 6) for v in model["mean"]],
        "scale": [round(float(v), 6) for v in model["scale"]],
        "coef": [round(float(v), 6) for v in model["coef"]],
        "intercept": round(float(model["intercept"]), 6),
        "threshold": round(threshold, 6),
    }
    sizes = ", ".join(f"{s} {len(data[s])}" for s in train_sets)
    text = (
        '"""The calibrated abstention model (qa.abstention): written by tools/fit_abstention.py --write.\n\n'
        f"Fitted on {date.today()} at commit {commit.stdout.strip()} on the `qa eval --json` dumps of: {sizes}\n"
        f"questions (label: {label}; set weights balanced: {balance}; L2 {l2}); threshold: {CRITERION[0]} on\n"
        'the same questions. Refit after any change to the answerer\'s scores.\n"""\n\n'
        + "MODEL = {\n"
        + "".join(f"    {json.dumps(k)}: {json.dumps(v)},\n" for k, v in out.items())
        + "}\n"
    )
    (ROOT / "qa/abstention_model.py").write_text(text)
    print("wrote qa/abstention_model.py:", json.dumps(out))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dumps", type=Path)
    parser.add_argument("--features", default=",".join(SHIPPED), help="comma-separated subset of FEATURES")
    parser.add_argument("--unbalanced", action="store_true", help="every question weighs the same")
    parser.add_argument("--train-sets", default=",".join(SETS), help="sets the model is fitted on (all are tested)")
    parser.add_argument("--label", choices=("hit", "answerable"), default="hit", help="what the model predicts")
    parser.add_argument("--criterion", choices=("balanced", "wrong5"), default="wrong5", help="threshold choice")
    parser.add_argument("--l2", type=float, default=L2, help="ridge penalty on standardised coefficients")
    parser.add_argument("--write", action="store_true", help="fit on all sets and write qa/abstention_model.py")
    args = parser.parse_args()
    names = tuple(args.features.split(","))
    data = load(args.dumps)
    train_sets = tuple(args.train_sets.split(","))
    CRITERION[0] = args.criterion
    cross_validate(data, names, not args.unbalanced, args.l2, train_sets, args.label)
    if args.write:
        write_model(data, names, not args.unbalanced, args.l2, train_sets, args.label)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
