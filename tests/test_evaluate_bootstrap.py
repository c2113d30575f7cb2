"""The holdout bootstrap behind a one-split ``--evaluate`` interval (dvclean.augment.evaluate)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import f1_score, log_loss, roc_auc_score

from dvclean.augment.evaluate import (
    HOLDOUT_RESAMPLES,
    _weighted_auc,
    _weighted_macro_f1,
    holdout_ci,
    holdout_resampled_metrics,
    mean_ci,
)


def _weights(n: int, b: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).multinomial(n, np.full(n, 1.0 / n), size=b)


def test_weighted_auc_is_the_auc_of_the_resampled_rows_with_ties():
    rng = np.random.default_rng(3)
    n = 150
    y = rng.integers(0, 2, n)
    score = np.round(0.6 * y + rng.normal(0, 1, n), 1)  # many ties
    w = _weights(n, 12)
    got = _weighted_auc(y, score, w)
    for wi, g in zip(w, got, strict=True):
        rows = np.repeat(np.arange(n), wi)
        assert g == pytest.approx(roc_auc_score(y[rows], score[rows]), abs=1e-12)


def test_weighted_auc_of_a_resample_with_one_class_is_nan():
    y = np.array([0, 0, 1, 1])
    w = np.array([[2, 2, 0, 0], [1, 1, 1, 1]])
    got = _weighted_auc(y, np.array([0.1, 0.4, 0.35, 0.8]), w)
    assert math.isnan(got[0]) and got[1] == pytest.approx(0.75)


def test_weighted_macro_f1_is_sklearns_over_the_classes_each_resample_holds():
    rng = np.random.default_rng(4)
    n = 90
    y = rng.integers(0, 3, n)
    y[:2] = 3  # a rare class some resamples lack
    pred = np.where(rng.random(n) < 0.6, y, rng.integers(0, 4, n))
    w = _weights(n, 30, seed=1)
    got = _weighted_macro_f1(y, pred, w, 4)
    lacking = 0
    for wi, g in zip(w, got, strict=True):
        rows = np.repeat(np.arange(n), wi)
        lacking += 3 not in y[rows]
        want = f1_score(y[rows], pred[rows], average="macro", labels=np.unique(y[rows]), zero_division=0)
        assert g == pytest.approx(want, abs=1e-12)
    assert lacking > 0  # the rare-class case was exercised


def test_resampled_metrics_are_paired_seeded_and_match_the_definitions():
    rng = np.random.default_rng(5)
    n = 120
    y = rng.integers(0, 3, n)
    p = rng.dirichlet(np.ones(3), size=n)
    q = rng.dirichlet(np.ones(3), size=n)
    got = holdout_resampled_metrics(y, [p, q, p], 3, seed=11, resamples=50)
    assert set(got) == {"macro_f1", "log_loss"} and got["log_loss"].shape == (3, 50)
    assert np.array_equal(got["log_loss"][0], got["log_loss"][2])  # same rows for every model: paired
    again = holdout_resampled_metrics(y, [p, q, p], 3, seed=11, resamples=50)
    assert all(np.array_equal(got[k], again[k]) for k in got)
    other = holdout_resampled_metrics(y, [p], 3, seed=12, resamples=50)
    assert not np.array_equal(other["log_loss"][0], got["log_loss"][0])
    # the first resample, rebuilt from the same weights
    w = np.random.default_rng(np.random.SeedSequence([11, 0x5EED_B007])).multinomial(n, np.full(n, 1 / n), size=50)
    rows = np.repeat(np.arange(n), w[0])
    assert got["log_loss"][1, 0] == pytest.approx(log_loss(y[rows], q[rows], labels=[0, 1, 2]), rel=1e-9)
    binary = holdout_resampled_metrics(y % 2, [p[:, :2] / p[:, :2].sum(1, keepdims=True)], 2, seed=0, resamples=20)
    assert np.allclose(binary["gini"], 2 * binary["auc"] - 1)
    assert holdout_resampled_metrics(y % 2, [p[:, 1]], 2, seed=0)["auc"].shape == (1, HOLDOUT_RESAMPLES)


def test_repetitions_that_agree_no_longer_give_a_zero_width_interval():
    resampled = np.random.default_rng(0).normal(0.01, 0.02, size=(3, 400))
    assert mean_ci([0.01, 0.01, 0.01])["ci95"] == 0.0
    got = holdout_ci([0.01, 0.01, 0.01], resampled)
    sd = resampled.mean(axis=0).std(ddof=1)
    assert got["mean"] == pytest.approx(0.01) and got["ci95"] == pytest.approx(1.959963984540054 * sd)
    assert got["ci95_repetitions"] == 0.0 and got["ci95_holdout_rows"] == pytest.approx(got["ci95"])
    spread = holdout_ci([0.0, 0.01, 0.02], resampled)
    assert spread["ci95"] == pytest.approx(math.hypot(mean_ci([0.0, 0.01, 0.02])["ci95"], got["ci95"]))
    one = holdout_ci([0.01], resampled[:1])  # one repetition: the bootstrap part alone
    assert one["ci95_repetitions"] is None and one["ci95"] == pytest.approx(one["ci95_holdout_rows"]) and one["ci95"] > 0
    assert holdout_ci([0.01, 0.02], np.full((2, 5), np.nan)) == mean_ci([0.01, 0.02])


def test_the_bootstrap_spread_matches_the_spread_over_fresh_holdouts():
    """Two fixed models scored on fresh holdouts from one population: the paired bootstrap of a
    single holdout estimates the standard deviation of their AUC difference across holdouts."""
    rng = np.random.default_rng(7)
    n_hold, draws = 200, 400

    def holdout(r):
        y = (r.random(n_hold) < 0.3).astype(int)
        signal = y + r.normal(0, 1.2, n_hold)
        return y, signal, signal + r.normal(0, 0.8, n_hold)  # model B: model A plus its own error

    diffs = []
    for _ in range(draws):
        y, a, b = holdout(rng)
        diffs.append(roc_auc_score(y, a) - roc_auc_score(y, b))
    true_sd = float(np.std(diffs, ddof=1))
    boot_sds = []
    for s in range(20):
        y, a, b = holdout(rng)
        got = holdout_resampled_metrics(y, [a, b], 2, seed=s, resamples=500)["auc"]
        boot_sds.append(float(np.std(got[0] - got[1], ddof=1)))
    assert np.mean(boot_sds) == pytest.approx(true_sd, rel=0.2), (np.mean(boot_sds), true_sd)


def test_the_verdict_says_when_the_holdout_rows_make_the_interval():
    from dvclean.augment.evaluate import verdict

    def arms(t):
        return {"targeted": {"delta_auc": t}, "non_targeted": {"delta_auc": {"mean": 0.0, "ci95": 0.01}}}

    wide_holdout = {"mean": 0.001, "ci95": 0.005, "ci95_repetitions": 0.001, "ci95_holdout_rows": 0.0049}
    assert "more --repeats would not" in verdict(arms(wide_holdout), "auc", 5)
    wide_seeds = {**wide_holdout, "ci95_repetitions": 0.0049, "ci95_holdout_rows": 0.001}
    assert "--repeats" not in verdict(arms(wide_seeds), "auc", 5)
    helped = {**wide_holdout, "mean": 0.01}
    assert "--repeats" not in verdict(arms(helped), "auc", 5)  # a firm verdict needs no advice on the interval
    assert "--repeats" not in verdict(arms({"mean": 0.001, "ci95": 0.005}), "auc", 5, splits=3)
