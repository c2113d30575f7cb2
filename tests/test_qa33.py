"""Findings of QA round 53 (session 33): each test fails on the code before its fix."""

from __future__ import annotations

import numpy as np


def test_a_constant_prediction_is_described_as_one_value_not_as_a_correlation():
    from dvclean.diagnostics import target_predictability
    from dvclean.pipeline import measured_target_predictions

    y = np.r_[np.zeros(90), np.arange(1, 11) * 100.0]
    q = target_predictability(np.zeros(100), y)
    assert q["constant_prediction"] is True
    text = measured_target_predictions(q)
    assert "one value for every row" in text and "correlate" not in text  # (was: "correlate 0.000 ... p = 1")
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    moving = target_predictability(x + 0.5 * rng.normal(size=300), x)
    assert moving["constant_prediction"] is False and "correlate" in measured_target_predictions(moving)
