"""Data Banzhaf (MSR): exact enumeration, convergence, a real model, reproducibility."""

from __future__ import annotations

import functools

import numpy as np
import polars as pl
import pytest

import dvclean
from dvclean.config import BanzhafConfig, CrossFitConfig, ScoreConfig, TMCConfig
from dvclean.errors import ConfigError
from dvclean.table import ValuationData
from dvclean.valuation._crossfit import fold_seeds
from dvclean.valuation._models import Utility, make_model, single_thread
from dvclean.valuation.banzhaf import DataBanzhaf, exact_banzhaf, msr_banzhaf, subset_mask


def weighted_voting(weights: np.ndarray, quota: float, idx: np.ndarray) -> float:
    return float(weights[idx].sum() >= quota)


W = np.array([1, 1, 2, 2, 3, 3, 4, 5, 6, 0], dtype=float)
VOTE = functools.partial(weighted_voting, W, 14.0)


def brute_banzhaf(u, n):
    """The definition with explicit subsets (independent of exact_banzhaf's bit tricks)."""
    from itertools import combinations

    phi = np.zeros(n)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for r in range(n):
            for s in combinations(others, r):
                s = list(s)
                phi[i] += u(np.array(sorted(s + [i]), dtype=np.int64)) - u(np.array(s, dtype=np.int64))
    return phi / 2 ** (n - 1)


def test_exact_banzhaf_matches_the_definition():
    np.testing.assert_allclose(exact_banzhaf(VOTE, 10), brute_banzhaf(VOTE, 10), atol=1e-12)
    # additive game: the Banzhaf value is the weight
    np.testing.assert_allclose(exact_banzhaf(lambda idx: float(W[idx].sum()), 10), W, atol=1e-12)


def test_msr_within_tolerance_of_exact_banzhaf_on_a_toy_game():
    truth = exact_banzhaf(VOTE, 10)
    assert truth[-1] == 0.0 and truth.max() > 0.2
    # measured: max error 0.019 (1.2 standard errors)
    est = msr_banzhaf(VOTE, 10, samples=4000, seed=3, batch_size=500)
    assert est.n_samples == 4000 and (est.stderr > 0).all()
    assert np.abs(est.values - truth).max() < 0.05
    assert np.all(np.abs(est.values - truth) <= 4 * est.stderr), (est.values - truth) / est.stderr


def test_msr_converges_as_samples_grow():
    truth = exact_banzhaf(VOTE, 10)
    errors = []
    for m in (100, 1600):
        # mean over seeds of the RMSE: it should fall by about sqrt(16) = 4 (measured: 0.080 -> 0.023)
        errors.append(np.mean([np.sqrt(np.mean((msr_banzhaf(VOTE, 10, m, seed=s, batch_size=m).values - truth) ** 2))
                               for s in range(5)]))
    assert errors[1] < errors[0] / 2.5, errors
    stderrs = [msr_banzhaf(VOTE, 10, m, seed=0, batch_size=m).stderr.mean() for m in (100, 1600)]
    assert stderrs[1] == pytest.approx(stderrs[0] / 4, rel=0.2)


def tiny_data(n: int = 8, seed: int = 0) -> ValuationData:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.normal(size=(n, 2)) + y[:, None] * 1.5
    y[0] = 1 - y[0]  # one wrong label
    yv = np.array([0, 1] * 15)
    xv = rng.normal(size=(30, 2)) + yv[:, None] * 1.5
    return ValuationData(x=x, y=y, rows=np.arange(n), classes=np.array(["a", "b"]), x_valid=xv, y_valid=yv)


def test_msr_within_tolerance_of_exact_banzhaf_with_a_real_model():
    d = tiny_data(8)
    fseed = fold_seeds(1, 1)[0]
    util = Utility(functools.partial(make_model, "logreg", seed=fseed, n_classes=2), "accuracy",
                   d.x, d.y, d.x_valid, d.y_valid, 2)
    with single_thread():  # one threadpool limit for all 256 fits
        truth = exact_banzhaf(util, 8)
    assert np.abs(truth).sum() > 0.1  # a non-trivial game
    # measured: max error 0.013 (1.2 standard errors) with 600 subsets
    res = DataBanzhaf(BanzhafConfig(samples=600, batch_size=100), TMCConfig(), CrossFitConfig(n_jobs=1)).value(d, seed=1)
    assert res.status == "approximate" and res.stderr is not None
    assert np.all(np.abs(res.values - truth) <= 4 * res.stderr + 1e-12), (res.values - truth, res.stderr)
    assert np.abs(res.values - truth).max() < 0.08
    assert res.diagnostics["samples"] == [600]
    # the same subsets, scored by the same utility, outside the valuer
    with single_thread():
        direct = msr_banzhaf(util, 8, 600, fseed)
    np.testing.assert_allclose(res.values, direct.values, atol=1e-12)


def test_subsets_are_spawned_children_with_inclusion_one_half():
    kid = np.random.SeedSequence(9).spawn(4)[3]
    assert (subset_mask(9, 3, 50) == (np.random.default_rng(kid).random(50) < 0.5)).all()
    frac = np.mean([subset_mask(9, k, 200).mean() for k in range(50)])
    assert frac == pytest.approx(0.5, abs=0.02)


def test_cross_fitted_banzhaf_is_reproducible_whatever_n_jobs():
    rng = np.random.default_rng(0)
    n = 40
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 2)) + y[:, None]
    df = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "label": y})

    def run(n_jobs: int) -> np.ndarray:
        cfg = ScoreConfig(methods=("banzhaf",), banzhaf=BanzhafConfig(samples=30, batch_size=7),
                          crossfit=CrossFitConfig(n_folds=2, n_jobs=n_jobs))
        res = dvclean.score(df, label="label", config=cfg).results["banzhaf"]
        assert res.stderr is not None and np.isfinite(res.stderr).all() and np.isfinite(res.values).all()
        return res.values

    assert np.array_equal(run(1), run(2))


def test_bad_banzhaf_setting_fails_at_config_time():
    with pytest.raises(ConfigError, match="'samples' parameter of BanzhafConfig"):
        BanzhafConfig(samples=1)
