"""qa.abstention: the features the decision reads, the logistic model's arithmetic, which threshold applies,
and the fit script's pieces (tools/fit_abstention.py) on synthetic data."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from qa import abstention, config
from qa.abstention import FEATURES, Model, live_threshold

ROOT = Path(__file__).resolve().parent.parent


def _fit_module():
    spec = importlib.util.spec_from_file_location("fit_abstention", ROOT / "tools" / "fit_abstention.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_model_probability_is_a_logistic_of_standardised_features():
    model = Model(("a", "b"), (1.0, 0.0), (2.0, 1.0), (1.0, -0.5), 0.25, 0.5)
    z = 0.25 + 1.0 * (3.0 - 1.0) / 2.0 - 0.5 * 4.0
    assert model.probability({"a": 3.0, "b": 4.0}) == pytest.approx(1 / (1 + math.exp(-z)))
    assert model.probability({"a": 1e9, "b": 0.0}) == pytest.approx(1.0)  # clipped, no overflow


def test_shipped_model_names_known_features_and_a_probability_threshold():
    model = abstention.MODEL
    assert set(model.names) <= set(FEATURES) and len(model.coef) == len(model.names) == len(model.mean)
    assert all(s > 0 for s in model.scale) and 0.0 < model.threshold < 1.0


def test_live_threshold_rule_model_and_never():
    assert live_threshold("rule", 0.355) == 0.355
    assert live_threshold("model", 0.355) == abstention.MODEL.threshold
    assert live_threshold("model", -math.inf) == -math.inf  # "-inf never abstains" holds for both


def test_answers_carry_every_feature_and_model_mode_reports_a_probability(fake_assistant):
    rule = fake_assistant.ask("How many Patriot missiles are allies procuring?")
    assert set(rule.features) == set(FEATURES) and rule.confidence == pytest.approx(rule.features["rule"], abs=1e-4)
    assert "features" not in rule.to_dict()
    fake_assistant.settings = config.settings(abstain="model")
    try:
        model = fake_assistant.ask("How many Patriot missiles are allies procuring?")
    finally:
        fake_assistant.settings = config.settings()
    assert 0.0 <= model.confidence <= 1.0
    assert model.abstained == (model.confidence < abstention.MODEL.threshold)
    assert model.confidence == pytest.approx(abstention.MODEL.probability(model.features), abs=1e-4)


def test_abstain_setting_is_checked():
    from qa.errors import QAError

    assert config.settings(abstain="model").abstain == "model"
    with pytest.raises(QAError):
        config.settings(abstain="sometimes")


def test_fit_recovers_the_informative_feature_and_a_separating_threshold():
    fit = _fit_module()
    rng = np.random.default_rng(0)
    y = np.repeat([1.0, 0.0], 200)
    x = np.column_stack([y * 2 + rng.normal(size=400), rng.normal(size=400)])  # feature 0 informs, 1 is noise
    model = fit.fit_logistic(x, y, np.ones(400))
    assert model["coef"][0] > 1.0 and abs(model["coef"][1]) < 0.3
    p = fit.predict(model, x)
    answered = p >= fit.choose_threshold(p, y, np.ones(400), "balanced")
    assert answered[y == 1].mean() > 0.75 and (~answered[y == 0]).mean() > 0.75
    answered = p >= fit.choose_threshold(p, y, np.ones(400), "wrong5")  # refuses at most 5% of the answerable
    assert 0.95 <= answered[y == 1].mean() < 0.97 and (~answered[y == 0]).mean() > 0.3
    assert fit.auc(p, [{"answerable": bool(v)} for v in y]) > 0.8


def test_set_weights_balance_sets_of_different_sizes():
    fit = _fit_module()
    w = fit.weights([{}] * 4, ["squad", "squad", "squad", "news"], balance=True)
    assert w[:3].sum() == pytest.approx(w[3])
    assert list(fit.weights([{}] * 2, ["a", "b"], balance=False)) == [1.0, 1.0]
