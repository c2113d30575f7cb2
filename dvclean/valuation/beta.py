"""Beta Shapley: a semivalue that weights marginal contributions by cardinality.

Kwon & Zou, "Beta Shapley: a Unified and Noise-reduced Data Valuation Framework for
Machine Learning", AISTATS 2022 (PMLR 151:8780-8802); algorithms.md §11.3.

**Definition.** With ``j`` the size of a coalition after player i joins it,
``phi_i = sum_{j=1..N} w(j) * mean_{S subset of D minus i, |S| = j-1} [U(S + i) - U(S)]``
with the Beta(alpha, beta) cardinality weights
``w(j) = C(N-1, j-1) * B(j + beta - 1, N - j + alpha) / B(alpha, beta)``
(the Beta-binomial(N-1, beta, alpha) probability of j-1, so the weights sum to 1;
the paper's ``compute_weight_list``). Beta(1, 1) gives w(j) = 1/N: the Shapley value.
alpha > beta puts the weight on small coalitions, where a wrong label hurts most; the
paper recommends Beta(16, 1) (the default) and Beta(4, 1).

**Estimator** (permutation sampling, reweighted as in the authors' code). In a uniformly
random ordering, player i's position p is uniform on 1..N and its predecessors are a
uniform subset of size p-1, so ``X_i = N * w(p) * [U(prefix + i) - U(prefix)]`` has
expectation phi_i. One permutation costs one fit per position and gives one ``X_i`` for
every player; the value is the mean of X_i over the permutations, the standard error
its sample standard deviation over sqrt(permutations).
**Tail cut:** positions after ``L``, the first at which the remaining weight
``sum_{j > L} w(j)`` is at most ``BetaConfig.tail`` (1e-6), are not evaluated and give
X_i = 0; this changes the expectation by at most ``tail * max|marginal|``. For
Beta(16, 1) the cut is near 0.58 N, so each permutation costs about 0.58 N fits;
``tail = 0`` evaluates all N positions (unbiased).

**Reproducibility.** Permutation k of a fold is drawn from
``SeedSequence(fold_seed).spawn(k + 1)[k]`` and the sums are reduced in permutation
order, so values for a seed do not depend on ``--n-jobs`` or the scheduler.

Complexity: T * L model fits per cross-fitting fold (T = ``--samples`` permutations,
L <= N the tail cut), O(T N) memory-free accumulation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from scipy.special import betaln, gammaln

from ..config import BetaConfig, CrossFitConfig, TMCConfig
from ..errors import ValuationError
from ..table import ValuationData
from ._base import ValuationResult
from ._parallel import Runner
from .loo import (
    chunks,
    counters_of,
    fresh_utility,
    merge_counters,
    run_cross_fitted,
)

__all__ = ["BetaShapley", "BetaEstimate", "beta_weights", "tail_cut", "beta_shapley", "exact_semivalue"]

ProgressFn = Callable[[str, int, int], None]
UtilityFn = Callable[[np.ndarray], float]


def beta_weights(n: int, alpha: float, beta: float) -> np.ndarray:
    """Cardinality weights ``w(j)``, j = 1..n, of the Beta(alpha, beta) semivalue (they sum to 1).

    Examples
    --------
    >>> beta_weights(4, 1.0, 1.0).round(12).tolist()
    [0.25, 0.25, 0.25, 0.25]
    >>> round(float(beta_weights(10, 16.0, 1.0)[0]), 12)  # B(1, 25) / B(16, 1) = 16 / 25
    0.64
    """
    if n < 1:
        raise ValuationError(f"a game needs at least one player; got {n}")
    j = np.arange(1, n + 1, dtype=np.float64)
    log_comb = gammaln(n) - gammaln(j) - gammaln(n - j + 1)
    w = np.exp(log_comb + betaln(j + beta - 1, n - j + alpha) - betaln(alpha, beta))
    return w


def tail_cut(weights: np.ndarray, tail: float) -> int:
    """Number of leading positions to evaluate: the first L with ``sum(weights[L:]) <= tail``."""
    remaining = np.concatenate([np.cumsum(weights[::-1])[::-1], [0.0]])  # remaining[L] = sum_{j > L} w(j)
    return int(np.argmax(remaining <= tail)) if tail > 0 else int(weights.shape[0])


def _beta_chunk(
    utility: UtilityFn, n: int, fold_seed: int, ks: Sequence[int], scale: np.ndarray, length: int, empty: float,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Sums and sums of squares of the reweighted marginals of permutations ``ks`` (pure)."""
    u = fresh_utility(utility)
    sums = np.zeros(n)
    sq = np.zeros(n)
    calls = 0
    for k in ks:
        order = np.random.default_rng(np.random.SeedSequence(fold_seed, spawn_key=(k,))).permutation(n)
        prev = empty
        x = np.zeros(n)
        for p in range(length):
            new = float(u(order[: p + 1]))
            calls += 1
            x[order[p]] = scale[p] * (new - prev)
            prev = new
        sums += x
        sq += x * x
    return sums, sq, counters_of(u, calls)


@dataclass
class BetaEstimate:
    """Beta Shapley estimate for one game.

    Attributes
    ----------
    values, stderr : ndarray of shape (n_players,)
    n_permutations : int
    diagnostics : dict
    """

    values: np.ndarray
    stderr: np.ndarray
    n_permutations: int
    diagnostics: dict[str, Any] = field(default_factory=dict)


def beta_shapley(
    utility: UtilityFn, n: int, samples: int, seed: int, *, alpha: float = 16.0, beta: float = 1.0,
    tail: float = 1e-6, run: Runner | None = None, batch_size: int = 4, empty: float | None = None,
) -> BetaEstimate:
    """Estimate the Beta(alpha, beta) semivalues of one game by reweighted permutation sampling.

    Parameters
    ----------
    utility : callable
        ``utility(indices) -> float``: a :class:`~dvclean.valuation._models.Utility`
        or any picklable callable (a toy game).
    n : int
        Number of players.
    samples : int
        Permutations T.
    seed : int
        The game's seed; permutation k uses ``SeedSequence(seed, spawn_key=(k,))``.
    alpha, beta : float
    tail : float
        Skip the positions after which at most this much weight remains (0: none).
    run : Runner, optional
    batch_size : int
        Permutations per task.
    empty : float, optional
        ``U(empty set)`` when already known.

    Examples
    --------
    >>> w = np.array([1.0, 2.0, 3.0])
    >>> game = lambda idx: float(w[idx].sum())  # additive: every semivalue is the weight
    >>> beta_shapley(game, 3, samples=50, seed=0, alpha=1.0, beta=1.0, tail=0.0).values.round(9).tolist()
    [1.0, 2.0, 3.0]
    >>> est = beta_shapley(game, 3, samples=500, seed=0)  # Beta(16, 1): unbiased, not exact
    >>> bool(np.all(np.abs(est.values - w) < 4 * est.stderr))
    True
    """
    if samples < 2:
        raise ValuationError(f"Beta Shapley needs at least 2 permutations; got {samples}")
    weights = beta_weights(n, alpha, beta)
    length = tail_cut(weights, tail)
    counters: dict[str, Any] = {}
    if empty is None:
        u = fresh_utility(utility)
        empty = float(u(np.zeros(0, dtype=np.int64)))
        merge_counters(counters, counters_of(u, 1))
    scale = n * weights
    tasks = [(utility, n, seed, list(r), scale, length, empty) for r in chunks(samples, batch_size)]
    results = run.map(_beta_chunk, tasks) if run is not None else [_beta_chunk(*t) for t in tasks]
    sums = np.zeros(n)
    sq = np.zeros(n)
    for s, q, c in results:  # fixed (permutation) order
        sums += s
        sq += q
        merge_counters(counters, c)
    t = samples
    mean = sums / t
    var = np.maximum(sq / t - mean**2, 0.0) * t / (t - 1)
    diag = {**counters, "permutations": t, "positions_evaluated": length,
            "tail_weight": float(weights[length:].sum()), "empty_score": empty}
    return BetaEstimate(mean, np.sqrt(var / t), t, diag)


def exact_semivalue(utility: UtilityFn, n: int, weights: np.ndarray) -> np.ndarray:
    """Exact semivalue with cardinality weights ``weights[j-1] = w(j)`` by enumerating 2^n subsets (n <= 16).

    ``phi_i = sum_{S subset of D minus i} w(|S|+1) / C(n-1, |S|) * [U(S + i) - U(S)]``.

    Examples
    --------
    >>> exact_semivalue(lambda idx: float(len(idx) >= 2), 3, beta_weights(3, 1.0, 1.0)).round(6).tolist()
    [0.333333, 0.333333, 0.333333]
    """
    if n > 16:
        raise ValuationError(f"an exact semivalue enumerates 2^n subsets; n={n} is too many (at most 16)")
    cache = [float(utility(np.array([i for i in range(n) if mask >> i & 1], dtype=np.int64))) for mask in range(1 << n)]
    coef = [weights[s] / math.comb(n - 1, s) for s in range(n)]
    phi = np.zeros(n)
    for mask in range(1 << n):
        size = bin(mask).count("1")
        for i in range(n):
            if not mask >> i & 1:
                phi[i] += coef[size] * (cache[mask | 1 << i] - cache[mask])
    return phi


@dataclass
class BetaShapley:
    """Beta Shapley valuer (registry name ``beta``).

    Parameters
    ----------
    config : BetaConfig
    tmc : TMCConfig
        Only ``model`` and ``metric`` are used (the ``--model`` / ``--metric`` settings).
    crossfit : CrossFitConfig
        Folds, ``n_jobs`` and Dask ``scheduler``.
    """

    config: BetaConfig = field(default_factory=BetaConfig)
    tmc: TMCConfig = field(default_factory=TMCConfig)
    crossfit: CrossFitConfig = field(default_factory=CrossFitConfig)
    name: ClassVar[str] = "beta"
    citation: ClassVar[str] = (
        "Kwon & Zou, Beta Shapley: a Unified and Noise-reduced Data Valuation Framework for Machine Learning, "
        "AISTATS 2022"
    )

    def value(self, data: ValuationData, *, seed: int = 0, progress: ProgressFn | None = None) -> ValuationResult:
        """Value every player of ``data`` (cross-fitted without a validation set)."""
        cfg = self.config

        def estimate(util: Any, n: int, fseed: int, full: float, run: Runner) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
            empty = float(util(np.zeros(0, dtype=np.int64)))
            est = beta_shapley(
                util, n, cfg.samples, fseed, alpha=cfg.alpha, beta=cfg.beta, tail=cfg.tail, run=run,
                batch_size=cfg.batch_size, empty=empty,
            )
            return est.values, est.stderr, dict(est.diagnostics)

        values, stderr, diags, diagnostics, params = run_cross_fitted(
            self, data, seed=seed, progress=progress, estimate=estimate
        )
        diagnostics["permutations"] = [int(d.get("permutations", 0)) for d in diags]
        diagnostics["positions_evaluated"] = [int(d.get("positions_evaluated", 0)) for d in diags]
        diagnostics["tail_weight"] = max(float(d.get("tail_weight", 0.0)) for d in diags)
        return ValuationResult(
            method=self.name, values=values, stderr=stderr, status="approximate", params=params, seed=seed,
            diagnostics=diagnostics,
        )
