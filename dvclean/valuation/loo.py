"""Leave-one-out (LOO) data values: how much the validation score drops without a row.

LOO_i = U(D) - U(D \\ {i}) (the classical baseline of Koh & Liang, "Understanding
Black-box Predictions via Influence Functions", ICML 2017, and of Ghorbani & Zou,
"Data Shapley: Equitable Valuation of Data for Machine Learning", ICML 2019), where
``U`` is the validation score of ``--model``
(:class:`~dvclean.valuation._models.Utility`, scored with ``--metric``) trained from
scratch. The value is exact: no sampling, so it is the same for any seed except
through the cross-fitting folds and the model's own ``random_state``.

Complexity: N + 1 model fits per cross-fitting fold (N players), so F * (N + 1) in
all for F folds; memory O(N). The fits are independent and run on ``--n-jobs``
workers in chunks of ``LOOConfig.batch_size``; results are reduced in row order, so
values do not depend on ``n_jobs``.

This module also holds the small helpers the other retraining valuers
(:mod:`~dvclean.valuation.banzhaf`, :mod:`~dvclean.valuation.beta`) share, among them
the sampling loop with their wall-clock budget (:func:`sample_rounds`,
:func:`run_sampled`).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from ..config import CrossFitConfig, LOOConfig, TMCConfig
from ..errors import ValuationError
from ..table import ValuationData
from ._base import ValuationResult, check_data, check_settings
from ._crossfit import FoldResult, cross_fit
from ._models import Utility, make_model, utility_builder
from ._parallel import Runner, runner

__all__ = [
    "LeaveOneOut", "leave_one_out", "fold_utility", "fresh_utility", "merge_counters", "chunks", "run_cross_fitted",
    "SampleJob", "sample_rounds", "run_sampled", "sampled_status", "deadline_after", "expired", "MIN_SAMPLES",
]

ProgressFn = Callable[[str, int, int], None]
UtilityFn = Callable[[np.ndarray], float]


# -- helpers shared by the retraining valuers ------------------------------------------------------------


def fold_utility(
    xp: np.ndarray, yp: np.ndarray, xv: np.ndarray, yv: np.ndarray, fold_seed: int, model: str, metric: str,
    n_classes: int,
) -> Utility:
    """The utility of one cross-fitting fold: ``model`` seeded with the fold seed, scored by ``metric``."""
    factory = functools.partial(make_model, model, seed=fold_seed, n_classes=n_classes)
    return Utility(factory, metric, xp, yp, xv, yv, n_classes)


#: The valuers whose subsets are fitted on the classes they hold (:attr:`Utility.every_class` False).
PRESENT_CLASSES = frozenset({"loo", "banzhaf"})


def _present_classes(valuer: Any, utility: Any) -> Any:
    """``utility`` with ``every_class=False`` for the valuers of :data:`PRESENT_CLASSES`."""
    if isinstance(utility, Utility) and getattr(valuer, "name", None) in PRESENT_CLASSES:
        return replace(utility, every_class=False)
    return utility


def fresh_utility(utility: UtilityFn) -> UtilityFn:
    """A copy of a :class:`Utility` with zeroed counters (a task's own tally); other callables as they are."""
    if isinstance(utility, Utility):
        return replace(utility, n_calls=0, n_fits=0, n_degenerate=0, n_failures=0, first_failure=None, _cache={})
    return utility


def counters_of(utility: UtilityFn, calls: int) -> dict[str, Any]:
    """The utility's counters, or just the call count for a plain callable."""
    return utility.diagnostics() if isinstance(utility, Utility) else {"utility_calls": calls}


def merge_counters(total: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """Add the counters of ``more`` into ``total`` (keeps the first failure message)."""
    for k, v in more.items():
        if k == "first_failure":
            if total.get(k) is None:
                total[k] = v
        else:
            total[k] = total.get(k, 0) + v
    return total


def chunks(n: int, size: int) -> list[range]:
    """``range(0, n)`` cut into consecutive pieces of at most ``size``."""
    return [range(lo, min(n, lo + size)) for lo in range(0, n, size)]


def check_fits(utility: UtilityFn, model: str) -> None:
    """Fail clearly when the model cannot be fitted even on all players."""
    if isinstance(utility, Utility) and utility.n_failures:
        raise ValuationError(f"model {model!r} cannot be fitted on the data ({utility.first_failure}); check --model")


def _flat_mark(utility: UtilityFn) -> dict[str, bool]:
    """``{"flat_validation": True}`` for a fold whose R² divides by the whole target's variance
    (:func:`~dvclean.valuation._models.fold_regression_utility`), else nothing."""
    return {"flat_validation": True} if getattr(utility, "flat_validation", False) else {}


def flat_folds(diags: Sequence[dict[str, Any]]) -> dict[str, list[int]]:
    """``{"flat_validation_folds": [...]}``, the folds whose validation targets were flat, when there are any."""
    flat = [f for f, d in enumerate(diags) if d.get("flat_validation")]
    return {"flat_validation_folds": flat} if flat else {}


def fold_diagnostics(diags: Sequence[dict[str, Any]], t0: float) -> dict[str, Any]:
    """Totals of the per-fold counters, plus the per-fold full-data scores (and ``flat_validation_folds``)."""
    return {
        **flat_folds(diags),
        "utility_calls": sum(int(d.get("utility_calls", 0)) for d in diags),
        "model_fits": sum(int(d.get("model_fits", 0)) for d in diags),
        "fit_failures": sum(int(d.get("fit_failures", 0)) for d in diags),
        "degenerate_subsets": sum(int(d.get("degenerate_subsets", 0)) for d in diags),
        "first_failure": next((d.get("first_failure") for d in diags if d.get("first_failure")), None),
        "full_scores": [round(float(d["full_score"]), 6) for d in diags if "full_score" in d],
        "folds": len(diags),
        "seconds": round(time.perf_counter() - t0, 3),
    }


# -- sampling in rounds under a wall-clock budget (banzhaf, beta) ----------------------------------------

#: Samples every game gets whatever the time budget, so that a standard error exists.
MIN_SAMPLES = 2


def now() -> float:
    """The clock time budgets are measured on: ``time.time()``, comparable across worker processes (as ``tmc``)."""
    return time.time()


def deadline_after(budget: float | None) -> float | None:
    """The clock time ``budget`` seconds from now; ``None`` (no limit) without a budget."""
    return None if budget is None else now() + budget


def expired(deadline: float | None) -> bool:
    """Whether ``deadline`` has passed (never when it is ``None``)."""
    return deadline is not None and now() >= deadline


@dataclass
class SampleJob:
    """The samples of one game (a cross-fitting fold), run in rounds by :func:`sample_rounds`.

    Each task is ``chunk(*args, ks, deadline, MIN_SAMPLES)`` for a range ``ks`` of
    consecutive sample indices and returns ``(payload, done, counters)``: the payload
    of samples ``ks[:done]``, where ``done < len(ks)`` only when the deadline passed
    (samples below ``MIN_SAMPLES`` never look at it).

    Attributes
    ----------
    args : tuple
        The leading arguments of every task of this game.
    samples : int
        Samples wanted (``--samples``).
    info : dict
        What the estimator keeps for the end (weights, the empty-set score, ...).
    payloads : list
        Payloads of the merged tasks in sample order; together they cover samples ``0..done-1``.
    done : int
        Samples merged.
    handed : int
        Samples handed out to tasks so far.
    stop : str or None
        ``samples`` (all of them done) or ``time_budget``; ``None`` while running.
    counters : dict
        The tasks' utility counters, summed.
    """

    args: tuple[Any, ...]
    samples: int
    info: dict[str, Any] = field(default_factory=dict)
    payloads: list[Any] = field(default_factory=list)
    done: int = 0
    handed: int = 0
    stop: str | None = None
    counters: dict[str, Any] = field(default_factory=dict)


#: Tasks per worker in one round of :func:`sample_rounds` without a deadline: the progress bar moves
#: after each round (a whole game per round left it still for minutes), and the rounds are long enough
#: that waiting for a round's last task costs little.
ROUND_TASKS = 8


def sample_rounds(
    chunk: Callable[..., tuple[Any, int, dict[str, Any]]], jobs: Sequence[SampleJob], *, run: Runner | None,
    batch_size: int, deadline: float | None, progress: ProgressFn | None = None, step: str = "samples",
) -> None:
    """Run the samples of ``jobs`` in tasks of ``batch_size`` samples, until each has all or the deadline passed.

    Without a deadline a round is the next ``ROUND_TASKS * workers`` tasks of one game,
    game after game (the values are those of a run that never looks at the clock, and
    the progress bar moves every round, not once per game). With one, a round
    gives every running game ``ceil(workers / running games)`` tasks, so the games
    advance together on one deadline, and the first round covers at least
    ``MIN_SAMPLES`` samples of each; the deadline is checked between rounds and by
    the tasks themselves before each utility evaluation, so a run overshoots by
    about one evaluation per worker (plus the ``MIN_SAMPLES`` samples each game
    always gets). Results are merged in sample order and a game keeps exactly
    samples ``0..done-1`` (tasks after one that stopped short are dropped), so the
    same samples give the same payloads whatever the runner or ``n_jobs``.

    ``progress(step, done, total)`` follows each round, with a stopped game counted
    as complete: the bar ends at its total even when the clock stopped the run.
    """
    workers = 1 if run is None else run.n_workers
    total = sum(j.samples for j in jobs)
    if progress:
        progress(step, 0, total)
    while True:
        active = [j for j in jobs if j.stop is None]
        if not active:
            break
        per_job = ROUND_TASKS * workers if deadline is None else max(1, -(-workers // len(active)))
        if deadline is None:
            active = active[:1]
        tasks: list[tuple[Any, ...]] = []
        owners: list[tuple[SampleJob, int]] = []
        for j in active:
            given = 0
            while j.handed < j.samples and (given < per_job or j.handed < MIN_SAMPLES):
                ks = range(j.handed, min(j.samples, j.handed + batch_size))
                tasks.append((*j.args, ks, deadline, MIN_SAMPLES))
                owners.append((j, len(ks)))
                j.handed = ks.stop
                given += 1
        results = run.map(chunk, tasks) if run is not None else [chunk(*t) for t in tasks]
        for (j, size), (payload, done, counters) in zip(owners, results, strict=True):
            merge_counters(j.counters, counters)
            if j.stop is not None:
                continue  # an earlier task of this game stopped short: keep samples 0..done-1 only
            if done:
                j.payloads.append(payload)
                j.done += done
            if done < size:
                j.stop = "time_budget"
        for j in active:
            if j.stop is None and j.done >= j.samples:
                j.stop = "samples"
            elif j.stop is None and j.done >= MIN_SAMPLES and expired(deadline):
                j.stop = "time_budget"
        if progress:
            progress(step, sum(j.samples if j.stop is not None else j.done for j in jobs), total)


#: ``start(utility, n_players, fold_seed, full_score) -> SampleJob``: one fold's game, before any sample.
StartFn = Callable[[Any, int, int, float], SampleJob]
#: ``finish(job) -> (values, stderr, diagnostics)`` from the samples the job merged.
FinishFn = Callable[[SampleJob], tuple[np.ndarray, np.ndarray, dict[str, Any]]]


def run_sampled(
    valuer: Any, data: ValuationData, *, seed: int, progress: ProgressFn | None,
    chunk: Callable[..., tuple[Any, int, dict[str, Any]]], start: StartFn, finish: FinishFn, batch_size: int, step: str,
) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """The shared body of the sampling valuers (``banzhaf``, ``beta``), under ``valuer.tmc.time_budget``.

    Like :func:`run_cross_fitted` (``--model`` checked before any work, each fold's
    utility seeded with the fold seed, a model that cannot fit all players refused),
    but the folds' samples run together through :func:`sample_rounds` on one runner
    and one deadline: ``TMCConfig.time_budget`` seconds from the start, for all folds
    together (as ``tmc``). The diagnostics gain ``stop``, per fold ``samples`` or
    ``time_budget``; ``params`` gains ``time_budget``.

    Returns
    -------
    values, stderr, per-fold diagnostics, summed diagnostics, params
    """
    cfg, cf = valuer.config, valuer.crossfit
    budget = valuer.tmc.time_budget
    t0 = time.perf_counter()
    deadline = deadline_after(budget)  # from the method's start: the first imports and fits count too
    build, model, metric = utility_builder(data, valuer.tmc.model, valuer.tmc.metric)
    games: list[tuple[Any, float, SampleJob]] = []

    def setup(xp: np.ndarray, yp: np.ndarray, xv: np.ndarray, yv: np.ndarray, fseed: int, f: int) -> FoldResult:
        util = _present_classes(valuer, build(xp, yp, xv, yv, fseed))
        full = float(util(np.arange(xp.shape[0])))
        check_fits(util, model)
        games.append((util, full, start(util, xp.shape[0], fseed, full)))
        return FoldResult(values=np.zeros(xp.shape[0]))

    cross_fit(data, setup, n_folds=cf.n_folds, seed=seed)
    with runner(cf.n_jobs, cf.scheduler) as run:
        sample_rounds(chunk, [job for _, _, job in games], run=run, batch_size=batch_size, deadline=deadline,
                      progress=progress, step=step)
    per_fold: list[FoldResult] = []
    for util, full, job in games:
        values, stderr, diag = finish(job)
        diag = merge_counters(dict(diag), util.diagnostics())
        per_fold.append(FoldResult(values, stderr, {**diag, "full_score": full, **_flat_mark(util)}))

    def lookup(xp: np.ndarray, yp: np.ndarray, xv: np.ndarray, yv: np.ndarray, fseed: int, f: int) -> FoldResult:
        return per_fold[f]

    values, stderr, diags = cross_fit(data, lookup, n_folds=cf.n_folds, seed=seed)
    params = {**asdict(cfg), "time_budget": budget, "model": model, "metric": metric,
              "n_folds": cf.n_folds if data.leave_self_out else None, "n_jobs": cf.n_jobs, "scheduler": cf.scheduler}
    diagnostics = {**fold_diagnostics(diags, t0), "stop": [job.stop for _, _, job in games]}
    return values, stderr, diags, diagnostics, params


def sampled_status(diagnostics: dict[str, Any]) -> str:
    """``budget_exhausted`` when the time budget stopped a fold, else ``approximate``."""
    return "budget_exhausted" if "time_budget" in diagnostics.get("stop", ()) else "approximate"


# -- leave-one-out ---------------------------------------------------------------------------------------


#: ``estimate(utility, n_players, fold_seed, full_score, run) -> (values, stderr or None, diagnostics)``
FoldEstimate = Callable[[Any, int, int, float, Runner], tuple[np.ndarray, np.ndarray | None, dict[str, Any]]]


def run_cross_fitted(
    valuer: Any, data: ValuationData, *, seed: int, progress: ProgressFn | None, estimate: FoldEstimate
) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """The shared body of the utility-sampling valuers (``loo``, ``banzhaf``, ``beta``).

    Checks ``--model`` before any work, builds each fold's utility (seeded with the
    fold seed), fails clearly when the model cannot fit all players, runs
    ``estimate`` on it, and cross-fits the folds on one runner.

    Returns
    -------
    values, stderr, per-fold diagnostics, summed diagnostics, params
    """
    cfg, cf = valuer.config, valuer.crossfit
    t0 = time.perf_counter()  # (diagnostics.seconds: the model's import and set-up count, as in every method's)
    # a bad --model/--metric fails here, before any work; a regression target gets RegressionUtility
    build, model, metric = utility_builder(data, valuer.tmc.model, valuer.tmc.metric)
    with runner(cf.n_jobs, cf.scheduler) as run:

        def fold(xp: np.ndarray, yp: np.ndarray, xv: np.ndarray, yv: np.ndarray, fseed: int, f: int) -> FoldResult:
            util = _present_classes(valuer, build(xp, yp, xv, yv, fseed))
            full = float(util(np.arange(xp.shape[0])))
            check_fits(util, model)
            values, stderr, diag = estimate(util, xp.shape[0], fseed, full, run)
            diag = merge_counters(dict(diag), util.diagnostics())
            return FoldResult(values, stderr, {**diag, "full_score": full, **_flat_mark(util)})

        values, stderr, diags = cross_fit(
            data, fold, n_folds=cf.n_folds, seed=seed, progress=progress, step=f"{valuer.name} folds"
        )
    params = {**asdict(cfg), "model": model, "metric": metric,
              "n_folds": cf.n_folds if data.leave_self_out else None, "n_jobs": cf.n_jobs, "scheduler": cf.scheduler}
    return values, stderr, diags, fold_diagnostics(diags, t0), params


def _loo_chunk(utility: UtilityFn, n: int, rows: Sequence[int]) -> tuple[np.ndarray, dict[str, Any]]:
    """``U(all players but i)`` for each ``i`` in ``rows`` (a pure function of its arguments)."""
    u = fresh_utility(utility)
    everyone = np.arange(n)
    out = np.array([float(u(np.delete(everyone, i))) for i in rows])
    return out, counters_of(u, len(rows))


def leave_one_out(
    utility: UtilityFn, n: int, *, run: Runner | None = None, batch_size: int = 16, full: float | None = None,
) -> tuple[np.ndarray, float, dict[str, Any]]:
    """Exact leave-one-out values ``U(all) - U(all \\ {i})`` of the ``n`` players of one game.

    Parameters
    ----------
    utility : callable
        ``utility(indices) -> float``: a :class:`Utility` or any picklable callable.
    n : int
    run : Runner, optional
        Where the fits run (in-process when omitted).
    batch_size : int
        Left-out players per task.
    full : float, optional
        ``U(all)`` when already known.

    Returns
    -------
    values : ndarray of shape (n,)
    full : float
    counters : dict

    Examples
    --------
    >>> w = np.array([1.0, 2.0, 3.0])
    >>> leave_one_out(lambda idx: float(w[idx].sum()) ** 2, 3)[0].tolist()
    [11.0, 20.0, 27.0]
    """
    counters: dict[str, Any] = {}
    if full is None:
        u = fresh_utility(utility)
        full = float(u(np.arange(n)))
        merge_counters(counters, counters_of(u, 1))
    tasks = [(utility, n, list(r)) for r in chunks(n, batch_size)]
    results = run.map(_loo_chunk, tasks) if run is not None else [_loo_chunk(*t) for t in tasks]
    without = np.concatenate([r[0] for r in results]) if results else np.zeros(0)
    for r in results:
        merge_counters(counters, r[1])
    return full - without, full, counters


@dataclass
class LeaveOneOut:
    """Leave-one-out valuer (registry name ``loo``).

    Parameters
    ----------
    config : LOOConfig
    tmc : TMCConfig
        Only ``model`` and ``metric`` are used (the ``--model`` / ``--metric`` settings).
    crossfit : CrossFitConfig
        Folds, ``n_jobs`` and Dask ``scheduler``.
    """

    config: LOOConfig = field(default_factory=LOOConfig)
    tmc: TMCConfig = field(default_factory=TMCConfig)
    crossfit: CrossFitConfig = field(default_factory=CrossFitConfig)
    name: ClassVar[str] = "loo"
    citation: ClassVar[str] = (
        "Leave-one-out (Cook, Detection of Influential Observation in Linear Regression, Technometrics 1977; "
        "the data-valuation baseline of Ghorbani & Zou, ICML 2019)"
    )

    def __post_init__(self) -> None:
        """Refuse settings of the wrong type (a dict, another method's config) when the valuer is built."""
        check_settings(self, config=LOOConfig, tmc=TMCConfig, crossfit=CrossFitConfig)

    def value(self, data: ValuationData, *, seed: int = 0, progress: ProgressFn | None = None) -> ValuationResult:
        """Value every player of ``data`` (cross-fitted without a validation set)."""
        check_data(self, data, seed)
        cfg = self.config

        def estimate(util: Any, n: int, fseed: int, full: float, run: Runner) -> tuple[np.ndarray, None, dict[str, Any]]:
            values, _, counters = leave_one_out(util, n, run=run, batch_size=cfg.batch_size, full=full)
            return values, None, counters

        values, stderr, _, diagnostics, params = run_cross_fitted(
            self, data, seed=seed, progress=progress, estimate=estimate
        )
        return ValuationResult(
            method=self.name, values=values, stderr=stderr if data.leave_self_out else None, status="exact",
            params=params, seed=seed, diagnostics=diagnostics,
        )
