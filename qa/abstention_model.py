"""The calibrated abstention model (qa.abstention): written by tools/fit_abstention.py --write.

Fitted on 2026-12-02 at commit 3dbc0a8 on the `qa eval --json` dumps of: news 53, dev 12, lee_dev 97, squad 626
questions (label: hit; set weights balanced: True; L2 1.0); threshold: wrong5 on
the same questions. Refit after any change to the answerer's scores.
"""

MODEL = {
    "features": ["rule", "dense", "lex", "fit", "absent", "missing", "margin", "article_recall"],
    "mean": [0.546962, 0.57702, 0.585236, 0.670788, 0.082739, 0.065842, 0.152804, 0.651263],
    "scale": [0.279412, 0.162396, 0.305978, 0.306519, 0.261041, 0.252791, 0.123349, 0.310669],
    "coef": [0.293624, 0.522406, -0.596879, 1.046838, -0.556985, -0.687564, -0.091835, 1.078679],
    "intercept": 0.515665,
    "threshold": 0.409529,
}
