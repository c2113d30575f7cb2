"""Data Banzhaf values, estimated by maximum sample reuse (MSR).

Wang & Jia, "Data Banzhaf: A Robust Data Valuation Framework for Machine Learning",
AISTATS 2023 (PMLR 206:6388-6421), whose maximum-sample-reuse estimator this is (reference code:
the authors' ``data-banzhaf`` repository and opendataval's ``DataBanzhaf``).

The Banzhaf value of player i is its mean marginal contribution over all subsets of
the other players, each with the same weight:
``phi_i = 2^-(N-1) * sum_{S subset of D minus i} [U(S + i) - U(S)]``.

**MSR estimator.** Draw m subsets, each player included independently with
probability 1/2, and score each once (one model fit). Then
``phi_i ~ mean{U(S_k) : i in S_k} - mean{U(S_k) : i not in S_k}``: every fit is reused
for every player. Given the count of samples on each side, both means are unbiased
(conditional on i's side, the rest of S_k is a uniform subset of D minus i), so the
estimator is unbiased; its standard error is
``sqrt(var_in / m_in + var_out / m_out)`` with the sample variances of the two sides.
A player that falls on only one side in every sample (probability 2^(1-m)) gets the
overall sample mean (and variance) for the empty side and is counted in the
diagnostics (``one_sided_players``).

**Time budget** (``TMCConfig.time_budget``, CLI ``--time-budget``, as ``tmc``): one
deadline for all cross-fitting folds together. The folds advance together in rounds of
tasks (:func:`~dvclean.valuation.loo.sample_rounds`); a fold stops when the deadline
passes and its values and standard errors come from the subsets it scored. Every
fold scores at least 2 subsets, whatever the budget. ``status`` is
``budget_exhausted`` when the clock stopped a fold (else ``approximate``);
``diagnostics["samples"]`` gives the subsets each fold used and
``diagnostics["stop"]`` why each stopped (``samples`` or ``time_budget``).

**Reproducibility.** Subset k of a fold is drawn from
``SeedSequence(fold_seed).spawn(k + 1)[k]`` (built directly as
``SeedSequence(fold_seed, spawn_key=(k,))``) and the scores are reduced in sample
order, so the values for a seed do not depend on ``--n-jobs`` or the scheduler; a
fold always keeps subsets ``0..m-1``, so with a time budget only the count ``m``
depends on the clock (the same ``m`` gives the same values).

Complexity: m model fits per cross-fitting fold (m = ``--samples``, default 1000, or fewer
under ``--time-budget``) plus
O(m N) arithmetic; memory O(m N) for the regenerated membership masks. The paper
shows O((N / eps^2) log(N / delta)) samples suffice for an (eps, delta) l2 error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..config import BanzhafConfig, CrossFitConfig, TMCConfig
from ..errors import ValuationError
from ..table import ValuationData
from ._base import ValuationResult, check_data, check_settings
from ._parallel import Runner
from .loo import (
    SampleJob,
    counters_of,
    deadline_after,
    expired,
    fresh_utility,
    merge_counters,
    run_sampled,
    sample_rounds,
    sampled_status,
)

__all__ = ["DataBanzhaf", "BanzhafEstimate", "msr_banzhaf", "exact_banzhaf", "subset_mask"]

ProgressFn = Callable[[str, int, int], None]
UtilityFn = Callable[[np.ndarray], float]


def subset_mask(fold_seed: int, k: int, n: int) -> np.ndarray:
    """Membership of the ``n`` players in sampled subset ``k`` (each with probability 1/2).

    Examples
    --------
    >>> bool((subset_mask(3, 5, 8) == subset_mask(3, 5, 8)).all())
    True
    """
    rng = np.random.default_rng(np.random.SeedSequence(fold_seed, spawn_key=(k,)))
    return rng.random(n) < 0.5


def _msr_chunk(
    utility: UtilityFn, n: int, fold_seed: int, ks: Sequence[int], deadline: float | None = None, must: int = 0,
) -> tuple[np.ndarray, int, dict[str, Any]]:
    """Scores of sampled subsets ``ks`` (pure, but for the deadline).

    Returns ``(scores, done, counters)`` for the subsets ``ks[:done]``: a subset
    ``k >= must`` is not scored once ``deadline`` passed.
    """
    u = fresh_utility(utility)
    scores: list[float] = []
    for k in ks:
        if deadline is not None and k >= must and expired(deadline):
            break
        scores.append(float(u(np.flatnonzero(subset_mask(fold_seed, k, n)))))
    return np.array(scores), len(scores), counters_of(u, len(scores))


def _msr_result(job: SampleJob, counters: dict[str, Any]) -> BanzhafEstimate:
    """The MSR estimate from the subsets the job scored (``0..done-1``, in sample order)."""
    utility, n, seed = job.args
    m = job.done
    scores = np.concatenate(job.payloads)
    merge_counters(counters, job.counters)
    masks = np.vstack([subset_mask(seed, k, n) for k in range(m)])
    values, stderr, one_sided = msr_estimate(masks, scores)
    return BanzhafEstimate(
        values, stderr, m, {**counters, "samples": m, "stop": job.stop, "one_sided_players": one_sided}
    )


@dataclass
class BanzhafEstimate:
    """MSR estimate for one game.

    Attributes
    ----------
    values, stderr : ndarray of shape (n_players,)
    n_samples : int
    diagnostics : dict
    """

    values: np.ndarray
    stderr: np.ndarray
    n_samples: int
    diagnostics: dict[str, Any] = field(default_factory=dict)


def msr_estimate(masks: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Values, standard errors and the number of one-sided players from membership masks and scores."""
    m = scores.shape[0]
    c = scores - scores.mean()  # centred: the difference of means is unchanged, the variances are stabler
    pooled_var = float(c @ c) / max(m - 1, 1)
    inside = masks.astype(np.float64)
    n_in = inside.sum(axis=0)
    n_out = m - n_in
    sum_in = (inside * c[:, None]).sum(axis=0)
    sq_in = (inside * (c * c)[:, None]).sum(axis=0)
    sum_out = c.sum() - sum_in
    sq_out = float(c @ c) - sq_in
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_in = np.where(n_in > 0, sum_in / n_in, 0.0)
        mean_out = np.where(n_out > 0, sum_out / n_out, 0.0)
        var_in = np.where(n_in >= 2, (sq_in - n_in * mean_in**2) / (n_in - 1), pooled_var)
        var_out = np.where(n_out >= 2, (sq_out - n_out * mean_out**2) / (n_out - 1), pooled_var)
    var_in = np.maximum(var_in, 0.0)
    var_out = np.maximum(var_out, 0.0)
    values = mean_in - mean_out
    stderr = np.sqrt(var_in / np.maximum(n_in, 1) + var_out / np.maximum(n_out, 1))
    return values, stderr, int(((n_in == 0) | (n_out == 0)).sum())


def msr_banzhaf(
    utility: UtilityFn, n: int, samples: int, seed: int, *, run: Runner | None = None, batch_size: int = 25,
    time_budget: float | None = None,
) -> BanzhafEstimate:
    """Estimate the Banzhaf values of one game by maximum sample reuse.

    Parameters
    ----------
    utility : callable
        ``utility(indices) -> float``: a :class:`~dvclean.valuation._models.Utility`
        or any picklable callable (a toy game).
    n : int
        Number of players.
    samples : int
        Sampled subsets m.
    seed : int
        The game's seed; subset ``k`` uses :func:`subset_mask` ``(seed, k, n)``.
    run : Runner, optional
        Where the utility evaluations run (in-process when omitted).
    batch_size : int
        Subsets per task.
    time_budget : float, optional
        Wall-clock seconds: stop after the subsets scored by then (at least 2);
        ``diagnostics["stop"]`` is then ``time_budget`` (else ``samples``).

    Examples
    --------
    >>> w = np.array([1.0, 2.0, 3.0])
    >>> est = msr_banzhaf(lambda idx: float(w[idx].sum()), 3, samples=2000, seed=0)
    >>> bool(np.all(np.abs(est.values - w) < 4 * est.stderr + 1e-9))
    True
    """
    if samples < 2:
        raise ValuationError(f"MSR needs at least 2 sampled subsets; got {samples}")
    job = SampleJob((utility, n, seed), samples)
    sample_rounds(_msr_chunk, [job], run=run, batch_size=batch_size, deadline=deadline_after(time_budget))
    return _msr_result(job, {})


def exact_banzhaf(utility: UtilityFn, n: int) -> np.ndarray:
    """Exact Banzhaf values by enumerating all 2^n subsets (n <= 16), for tests and checks.

    Examples
    --------
    >>> exact_banzhaf(lambda idx: float(len(idx) >= 2), 3).tolist()
    [0.5, 0.5, 0.5]
    """
    if n > 16:
        raise ValuationError(f"exact Banzhaf enumerates 2^n subsets; n={n} is too many (at most 16)")
    cache = np.array([float(utility(np.array([i for i in range(n) if mask >> i & 1], dtype=np.int64)))
                      for mask in range(1 << n)])
    phi = np.zeros(n)
    for mask in range(1 << n):
        for i in range(n):
            if not mask >> i & 1:
                phi[i] += cache[mask | 1 << i] - cache[mask]
    return phi / 2 ** (n - 1)


@dataclass
class DataBanzhaf:
    """Data Banzhaf valuer (registry name ``banzhaf``).

    Parameters
    ----------
    config : BanzhafConfig
    tmc : TMCConfig
        Only ``model``, ``metric`` and ``time_budget`` are used (``--model``, ``--metric``,
        ``--time-budget``).
    crossfit : CrossFitConfig
        Folds, ``n_jobs`` and Dask ``scheduler``.
    """

    config: BanzhafConfig = field(default_factory=BanzhafConfig)
    tmc: TMCConfig = field(default_factory=TMCConfig)
    crossfit: CrossFitConfig = field(default_factory=CrossFitConfig)
    name: ClassVar[str] = "banzhaf"
    citation: ClassVar[str] = (
        "Wang & Jia, Data Banzhaf: A Robust Data Valuation Framework for Machine Learning, AISTATS 2023"
    )

    def __post_init__(self) -> None:
        """Refuse settings of the wrong type (a dict, another method's config) when the valuer is built."""
        check_settings(self, config=BanzhafConfig, tmc=TMCConfig, crossfit=CrossFitConfig)

    def value(self, data: ValuationData, *, seed: int = 0, progress: ProgressFn | None = None) -> ValuationResult:
        """Value every player of ``data`` (cross-fitted without a validation set), within ``tmc.time_budget``."""
        check_data(self, data, seed)
        cfg = self.config

        def start(util: Any, n: int, fseed: int, full: float) -> SampleJob:
            return SampleJob((util, n, fseed), cfg.samples)

        def finish(job: SampleJob) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
            est = _msr_result(job, {})
            return est.values, est.stderr, dict(est.diagnostics)

        values, stderr, diags, diagnostics, params = run_sampled(
            self, data, seed=seed, progress=progress, chunk=_msr_chunk, start=start, finish=finish,
            batch_size=cfg.batch_size, step="banzhaf subsets",
        )
        diagnostics["samples"] = [int(d.get("samples", 0)) for d in diags]
        diagnostics["one_sided_players"] = sum(int(d.get("one_sided_players", 0)) for d in diags)
        return ValuationResult(
            method=self.name, values=values, stderr=stderr, status=sampled_status(diagnostics), params=params,
            seed=seed, diagnostics=diagnostics,
        )
