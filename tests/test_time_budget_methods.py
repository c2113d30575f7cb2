"""``--time-budget`` (TMCConfig.time_budget) stops ``beta`` and ``banzhaf`` as it stops ``tmc``.

* one deadline for all cross-fitting folds together; a fold keeps the samples it finished, at least 2,
  so the values are the mean over those and the standard errors exist; ``status`` is ``budget_exhausted``
  and the diagnostics give each fold's sample count and stop;
* without a budget the values are bit-identical to those before the budget existed (pinned below);
* the same samples give the same values whatever ``n_jobs``;
* the CLI accepts ``--time-budget`` with ``beta`` and ``banzhaf`` and reports the stop;
* TMC's progress bar ends at its total when the folds stop early (converged).

The clock is faked (``dvclean.valuation.loo.now``) wherever the run is in-process, so the tests do not
depend on the machine's speed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import dvclean
from dvclean.cli import app
from dvclean.config import BanzhafConfig, BetaConfig, CrossFitConfig, ScoreConfig, TMCConfig
from dvclean.table import ValuationData
from dvclean.valuation import loo
from dvclean.valuation.banzhaf import DataBanzhaf, msr_banzhaf
from dvclean.valuation.beta import BetaShapley, beta_shapley
from dvclean.valuation.tmc import Game, tmc_shapley

from .test_beta import tiny_data

W = np.array([1, 1, 2, 2, 3, 3, 4, 5, 6, 0], dtype=float)


def vote(idx: np.ndarray) -> float:
    """A weighted voting game with a low quota (small coalitions matter)."""
    return float(W[idx].sum() >= 7.0)


class Clock:
    """A fake ``loo.now``: the first reading (the deadline's start) is 0, each later one ``step`` more."""

    def __init__(self, step: float) -> None:
        self.t = 0.0
        self.step = step

    def __call__(self) -> float:
        t = self.t
        self.t += self.step
        return t


@pytest.fixture
def expired_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every reading after the deadline's start is past any budget below 1e6 s."""
    monkeypatch.setattr(loo, "now", Clock(1e6))


def frame(n: int = 60, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 3)) + y[:, None]
    return pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "label": y})


def scored(method: str, *, samples: int, batch_size: int, budget: float | None, n_jobs: int = 1, folds: int = 3,
           df: pl.DataFrame | None = None):
    sc = ScoreConfig(
        methods=(method,), tmc=TMCConfig(time_budget=budget),
        beta=BetaConfig(samples=samples, batch_size=batch_size),
        banzhaf=BanzhafConfig(samples=samples, batch_size=batch_size),
        crossfit=CrossFitConfig(n_folds=folds, n_jobs=n_jobs),
    )
    return dvclean.score(frame() if df is None else df, label="label", config=sc).results[method]


def one_game(n: int = 8, seed: int = 0) -> ValuationData:
    """Players and a separate validation set: one game, no cross-fitting (test_beta's tiny game, 8 players)."""
    return tiny_data(n, seed)


COUNT = {"beta": "permutations", "banzhaf": "samples"}


# ------------------------------------------------------------------ without a budget: the values of before


def test_estimators_without_a_budget_give_the_pinned_values():
    """Recorded with dvclean before the time budget existed; exact (a toy game: no model fit)."""
    from dvclean.valuation.beta import _beta_chunk, _beta_job, beta_weights

    # the permutations and their marginals: the plain reweighted mean is the value recorded then
    job = _beta_job(vote, 10, 9, 3, 16.0, 1.0, 1e-6, 0.0)
    loo.sample_rounds(_beta_chunk, [job], run=None, batch_size=4, deadline=None)
    positions = np.concatenate([p for p, _ in job.payloads])
    marginals = np.concatenate([m for _, m in job.payloads])
    x = 10 * beta_weights(10, 16.0, 1.0)[positions] * marginals
    assert x.mean(axis=0).tolist() == [0.0, 0.0, 0.0, 0.2666666666666664, 0.0, 0.187615283267457, 0.02951251646903818,
                                       0.1855072463768114, 0.29617918313570457, 0.0]
    # under 20 permutations the estimate is that plain mean (no control variate: session 43)
    est = beta_shapley(vote, 10, samples=9, seed=3, batch_size=4)
    assert est.values.tolist() == x.mean(axis=0).tolist()
    # (session 45: each row's error at least the root mean square of the rows' under 20 orderings; rows 0-2 were 0 +- 0
    # while their exact values are not 0)
    assert est.stderr.tolist() == [0.13115437443020966, 0.13115437443020966, 0.13115437443020966, 0.26666666666666633,
                                   0.13115437443020966, 0.13115437443020966, 0.13115437443020966, 0.13115437443020966,
                                   0.26460271850740746, 0.13115437443020966]
    assert est.diagnostics["stop"] == "samples" and est.n_permutations == 9
    est = msr_banzhaf(vote, 10, samples=30, seed=3, batch_size=7)
    assert est.values.tolist() == [0.09090909090909091, 0.07142857142857142, -0.08333333333333334,
                                   0.045454545454545456, 0.07142857142857142, 0.05, 0.07692307692307693, 0.0625,
                                   0.09090909090909091, 0.07142857142857142]
    assert est.diagnostics["stop"] == "samples" and est.n_samples == 30


@pytest.mark.parametrize(("method", "samples", "batch_size", "value_sum", "stderr_sum", "head"), [
    ("beta", 5, 2, 0.9222015906161158, 5.759075228417532,
     [0.08692037201087686, 0.08574804650276242, -1.1686922683356077e-07, -0.33316712155319705, -0.024093998242807484]),
    ("banzhaf", 12, 5, 0.28156385281385293, 1.770890882378096,
     [-0.0006944444444444333, 0.005089285714285741, -0.026190476190476195, 0.002777777777777799, -0.028333333333333332]),
])
def test_valuers_without_a_budget_give_the_pinned_values(method, samples, batch_size, value_sum, stderr_sum, head):
    """A fixed-seed cross-fitted run (3 folds, logistic regression), recorded with the code before the time budget
    existed (with the current, name-independent row order of :func:`dvclean.pipeline.canonical_order`), re-recorded
    when the stratified folds began to take the classes in the order of their first row (session 18); the standard
    errors re-recorded when the cross-fitted ones stopped counting the sampling error twice (session 35: 4.248 ->
    3.297, 2.077 -> 1.771), and beta's values when a subset without every validation class stopped being fitted
    or scored as "always its one class" (session 35, the paper's convention: the first row 0.147 -> 0.087). (Beta's
    control variate, session 43, starts at 20 permutations: these 5 keep the plain mean.)"""
    res = scored(method, samples=samples, batch_size=batch_size, budget=None)
    assert res.status == "approximate" and res.params["time_budget"] is None
    assert res.diagnostics["stop"] == ["samples"] * 3 and res.diagnostics[COUNT[method]] == [samples] * 3
    np.testing.assert_allclose(res.values[:5], head, rtol=1e-12, atol=1e-15)
    assert float(res.values.sum()) == pytest.approx(value_sum, rel=1e-12)
    assert float(res.stderr.sum()) == pytest.approx(stderr_sum, rel=1e-12)
    # a budget that never runs out changes nothing (the folds then run in rounds, together)
    roomy = scored(method, samples=samples, batch_size=batch_size, budget=1e6)
    assert roomy.status == "approximate" and roomy.diagnostics["stop"] == ["samples"] * 3
    assert np.array_equal(roomy.values, res.values) and np.array_equal(roomy.stderr, res.stderr)


# ------------------------------------------------------------------ with a budget


@pytest.mark.parametrize("method", ["beta", "banzhaf"])
@pytest.mark.parametrize("batch_size", [1, 4])
def test_a_spent_budget_stops_every_fold_after_two_samples(expired_at_once, method, batch_size):
    res = scored(method, samples=20, batch_size=batch_size, budget=5.0)
    assert res.status == "budget_exhausted"
    assert res.diagnostics["stop"] == ["time_budget"] * 3
    assert res.diagnostics[COUNT[method]] == [2, 2, 2]  # the minimum, even one sample per task
    assert res.params["time_budget"] == 5.0
    assert np.isfinite(res.values).all() and res.stderr is not None and np.isfinite(res.stderr).all()
    assert (res.stderr > 0).any()
    # the values are those of the 2 samples done: a run asked for exactly 2 gives the same
    two = scored(method, samples=2, batch_size=batch_size, budget=None)
    assert two.status == "approximate"
    assert np.array_equal(res.values, two.values) and np.array_equal(res.stderr, two.stderr)


@pytest.mark.parametrize("method", ["beta", "banzhaf"])
def test_a_fold_keeps_the_samples_finished_before_the_deadline(monkeypatch, method):
    """The clock runs out mid-task: the fold keeps samples 0..t-1, and a run asked for t gives the same values."""
    d = one_game()
    monkeypatch.setattr(loo, "now", Clock(1.0))  # one second per reading: a budget of 40 readings
    if method == "beta":
        valuer = BetaShapley(BetaConfig(samples=50, batch_size=3), TMCConfig(time_budget=40.0), CrossFitConfig(n_jobs=1))
    else:
        valuer = DataBanzhaf(BanzhafConfig(samples=200, batch_size=7), TMCConfig(time_budget=40.0),
                             CrossFitConfig(n_jobs=1))
    progress: list[tuple[str, int, int]] = []
    res = valuer.value(d, seed=1, progress=lambda *a: progress.append(a))
    t = res.diagnostics[COUNT[method]][0]
    assert res.status == "budget_exhausted" and res.diagnostics["stop"] == ["time_budget"]
    assert 2 < t < valuer.config.samples
    assert progress[-1][1] == progress[-1][2] == valuer.config.samples  # the bar ends full
    monkeypatch.undo()
    if method == "beta":
        again = BetaShapley(BetaConfig(samples=t, batch_size=3), TMCConfig(), CrossFitConfig(n_jobs=1)).value(d, seed=1)
    else:
        again = DataBanzhaf(BanzhafConfig(samples=t, batch_size=7), TMCConfig(), CrossFitConfig(n_jobs=1)).value(d, seed=1)
    assert again.status == "approximate"
    assert np.array_equal(res.values, again.values) and np.array_equal(res.stderr, again.stderr)


def test_the_estimators_take_a_time_budget(expired_at_once):
    est = beta_shapley(vote, 10, samples=40, seed=3, batch_size=4, time_budget=1.0)
    assert est.n_permutations == 2 and est.diagnostics["stop"] == "time_budget"
    assert np.array_equal(est.values, beta_shapley(vote, 10, samples=2, seed=3).values)
    est = msr_banzhaf(vote, 10, samples=40, seed=3, batch_size=4, time_budget=1.0)
    assert est.n_samples == 2 and est.diagnostics["stop"] == "time_budget"
    assert np.array_equal(est.values, msr_banzhaf(vote, 10, samples=2, seed=3).values)


def test_a_spent_budget_gives_the_same_values_whatever_n_jobs():
    """Real clock, a budget spent before the first sample: on joblib workers too each fold keeps samples 0 and 1."""
    serial = scored("beta", samples=12, batch_size=1, budget=1e-9, folds=2)
    workers = scored("beta", samples=12, batch_size=1, budget=1e-9, folds=2, n_jobs=2)
    for res in (serial, workers):
        assert res.status == "budget_exhausted" and res.diagnostics["permutations"] == [2, 2]
    assert np.array_equal(serial.values, workers.values) and np.array_equal(serial.stderr, workers.stderr)


# ------------------------------------------------------------------ the command line


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    path = tmp_path / "d.csv"
    frame(40, seed=2).write_csv(path)
    return path


@pytest.mark.parametrize("method", ["beta", "banzhaf"])
def test_cli_accepts_a_time_budget_and_reports_the_stop(expired_at_once, csv, method):
    runner = CliRunner()
    args = ["score", str(csv), "-y", "label", "-m", method, "--time-budget", "5", "--samples", "30", "--folds", "2",
            "--n-jobs", "1", "--mislabel-rule", "knn", "-o", str(csv.with_name("o.parquet"))]
    res = runner.invoke(app, [*args, "--json"], env={"COLUMNS": "400"})
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)["methods"][method]
    assert doc["status"] == "budget_exhausted" and doc["params"]["time_budget"] == 5.0
    assert doc["diagnostics"]["stop"] == ["time_budget", "time_budget"]
    assert doc["diagnostics"][COUNT[method]] == [2, 2]
    human = runner.invoke(app, args, env={"COLUMNS": "400"})
    assert human.exit_code == 0, human.output
    assert f"method {method} (budget_exhausted;" in " ".join(human.stdout.split())


# ------------------------------------------------------------------ TMC's progress bar


def test_tmc_progress_ends_at_its_total_when_the_folds_converge():
    w = np.arange(1.0, 13.0)

    def additive(idx: np.ndarray) -> float:
        return float(w[idx].sum())

    calls: list[tuple[str, int, int]] = []
    cfg = TMCConfig(tolerance=0.0, convergence=0.05, convergence_window=2, max_permutations=500)
    ests = tmc_shapley([Game(additive, 12, seed=0), Game(additive, 12, seed=1)], cfg,
                       progress=lambda *a: calls.append(a))
    assert [e.stop for e in ests] == ["convergence", "convergence"]
    assert all(e.n_permutations < 10 for e in ests)  # far below the 500 the bar counts against
    assert calls[-1] == ("tmc permutations", 1000, 1000)
    assert all(done <= total for _, done, total in calls)


def test_tmc_reads_the_same_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """TMC's deadline is ``loo``'s: with a clock that is past any budget after its first reading, each
    game still finishes the permutations it must (at least one) and stops on ``time_budget``."""
    monkeypatch.setattr(loo, "now", Clock(1e6))
    games = [Game(vote, len(W), seed=s) for s in (0, 1)]
    ests = tmc_shapley(games, TMCConfig(tolerance=0.0, time_budget=5.0, max_permutations=500))
    for est in ests:
        assert est.stop == "time_budget"
        assert 1 <= est.n_permutations < 500
        assert np.isclose(est.values.sum(), vote(np.arange(len(W))) - vote(np.zeros(0, dtype=np.int64)))
    monkeypatch.setattr(loo, "now", Clock(0.0))  # a clock that never moves: the cap stops it
    est = tmc_shapley([Game(vote, len(W), seed=0)], TMCConfig(tolerance=0.0, time_budget=5.0, max_permutations=7))[0]
    assert (est.stop, est.n_permutations) == ("max_permutations", 7)


def test_progress_moves_within_a_fold_without_a_budget() -> None:
    """Without a deadline the samples run in rounds of ``ROUND_TASKS`` tasks per worker, not one round per
    fold, so the bar starts at 0 at once and moves several times inside each fold; the values are those of
    one round per fold (pinned elsewhere: bit-identical to the code before the budget existed)."""
    seen: list[tuple[int, int]] = []
    progress = lambda step, done, total: seen.append((done, total)) if step == "beta permutations" else None  # noqa: E731
    samples, folds = 5 * loo.ROUND_TASKS, 2
    sc = ScoreConfig(
        methods=("beta",), beta=BetaConfig(samples=samples, batch_size=1),
        crossfit=CrossFitConfig(n_folds=folds, n_jobs=1),
    )
    dvclean.score(frame(), label="label", config=sc, progress=progress)
    total = samples * folds
    assert seen[0] == (0, total) and seen[-1] == (total, total)
    done = [d for d, _ in seen]
    assert done == sorted(done)
    assert len(set(done)) - 1 == total // loo.ROUND_TASKS  # one update per round of 8 samples
