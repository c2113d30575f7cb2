"""Session 45 (valuation maths): R² on validation targets of one value, Beta Shapley's standard errors at a few
permutations, notes on too few samples, and the status of an enumerated TMC game."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import dvclean
from dvclean.cli import app
from dvclean.config import BanzhafConfig, BetaConfig, CrossFitConfig, ScoreConfig, TMCConfig
from dvclean.errors import ConfigError
from dvclean.table import ValuationData
from dvclean.valuation.beta import beta_shapley, beta_weights, exact_semivalue
from dvclean.valuation.tmc import Game, TMCShapley, exact_shapley, tmc_shapley

# -- 1. R² on validation targets that are one value ------------------------------------------------------------------


def zero_inflated(n: int = 30) -> pl.DataFrame:
    """The QA's zi30.csv: 26 claims of 0 and 4 others. With 5 target-stratified folds, one fold's validation rows
    are all zeros (4 rows cannot spread over 5 folds), whose standardised copies differ by an ulp."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=n), rng.normal(size=n)
    claim = np.zeros(n)
    claim[:4] = [120.5, 80.25, 300.75, 55.5]
    return pl.DataFrame({"a": a, "b": b, "claim": claim})


def test_r2_refuses_targets_an_ulp_apart_instead_of_dividing_by_rounding_noise():
    from dvclean.valuation._models import flat_targets, regression_score

    y = np.full(6, -0.31511276)
    y[1] = np.nextafter(y[1], 0.0)  # (ss_tot ~1e-33: R² was about -1e31)
    assert flat_targets(y) and flat_targets(np.array([2.5]))
    assert not flat_targets(np.array([0.0, 0.0, 0.01]))
    with pytest.raises(ValueError, match="undefined"):
        regression_score("r2", y, np.zeros(6))
    # a fold's stand-in denominator: R² = 1 - SS_res / (rows x the whole target's variance of 1)
    assert regression_score("r2", y, y + 0.5, ss_tot=6.0) == pytest.approx(1 - 6 * 0.25 / 6.0)


@pytest.mark.parametrize("method, config", [
    ("loo", {}),
    ("tmc", {"tmc": TMCConfig(max_permutations=20)}),
    ("banzhaf", {"banzhaf": BanzhafConfig(samples=30)}),
])
def test_a_cross_fitting_fold_of_zero_claims_gives_finite_values_and_a_note(method, config):
    res = dvclean.score(zero_inflated(), label="claim", config=ScoreConfig(
        methods=(method,), task="regression", crossfit=CrossFitConfig(n_jobs=1), **config))
    r = res.results[method]
    assert np.isfinite(r.values).all() and np.abs(r.values).max() < 10  # (was -2.2e31 for row 2 under loo)
    assert all(abs(s) < 10 for s in r.diagnostics["full_scores"])  # (the zero fold's U(all) was -9.5e31)
    assert r.diagnostics["flat_validation_folds"] == [4]
    note = next(n for n in res.summary["notes"] if n.startswith(f"{method}: the validation rows"))
    assert "fold 5 (of 5)" in note and "R² is undefined" in note and "--metric neg_mse" in note


def test_neg_mse_is_unchanged_and_gets_no_flat_fold_note():
    res = dvclean.score(zero_inflated(), label="claim", config=ScoreConfig(
        methods=("loo",), task="regression", crossfit=CrossFitConfig(n_jobs=1), tmc=TMCConfig(metric="neg_mse")))
    assert "flat_validation_folds" not in res.results["loo"].diagnostics
    assert not any("R² is undefined" in n for n in res.summary["notes"])


@pytest.mark.parametrize("rows, says", [(6, "has 6 rows whose targets are all 0"), (1, "has a single row")])
def test_a_valid_file_of_one_target_value_is_refused_under_r2(tmp_path, rows, says):
    rng = np.random.default_rng(1)
    valid = pl.DataFrame({"a": rng.normal(size=rows), "b": rng.normal(size=rows), "claim": np.zeros(rows)})
    train = tmp_path / "zi30.csv"
    zero_inflated().write_csv(train)
    valid.write_csv(tmp_path / "valid.csv")
    with pytest.raises(ConfigError, match=f"{says}: R² is undefined there.*use --metric neg_mse"):
        dvclean.score(train, label="claim", valid=tmp_path / "valid.csv",
                      config=ScoreConfig(methods=("loo",), task="regression", crossfit=CrossFitConfig(n_jobs=1)))
    out = CliRunner().invoke(app, ["score", str(train), "--label", "claim", "--task", "regression", "-m", "tmc",
                                   "--max-permutations", "20", "--valid", str(tmp_path / "valid.csv"),
                                   "-o", str(tmp_path / "o.csv")])
    assert out.exit_code == 2 and "Traceback" not in out.output and "use --metric neg_mse" in out.output
    # neg_mse needs no spread: the same file is valued (the one-row file too)
    ok = dvclean.score(train, label="claim", valid=tmp_path / "valid.csv", config=ScoreConfig(
        methods=("loo",), task="regression", crossfit=CrossFitConfig(n_jobs=1), tmc=TMCConfig(metric="neg_mse")))
    assert np.isfinite(ok.results["loo"].values).all() and np.ptp(ok.results["loo"].values) > 0


# -- 2. Beta Shapley's standard errors at a few permutations ---------------------------------------------------------


class Voting:
    """A 10-player weighted voting game (quota 12): Beta(16, 1) values known by enumeration."""

    weights = np.array([5, 4, 3, 3, 2, 2, 1, 1, 1, 1.0])

    def __call__(self, idx: np.ndarray, model: object = None) -> float:
        return float(self.weights[np.asarray(idx, dtype=np.int64)].sum() >= 12)


def test_beta_standard_errors_at_a_few_permutations_cover_the_exact_values():
    game, n = Voting(), 10
    exact = exact_semivalue(game, n, beta_weights(n, 16.0, 1.0))
    held, zero_but_not_exact = [], []
    for seed in range(40):
        est = beta_shapley(game, n, samples=5, seed=100 + seed)
        held.append(np.abs(est.values - exact) <= 1.96 * est.stderr)
        zero_but_not_exact.append((est.stderr == 0) & (exact != 0))
    # measured: 28% of rows before the floor (0 ± 0 for rows that missed the weighted positions), 92% with it
    assert np.mean(held) > 0.8
    assert not np.any(zero_but_not_exact)


def test_beta_standard_errors_from_20_permutations_are_the_control_variates_own():
    game, n = Voting(), 10
    est = beta_shapley(game, n, samples=20, seed=3)
    assert est.diagnostics["control_variate"] != 0.0 and np.min(est.stderr) < np.sqrt(np.mean(est.stderr**2))


def two_classes(n: int = 24) -> pl.DataFrame:
    rng = np.random.default_rng(2)
    y = np.arange(n) % 2
    return pl.DataFrame({"a": rng.normal(size=n) + 1.5 * y, "b": rng.normal(size=n), "y": y})


@pytest.mark.parametrize("method, config, says", [
    ("beta", {"beta": BetaConfig(samples=4)}, "beta: --samples 4 left 4 sampled orderings per fold (the default is 200)"),
    ("banzhaf", {"banzhaf": BanzhafConfig(samples=5)},
     "banzhaf: --samples 5 left 5 sampled subsets per fold (the default is 1000)"),
    ("tmc", {"tmc": TMCConfig(max_permutations=3)},
     "tmc: --max-permutations 3 left 3 permutations per fold (the default is 500)"),
])
def test_too_few_samples_get_a_note_that_says_how_many_and_the_default(method, config, says):
    res = dvclean.score(two_classes(), label="y", config=ScoreConfig(
        methods=(method,), crossfit=CrossFitConfig(n_jobs=1), **config))
    note = next(n for n in res.summary["notes"] if n.startswith(says))
    assert "too few" in note and "to be trusted" in note


def test_enough_samples_get_no_note():
    res = dvclean.score(two_classes(), label="y", config=ScoreConfig(
        methods=("beta",), crossfit=CrossFitConfig(n_jobs=1), beta=BetaConfig(samples=12)))
    assert not any("too few" in n for n in res.summary["notes"])


# -- 3. TMC's status when every ordering is enumerated ---------------------------------------------------------------


class Saturating:
    """A game one player nearly saturates: truncation (tolerance 0.1) fires in every ordering that starts with it."""

    def __init__(self, weights: np.ndarray) -> None:
        self.weights = weights

    def __call__(self, idx: np.ndarray, model: object = None) -> float:
        return float(np.sqrt(self.weights[np.asarray(idx, dtype=np.int64)].sum()))


def test_an_enumeration_is_not_truncated_so_it_is_the_exact_shapley_value():
    game = Saturating(np.array([0.9, 0.02, 0.02, 0.02, 0.02, 0.01, 0.01]))
    exact = exact_shapley(game, 7)
    est = tmc_shapley([Game(game, 7, seed=0)], TMCConfig(tolerance=0.1, max_permutations=5040))[0]
    assert est.stop == "all_permutations" and est.n_permutations == 5040
    # (truncating the 720 orderings that start with row 0 left the small rows short by up to 2.4e-4, stderr 0)
    np.testing.assert_allclose(est.values, exact, atol=1e-12)
    assert est.values.sum() == pytest.approx(game(np.arange(7)) - game(np.zeros(0, np.int64)), abs=1e-12)
    assert np.all(est.stderr == 0) and est.diagnostics["truncated_permutations"] == 0


def test_a_sampled_game_still_truncates():
    game = Saturating(np.array([0.9, 0.02, 0.02, 0.02, 0.02, 0.01, 0.01]))
    est = tmc_shapley([Game(game, 7, seed=0)], TMCConfig(tolerance=0.1, max_permutations=200, convergence=0.0))[0]
    assert est.stop == "max_permutations" and est.diagnostics["truncated_permutations"] > 0


def test_an_enumerated_tmc_run_is_exact_at_the_default_tolerance():
    rng = np.random.default_rng(0)
    y = np.arange(5) % 2
    yv = np.array([0, 1] * 10)
    data = ValuationData(x=rng.normal(size=(5, 2)) + 1.5 * y[:, None], y=y, rows=np.arange(5),
                         classes=np.array(["a", "b"]), x_valid=rng.normal(size=(20, 2)) + 1.5 * yv[:, None],
                         y_valid=yv)
    res = TMCShapley(TMCConfig(), CrossFitConfig(n_jobs=1)).value(data)  # tolerance 0.01, 120 orderings of 500
    assert res.diagnostics["stop"] == ["all_permutations"] and res.status == "exact"  # (was "approximate")
    assert np.all(res.stderr == 0)
    # the enumeration visits every ordering once
    assert res.diagnostics["permutations"] == [len(list(itertools.permutations(range(5))))]
