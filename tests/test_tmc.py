"""TMC Data Shapley: exact on tiny games, unbiased on known games, stops, truncation, failures, real data."""

from __future__ import annotations

import functools
import json

import numpy as np
import polars as pl
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

import dvclean
from dvclean.cli import app
from dvclean.config import CrossFitConfig, ScoreConfig, TMCConfig
from dvclean.errors import ConfigError, ValuationError
from dvclean.table import ValuationData
from dvclean.valuation._models import Utility, make_model
from dvclean.valuation.tmc import Game, TMCShapley, _warm_factory, exact_shapley, permutation_seed, tmc_shapley

from .conftest import inject_label_noise, write


def tiny_data(n: int = 6, seed: int = 0) -> ValuationData:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.normal(size=(n, 2)) + y[:, None] * 1.5
    yv = np.array([0, 1] * 10)
    xv = rng.normal(size=(20, 2)) + yv[:, None] * 1.5
    return ValuationData(x=x, y=y, rows=np.arange(n), classes=np.array(["a", "b"]), x_valid=xv, y_valid=yv)


@pytest.mark.parametrize("warm_start", [True, False])
def test_enumerated_tmc_equals_exact_shapley_of_a_real_model(warm_start):
    d = tiny_data(5)
    factory = functools.partial(make_model, "logreg", seed=0, n_classes=2)
    util = Utility(factory, "accuracy", d.x, d.y, d.x_valid, d.y_valid, 2)
    truth = exact_shapley(util, 5)  # every subset fitted from scratch
    assert np.abs(truth).sum() > 0.1  # a non-trivial game
    # through the registered valuer: truncation off and max_permutations >= 5! enumerates every ordering
    res = TMCShapley(TMCConfig(tolerance=0.0, max_permutations=120), CrossFitConfig(n_jobs=1),
                     warm_start=warm_start).value(d, seed=3)
    assert res.status == "exact"
    np.testing.assert_allclose(res.values, truth, atol=1e-9, rtol=0)
    # efficiency: the values sum to U(all) - U(empty)
    assert res.values.sum() == pytest.approx(util(np.arange(5)) - util(np.array([], dtype=np.int64)), abs=1e-9)


def test_warm_start_applies_to_logistic_regression_only_and_matches_cold_fits():
    rng = np.random.default_rng(0)
    n = 60
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 4)) + y[:, None]
    yv = rng.integers(0, 2, 200)
    xv = rng.normal(size=(200, 4)) + yv[:, None]

    def util(model: str) -> Utility:
        return Utility(functools.partial(make_model, model, seed=0), "accuracy", x, y, xv, yv, 2)

    assert _warm_factory(util("logreg")) is not None
    assert _warm_factory(util("knn")) is None and _warm_factory(lambda idx: 0.0) is None
    cfg = TMCConfig(tolerance=0.0, convergence=0.0, max_permutations=4)
    warm = tmc_shapley([Game(util("logreg"), n, seed=1)], cfg, warm_start=True)[0]
    cold = tmc_shapley([Game(util("logreg"), n, seed=1)], cfg, warm_start=False)[0]
    assert warm.diagnostics["model_fits"] == cold.diagnostics["model_fits"]
    # same optimum to the solver's tolerance: a validation prediction flips only at the boundary
    assert np.abs(warm.values - cold.values).max() <= 2 / 200
    assert np.corrcoef(warm.values, cold.values)[0, 1] > 0.95


def weighted_voting(weights: np.ndarray, quota: float, idx: np.ndarray) -> float:
    return float(weights[idx].sum() >= quota)


def test_sampled_tmc_within_four_standard_errors_of_known_shapley_values():
    w = np.array([1, 1, 2, 2, 3, 3, 4, 5, 6, 0], dtype=float)
    u = functools.partial(weighted_voting, w, 14.0)
    truth = exact_shapley(u, w.size)
    assert truth.sum() == pytest.approx(1.0)
    assert truth[-1] == 0.0  # the dummy player
    est = tmc_shapley([Game(u, w.size, seed=5)], TMCConfig(tolerance=0.0, convergence=0.0, max_permutations=400))[0]
    assert est.n_permutations == 400 and est.stop == "max_permutations"
    assert (est.stderr[:-1] > 0).all()
    assert np.all(np.abs(est.values - truth) <= 4 * est.stderr + 1e-12), (est.values - truth) / np.maximum(est.stderr, 1e-12)


def test_permutation_seeds_are_spawned_children():
    kids = np.random.SeedSequence(11).spawn(5)
    for j, kid in enumerate(kids):
        assert (permutation_seed(11, j).generate_state(4) == kid.generate_state(4)).all()


def test_truncation_skips_the_tail_and_counts_evaluations():
    n = 40
    u = lambda idx: min(1.0, len(idx) / 5)  # noqa: E731 - saturates after 5 players
    full = tmc_shapley([Game(u, n, seed=0)], TMCConfig(tolerance=0.0, convergence=0.0, max_permutations=10))[0]
    trunc = tmc_shapley([Game(u, n, seed=0)], TMCConfig(tolerance=0.01, convergence=0.0, max_permutations=10))[0]
    assert full.diagnostics["utility_evaluations"] == 10 * n
    # 5 steps to saturate, then 6 within tolerance: 10 evaluations per permutation (the 5th already counts)
    assert trunc.diagnostics["utility_evaluations"] == 10 * 10
    # truncation changes nothing here: the skipped players' marginals are exactly 0
    np.testing.assert_allclose(trunc.values, full.values, atol=1e-12)


def test_convergence_stop_fires_on_a_settled_game():
    w = np.linspace(0.1, 1.0, 20)
    additive = lambda idx: float(w[idx].sum())  # noqa: E731 - every marginal is its weight: settles at once
    est = tmc_shapley([Game(additive, 20, seed=0)], TMCConfig(tolerance=0.0, convergence=0.05, convergence_window=10))[0]
    assert est.stop == "convergence"
    assert est.n_permutations == 11
    np.testing.assert_allclose(est.values, w, atol=1e-12)


def test_time_budget_stop_is_reported():
    def slow(idx: np.ndarray) -> float:
        import time

        time.sleep(0.002)
        return float(len(idx))

    est = tmc_shapley([Game(slow, 30, seed=0)], TMCConfig(tolerance=0.0, time_budget=0.3, max_permutations=10_000))[0]
    assert est.stop == "time_budget"
    assert 1 <= est.n_permutations < 10_000


class FailingOnSmall:
    """A classifier whose fit raises on fewer than 4 rows (to test failure accounting)."""

    def __init__(self) -> None:
        self.inner = LogisticRegression()

    def fit(self, x, y):
        if x.shape[0] < 4:
            raise RuntimeError("too few rows")
        self.inner.fit(x, y)
        self.classes_ = self.inner.classes_
        return self

    def predict(self, x):
        return self.inner.predict(x)


class AlwaysFailing(FailingOnSmall):
    def fit(self, x, y):
        raise RuntimeError("broken model")


def test_fit_failures_are_counted_not_hidden():
    d = tiny_data(8)
    res = TMCShapley(TMCConfig(model="tests.test_tmc.FailingOnSmall", max_permutations=20, tolerance=0.0),
                     CrossFitConfig(n_jobs=1)).value(d, seed=0)
    assert res.diagnostics["fit_failures"] > 0
    assert "too few rows" in res.diagnostics["first_failure"]
    assert np.isfinite(res.values).all()


def test_model_that_never_fits_is_a_clear_error():
    with pytest.raises(ValuationError, match="broken model"):
        TMCShapley(TMCConfig(model="tests.test_tmc.AlwaysFailing"), CrossFitConfig(n_jobs=1)).value(tiny_data(8))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tolerance": -1.0}, "'tolerance' parameter of TMCConfig"),
        ({"max_permutations": 1}, "'max_permutations'"),
        ({"metric": "mse"}, "'metric'"),
        ({"time_budget": 0}, "'time_budget'"),
        ({"model": "svm"}, "'model'"),
    ],
)
def test_bad_tmc_settings_fail_at_config_time(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        TMCConfig(**kwargs)


def test_cross_fitted_tmc_values_every_row_with_stderr():
    rng = np.random.default_rng(0)
    n = 60
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 3)) + y[:, None]
    df = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "label": y})
    cfg = ScoreConfig(methods=("tmc",), tmc=TMCConfig(max_permutations=6, batch_size=3),
                      crossfit=CrossFitConfig(n_folds=3, n_jobs=1))
    r = dvclean.score(df, label="label", config=cfg)
    res = r.results["tmc"]
    assert res.values.shape == (n,) and np.isfinite(res.values).all()
    assert res.stderr is not None and (res.stderr >= 0).all() and (res.stderr > 0).any()
    assert res.status == "budget_exhausted" and res.diagnostics["stop"] == ["max_permutations"] * 3
    assert res.diagnostics["permutations"] == [6, 6, 6]
    assert "stderr_tmc" in r.frame.columns


def test_cli_unknown_model_is_exit_2(tmp_path):
    src = write(tmp_path / "d.csv", "x,label\n" + "".join(f"{i % 7},{i % 2}\n" for i in range(30)))
    res = CliRunner().invoke(app, ["score", str(src), "--method", "tmc", "--model", "nowhere.Model", "-q"])
    assert res.exit_code == 2
    # refused when the settings are read (no package 'nowhere'), before any work
    assert "--model must be one of" in res.output and "'nowhere.Model'" in res.output
    assert not (tmp_path / "d.dvclean.parquet").exists()


def test_cli_several_methods_with_rank_correlations(tmp_path):
    rng = np.random.default_rng(1)
    lines = ["x1,x2,label"]
    for i in range(50):
        c = i % 2
        lines.append(f"{c + rng.normal():.4f},{rng.normal():.4f},{c}")
    src = write(tmp_path / "d.csv", "\n".join(lines) + "\n")
    out = tmp_path / "s.csv"
    res = CliRunner().invoke(app, [
        "score", str(src), "-y", "label", "--method", "knn,tmc,dvgs", "--max-permutations", "4", "--epochs", "3",
        "--folds", "2", "--n-jobs", "1", "--json", "-o", str(out),
    ])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert set(summary["rank_correlations"]) == {"knn~tmc", "knn~dvgs", "tmc~dvgs"}
    assert summary["methods"]["tmc"]["status"] == "budget_exhausted"
    assert "Ghorbani" in summary["method_citations"]["tmc"] and "Evans" in summary["method_citations"]["dvgs"]
    cols = pl.read_csv(out).columns
    assert {"value_knn", "value_tmc", "value_dvgs", "stderr_tmc", "stderr_dvgs"} <= set(cols)


def test_methods_lists_tmc_and_dvgs():
    res = CliRunner().invoke(app, ["methods", "--json"])
    assert res.exit_code == 0
    by_name = {m["name"]: m for m in json.loads(res.stdout)["methods"]}
    assert "Ghorbani" in by_name["tmc"]["citation"] and by_name["tmc"]["cost"]
    assert "Evans" in by_name["dvgs"]["citation"] and "numpy" in by_name["dvgs"]["needs"]


@pytest.mark.slow
def test_tmc_finds_flipped_labels_within_a_time_budget(sample_csv):
    # the acceptance: AUROC >= 0.75 within a 2-minute budget on 2 cores. 45 s of it are given (the serial part of
    # the suite waits the whole budget; it was 2 minutes, then 60 s): with the Newton solver the default settings (5 folds, tolerance 0.01,
    # warm start) measured AUROC 0.811 in a 45-s budget (36-40 permutations per fold, 2026-12-06); before it,
    # 0.822 in 2 minutes with warm start (40 permutations per fold), 0.807 without (28)
    df, _ = dvclean.read_frame(sample_csv)
    noisy, flipped = inject_label_noise(df.get_column("income").to_list(), 0.10, 0)
    cfg = ScoreConfig(methods=("tmc",), tmc=TMCConfig(time_budget=45.0), crossfit=CrossFitConfig(n_jobs=2))
    r = dvclean.score(df.with_columns(pl.Series("income", noisy)), label="income", config=cfg)
    res = r.results["tmc"]
    assert res.status == "budget_exhausted"
    auc = roc_auc_score(flipped, -r.values)
    assert auc >= 0.75, (auc, res.diagnostics)
