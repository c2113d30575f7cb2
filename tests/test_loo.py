"""Leave-one-out: equals a direct loop of refits, cross-fitted, independent of n_jobs."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from sklearn.linear_model import LogisticRegression
from typer.testing import CliRunner

import dvclean
from dvclean.cli import app
from dvclean.config import CrossFitConfig, LOOConfig, ScoreConfig, TMCConfig
from dvclean.errors import ConfigError
from dvclean.table import ValuationData
from dvclean.valuation._crossfit import fold_seeds, stratified_folds
from dvclean.valuation.loo import LeaveOneOut, leave_one_out


def small_data(n: int = 24, seed: int = 0, valid: bool = True) -> ValuationData:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.normal(size=(n, 2)) + y[:, None] * 1.2
    y[:3] = 1 - y[:3]  # a few wrong labels
    if not valid:
        return ValuationData(x=x, y=y, rows=np.arange(n), classes=np.array(["a", "b"]))
    yv = np.array([0, 1] * 20)
    xv = rng.normal(size=(40, 2)) + yv[:, None] * 1.2
    return ValuationData(x=x, y=y, rows=np.arange(n), classes=np.array(["a", "b"]), x_valid=xv, y_valid=yv)


def direct_loo(x, y, xv, yv, seed):
    """The definition, written out: refit without each row and compare validation accuracy."""
    def acc(idx):
        m = LogisticRegression(max_iter=1000, random_state=seed).fit(x[idx], y[idx])
        return float(np.mean(m.predict(xv) == yv))

    everyone = np.arange(x.shape[0])
    full = acc(everyone)
    return np.array([full - acc(np.delete(everyone, i)) for i in everyone])


def test_loo_equals_a_direct_loop_with_a_validation_set():
    d = small_data()
    res = LeaveOneOut(LOOConfig(batch_size=5), TMCConfig(), CrossFitConfig(n_jobs=1)).value(d, seed=4)
    fseed = fold_seeds(4, 1)[0]
    truth = direct_loo(d.x, d.y, d.x_valid, d.y_valid, fseed)
    assert np.abs(truth).sum() > 0  # a non-trivial check
    np.testing.assert_allclose(res.values, truth, atol=1e-12, rtol=0)
    assert res.status == "exact" and res.stderr is None
    assert res.diagnostics["model_fits"] == d.n_players + 1


def test_cross_fitted_loo_equals_the_loop_per_fold_and_n_jobs_does_not_matter():
    d = small_data(30, valid=False)
    serial = LeaveOneOut(LOOConfig(batch_size=4), TMCConfig(), CrossFitConfig(n_folds=3, n_jobs=1)).value(d, seed=2)
    folds = stratified_folds(d.y, 3, 2)
    seeds = fold_seeds(2, 3)
    sums = np.zeros(d.n_players)
    for f in range(3):
        p = np.flatnonzero(folds != f)
        v = folds == f
        sums[p] += direct_loo(d.x[p], d.y[p], d.x[v], d.y[v], seeds[f])
    np.testing.assert_allclose(serial.values, sums / 2, atol=1e-12, rtol=0)
    assert serial.stderr is not None and serial.stderr.shape == (d.n_players,)
    parallel = LeaveOneOut(LOOConfig(batch_size=7), TMCConfig(), CrossFitConfig(n_folds=3, n_jobs=2)).value(d, seed=2)
    assert np.array_equal(serial.values, parallel.values)


def test_plain_callable_utility():
    w = np.array([0.5, 1.0, 2.0, 4.0])
    vals, full, counters = leave_one_out(lambda idx: float(np.sqrt(w[idx].sum())), 4, batch_size=3)
    assert full == pytest.approx(np.sqrt(7.5))
    np.testing.assert_allclose(vals, [np.sqrt(7.5) - np.sqrt(7.5 - wi) for wi in w], atol=1e-12)
    assert counters["utility_calls"] == 5


def test_bad_loo_setting_fails_at_config_time():
    with pytest.raises(ConfigError, match="'batch_size' parameter of LOOConfig"):
        LOOConfig(batch_size=0)


def test_loo_through_score_and_cli(tmp_path):
    rng = np.random.default_rng(0)
    n = 40
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 2)) + y[:, None]
    df = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "label": y})
    r = dvclean.score(df, label="label", config=ScoreConfig(methods=("loo",), crossfit=CrossFitConfig(n_folds=2, n_jobs=1)))
    assert np.isfinite(r.results["loo"].values).all() and r.results["loo"].status == "exact"
    res = CliRunner().invoke(app, ["methods", "--json"])
    by_name = {m["name"]: m for m in json.loads(res.stdout)["methods"]}
    assert "N + 1 model fits" in by_name["loo"]["cost"]
