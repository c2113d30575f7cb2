"""TMC Data Shapley: truncated Monte-Carlo estimates of the Shapley value of each row.

Ghorbani & Zou, "Data Shapley: Equitable Valuation of Data for Machine Learning",
ICML 2019 (PMLR 97:2242-2251); algorithm as in the authors' code (``DShap.py``).

The Shapley value of player i is the mean, over uniformly random orderings of the
players, of its marginal contribution ``U(prefix + i) - U(prefix)``, where the
utility ``U`` is the validation score of a model trained from scratch on a set of
players. One *permutation* adds the players one at a time and retrains after each.

* **Truncation** (the paper's rule): once the prefix score is within
  ``tolerance * |U(all)|`` of the full-data score ``U(all)`` for 6 steps in a row,
  the rest of the permutation is skipped and its players get marginal 0. The paper
  compares with the mean of 100 bootstrap resamples of the validation set scored by
  the full model, whose expectation is ``U(all)``; dvclean uses ``U(all)`` itself.
* **Stops**: a fold stops when the relative L1 change of its running values over
  the last ``convergence_window`` permutations, ``|v_t - v_{t-w}|_1 / |v_t|_1``, is
  below ``convergence`` (the paper's code divides per value, which never settles
  for values near zero); after ``max_permutations``; or when the wall-clock
  ``time_budget`` runs out. ``ValuationResult.status`` says which fired:
  ``converged``, ``budget_exhausted`` (permutation cap or time), or ``exact`` when
  every permutation of a small game was enumerated (``n! <= max_permutations``;
  an enumeration is never truncated, so it is the exact Shapley value).
* **Reproducibility**: permutation ``j`` of a fold draws its ordering from
  ``SeedSequence(fold_seed).spawn(...)[j]`` (built directly as
  ``SeedSequence(fold_seed, spawn_key=(j,))``), and the running sums are reduced in
  permutation order, so serial, joblib and Dask runs give identical values.
* **Checkpoints** (``checkpoint=``, CLI ``--checkpoint``/``--resume``): each fold's
  running sums, squares, count and convergence history are saved every few
  permutations (:mod:`~dvclean.valuation._checkpoint`); since permutation ``j`` is
  a function of ``(fold_seed, j)`` and rows are merged in index order, a resumed
  run continues at permutation ``t`` and its values are bit-identical to an
  uninterrupted run's. A resumed run gets a fresh ``time_budget``.
* **Warm start** (default on; ``TMCShapley(warm_start=False)`` or
  ``tmc_shapley(..., warm_start=False)`` turns it off): along a permutation,
  logistic regression refits each prefix from the previous prefix's coefficients.
  Its L2-penalised objective is strictly convex, so the fit reaches the same
  optimum as a cold start to the solver's tolerance; a validation prediction can
  differ only for points within that tolerance of the decision boundary. Plain
  L2 logistic regression is solved by
  :class:`~dvclean.valuation._fastlogreg.NewtonLogisticRegression` (chord-Newton
  steps reusing the previous prefix's Hessian factor): 0.4 ms per fit instead of
  scikit-learn's 2.3 ms on the benchmark split, 5.6x less wall time for the same
  values (``benchmarks/RESULTS_TMC.md``) with two classes; with more,
  :class:`~dvclean.valuation._fastlogreg.MultinomialLBFGS` (scikit-learn's own
  L-BFGS-B call without the estimator's overhead: its loss and gradient to rounding, the
  same values on digits and wine, 2.6x less wall time on 10-class digits,
  ``benchmarks/multiclass_logreg.py``). The warm state lives inside one
  permutation, so values stay identical across ``n_jobs`` and schedulers.
* **Cross-fitting**: without a validation file every row is valued through
  :func:`~dvclean.valuation._crossfit.cross_fit` (stratified folds; each fold is
  the validation set of a game whose players are the other folds).

The estimator core :func:`tmc_shapley` takes any callable ``U(indices) -> float``,
so games with known Shapley values test it directly.

Complexity: O(T * L) model fits per fold for T permutations truncated after L
steps on average (L <= N); memory O(N * window) per fold for the convergence check.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from ..config import CrossFitConfig, TMCConfig
from ..errors import ValuationError
from ..table import ValuationData
from ._base import ValuationResult, check_data, check_settings
from ._checkpoint import (
    Checkpoint,
    CheckpointSection,
    as_checkpoint,
    released_after,
    save_quietly,
    valuer_identity,
)
from ._crossfit import FoldResult, cross_fit
from ._models import Utility, utility_builder
from ._parallel import runner
from .loo import deadline_after, expired, flat_folds, now

__all__ = ["Game", "GameEstimate", "TMCShapley", "permutation_seed", "tmc_shapley", "exact_shapley"]

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]
#: TMCConfig fields that cannot change the values, so a checkpoint may be resumed with others.
_NOT_IN_IDENTITY = ("time_budget", "batch_size")
#: Why a fold stopped (:attr:`GameEstimate.stop`).
STOPS = ("convergence", "max_permutations", "time_budget", "all_permutations")


def permutation_seed(fold_seed: int, index: int) -> np.random.SeedSequence:
    """Seed of permutation ``index`` of a fold: ``SeedSequence(fold_seed).spawn(index + 1)[index]``.

    Examples
    --------
    >>> a = permutation_seed(7, 3).generate_state(2)
    >>> b = np.random.SeedSequence(7).spawn(4)[3].generate_state(2)
    >>> bool((a == b).all())
    True
    """
    return np.random.SeedSequence(fold_seed, spawn_key=(index,))


@dataclass(frozen=True)
class Game:
    """One cooperative game: players ``0..n_players-1`` and a utility over index arrays.

    Attributes
    ----------
    utility : callable
        ``utility(indices) -> float``; a :class:`~dvclean.valuation._models.Utility`
        or any picklable callable (a toy game).
    n_players : int
    seed : int
        Seed the permutation seeds are spawned from.
    """

    utility: Callable[[np.ndarray], float]
    n_players: int
    seed: int


@dataclass
class GameEstimate:
    """TMC estimate for one game.

    Attributes
    ----------
    values, stderr : ndarray of shape (n_players,)
        Mean marginal contribution and its standard error across permutations.
    n_permutations : int
    stop : str
        ``convergence``, ``max_permutations``, ``time_budget`` or ``all_permutations``.
    diagnostics : dict
    """

    values: np.ndarray
    stderr: np.ndarray
    n_permutations: int
    stop: str
    diagnostics: dict[str, Any] = field(default_factory=dict)


def _fresh(utility: Callable[[np.ndarray], float]) -> Callable[[np.ndarray], float]:
    """A copy of a :class:`Utility` with zeroed counters (a worker's own tally)."""
    if isinstance(utility, Utility):
        return replace(utility, n_calls=0, n_fits=0, n_degenerate=0, n_failures=0, first_failure=None, _cache={})
    return utility


def _warm_factory(utility: Callable[[np.ndarray], float]) -> Callable[[], Any] | None:
    """A factory of warm-starting models for ``utility``, or ``None`` where warm start does not apply.

    Only scikit-learn's :class:`~sklearn.linear_model.LogisticRegression` (exactly
    that class): its L2-penalised objective is strictly convex, so a fit started
    from the previous prefix's coefficients converges to the same optimum as a cold
    start. With the default L2 penalty and intercept the fits go to
    :class:`~dvclean.valuation._fastlogreg.NewtonLogisticRegression` (the same
    objective, solved by warm Newton steps about ten times faster; with three classes or more,
    :class:`~dvclean.valuation._fastlogreg.MultinomialLBFGS`); other settings use scikit-learn's own
    ``warm_start``.
    """
    if not isinstance(utility, Utility):
        return None
    from sklearn.linear_model import LogisticRegression

    from ._fastlogreg import fast_equivalent

    probe = utility.model_factory()
    if type(probe) is not LogisticRegression or probe.solver == "liblinear":
        return None
    fast = fast_equivalent(probe)
    if fast is not None:
        return fast
    factory = utility.model_factory
    return lambda: factory().set_params(warm_start=True)


def _one_permutation(
    utility: Callable[[np.ndarray], float],
    order: np.ndarray,
    empty: float,
    full: float,
    tolerance: float,
    steps: int,
    deadline: float | None,
    warm: Callable[[], Any] | None = None,
) -> tuple[np.ndarray, int] | None:
    """Marginal contributions along ``order``; ``None`` when the deadline passed mid-way.

    With ``warm`` (a :func:`_warm_factory`), one model is refitted along the
    permutation, each prefix starting from the previous prefix's coefficients; it
    is rebuilt cold whenever a class appears for the first time (the coefficients
    change shape). Everything stays a function of ``order`` alone.
    """
    n = order.shape[0]
    marg = np.zeros(n)
    prev = empty
    hits = 0
    band = tolerance * abs(full)
    evals = 0
    model = None
    seen: set[int] = set()
    y = utility.y_train if warm is not None and isinstance(utility, Utility) else None
    for j in range(n):
        if expired(deadline):
            return None
        if j == n - 1:  # every player: U(all), the number the game starts from (so the marginals sum to full - empty
            # exactly, the efficiency axiom; a warm-started refit lands on a slightly different optimum than the cold one)
            new = full
        elif y is not None and warm is not None:
            c = int(y[order[j]])
            if c not in seen:
                seen.add(c)
                model = warm()
            new = float(utility(order[: j + 1], model))  # type: ignore[call-arg]
        else:
            new = float(utility(order[: j + 1]))
        evals += 1
        marg[order[j]] = new - prev
        prev = new
        if tolerance > 0:
            if abs(new - full) <= band:
                hits += 1
                if hits >= steps:
                    break
            else:
                hits = 0
    return marg, evals


def _run_chunk(
    utility: Callable[[np.ndarray], float],
    n: int,
    fold_seed: int,
    indices: Sequence[int],
    orders: np.ndarray | None,
    empty: float,
    full: float,
    tolerance: float,
    steps: int,
    deadline: float | None,
    must_finish: int,
    warm_start: bool = False,
) -> dict[str, Any]:
    """Run permutations ``indices`` of one game (a pure function of its arguments).

    ``orders`` gives the orderings explicitly (enumeration); otherwise permutation
    ``j`` is drawn from :func:`permutation_seed`. The first ``must_finish``
    permutations ignore the deadline, so every game gets at least one.
    """
    u = _fresh(utility)
    warm = _warm_factory(u) if warm_start else None
    rows: list[np.ndarray] = []
    evals = 0
    truncated = 0  # permutations cut short: an enumeration with any is not the exact Shapley value
    complete = True
    for k, j in enumerate(indices):
        if orders is not None:
            order = orders[k]
        else:
            order = np.random.default_rng(permutation_seed(fold_seed, j)).permutation(n)
        out = _one_permutation(u, order, empty, full, tolerance, steps, None if k < must_finish else deadline, warm)
        if out is None:
            complete = False
            break
        rows.append(out[0])
        evals += out[1]
        truncated += out[1] < n
    counters = u.diagnostics() if isinstance(u, Utility) else {"utility_calls": evals}
    counters = {**counters, "truncated_permutations": truncated}
    marg = np.vstack(rows) if rows else np.zeros((0, n))
    return {"marginals": marg, "evaluations": evals, "complete": complete, "counters": counters}


class _FoldState:
    def __init__(self, game: Game, window: int) -> None:
        n = game.n_players
        self.game = game
        self.sums = np.zeros(n)
        self.sq = np.zeros(n)
        self.t = 0
        self.next_index = 0
        self.stop: str | None = None
        self.history: deque[np.ndarray] = deque(maxlen=window + 1)
        self.evaluations = 0
        self.change = math.inf
        self.counters: dict[str, Any] = {}

    def add(self, marg: np.ndarray, convergence: float, window: int) -> None:
        self.sums += marg
        self.sq += marg * marg
        self.t += 1
        if convergence > 0:
            mean = self.sums / self.t
            self.history.append(mean)
            if len(self.history) == window + 1:
                scale = float(np.abs(mean).sum())
                delta = float(np.abs(mean - self.history[0]).sum())
                self.change = delta / scale if scale > 0 else (0.0 if delta == 0 else math.inf)
                if self.change < convergence:
                    self.stop = "convergence"

    def merge_counters(self, c: dict[str, Any]) -> None:
        for k, v in c.items():
            if k == "first_failure":
                self.counters.setdefault(k, None)
                if self.counters[k] is None:
                    self.counters[k] = v
            else:
                self.counters[k] = self.counters.get(k, 0) + v

    def exact(self) -> bool:
        """Whether every ordering was enumerated and none truncated: the values are the Shapley values."""
        return self.stop == "all_permutations" and not self.counters.get("truncated_permutations", 0)

    def estimate(self) -> GameEstimate:
        t = max(self.t, 1)
        mean = self.sums / t
        var = np.maximum(self.sq / t - mean**2, 0.0) * (t / max(t - 1, 1))
        diag = {
            "permutations": self.t,
            "stop": self.stop,
            "utility_evaluations": self.evaluations,
            "relative_change": None if not math.isfinite(self.change) else round(self.change, 6),
            **self.counters,
        }
        # every ordering enumerated once, none truncated: the mean is the Shapley value, so it has no error; one
        # sampled permutation (a --time-budget stop) gives no estimate of it at all (NaN, not 0). An enumeration
        # with truncated orderings (a checkpoint of a run before enumerations stopped truncating) is not exact:
        # its orderings' spread is given as if they were a sample, so its stderr does not claim 0
        if self.exact():
            stderr = np.zeros_like(mean)
        elif self.t < 2:
            stderr = np.full_like(mean, np.nan)
        else:
            stderr = np.sqrt(var / t)
        return GameEstimate(mean, stderr, self.t, self.stop or "max_permutations", diag)

    def dump(self, i: int) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON state and arrays of fold ``i`` for a checkpoint (permutations ``0..t-1`` are merged)."""
        n = self.game.n_players
        hist = np.vstack(list(self.history)) if self.history else np.zeros((0, n))
        meta = {
            "t": self.t, "stop": self.stop, "evaluations": self.evaluations,
            "change": self.change if math.isfinite(self.change) else None, "counters": self.counters,
        }
        return meta, {f"f{i}.sums": self.sums, f"f{i}.sq": self.sq, f"f{i}.history": hist}

    def restore(self, i: int, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Inverse of :meth:`dump`: continue from permutation ``t`` as if never stopped.

        Raises ``ValueError`` (or ``KeyError``, ``TypeError``) when the saved state does not fit this fold."""
        n = self.game.n_players
        saved = {name: arrays[f"f{i}.{name}"] for name in ("sums", "sq", "history")}
        for name, arr in saved.items():  # (a float64 array is what dump writes: a complex or integer one is not ours)
            if np.asarray(arr).dtype != np.float64:
                raise ValueError(f"fold {i + 1}: its {name} array holds {np.asarray(arr).dtype}, not float64")
        sums, sq, hist = (np.array(saved[name], dtype=np.float64) for name in ("sums", "sq", "history"))
        t = meta["t"]
        for name, arr, ok in (("sums", sums, sums.shape == (n,)), ("sq", sq, sq.shape == (n,)),
                              ("history", hist, hist.ndim == 2 and hist.shape[1] == n)):
            if not ok:
                raise ValueError(f"fold {i + 1}: its {name} array has shape {arr.shape}; the fold has {n} rows")
        if not (np.isfinite(sums).all() and np.isfinite(sq).all() and np.isfinite(hist).all()):
            raise ValueError(f"fold {i + 1}: its sums hold NaN or infinite values")
        if isinstance(t, bool) or not isinstance(t, int) or t < 0:
            raise ValueError(f"fold {i + 1}: {t!r} permutations")
        stop, window = meta["stop"], (self.history.maxlen or 1) - 1
        if stop not in (None, *STOPS) or (stop == "convergence" and t <= window) or (stop is not None and t < 1):
            raise ValueError(f"fold {i + 1}: stopped by {stop!r} after {t} permutations")
        counters = dict(meta["counters"])
        for key, value in counters.items():
            if key == "first_failure" and not (value is None or isinstance(value, str)):
                raise ValueError(f"fold {i + 1}: its first failure is {value!r}")
            if key != "first_failure" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"fold {i + 1}: its counter {key!r} is {value!r}")
        evaluations, change = meta["evaluations"], meta["change"]
        if isinstance(evaluations, bool) or not isinstance(evaluations, int) or evaluations < 0:
            raise ValueError(f"fold {i + 1}: {evaluations!r} utility evaluations")
        self.sums, self.sq = sums, sq
        self.history.clear()
        self.history.extend(np.array(row) for row in hist)
        self.t = self.next_index = t
        self.stop = stop
        self.evaluations = evaluations
        self.change = math.inf if change is None else float(change)
        self.counters = counters


def _save_states(
    section: CheckpointSection, states: list[_FoldState], *, complete: bool, time_budget: float | None,
    quiet: bool = False,
) -> None:
    # (the budget is no part of the identity, a resumed run gets a fresh one; it is kept to say which budget cut a
    # method that had finished on it and is not rerun)
    state: dict[str, Any] = {"complete": complete, "time_budget": time_budget, "folds": []}
    arrays: dict[str, np.ndarray] = {}
    for i, s in enumerate(states):
        meta, arrs = s.dump(i)
        state["folds"].append(meta)
        arrays.update(arrs)
    if quiet:
        save_quietly(section, state, arrays)
    else:
        section.save(state, arrays)


def _restore_states(section: CheckpointSection, states: list[_FoldState]) -> dict[str, Any] | None:
    """Load the saved fold states into ``states`` and return the saved state; None when there is nothing to
    resume."""
    loaded = section.load()
    if loaded is None:
        return None
    state, arrays = loaded
    try:
        folds = state["folds"]
        if len(folds) != len(states):
            raise ValueError(f"{len(folds)} folds saved, this run has {len(states)}")
        for i, (s, meta) in enumerate(zip(states, folds, strict=True)):
            s.restore(i, meta, arrays)
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:
        raise section.damaged(f"{type(exc).__name__}: {exc}") from None
    if not state.get("complete"):  # a method that had finished (on its budget too) is not rerun
        for s in states:
            if s.stop == "time_budget":  # a resumed run gets a fresh --time-budget (or none), also after the last save
                s.stop = None
    log.info("tmc: resuming from %s at %s permutations per fold", section.path, [s.t for s in states])
    return state


def tmc_shapley(
    games: Sequence[Game],
    config: TMCConfig | None = None,
    *,
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: ProgressFn | None = None,
    full_scores: Sequence[float] | None = None,
    empty_scores: Sequence[float] | None = None,
    warm_start: bool = True,
    checkpoint: Checkpoint | str | os.PathLike[str] | None = None,
    checkpoint_identity: dict[str, Any] | None = None,
    started: float | None = None,
) -> list[GameEstimate]:
    """Estimate the Shapley values of several games at once by truncated Monte Carlo.

    Parameters
    ----------
    games : sequence of Game
        One game per cross-fitting fold (or any games).
    config : TMCConfig, optional
        Truncation, stops and permutations per task (``model`` and ``metric`` are
        not used here: the utility is given).
    n_jobs : int
        joblib workers (-1: every core).
    scheduler : str, optional
        Dask scheduler address or ``local``.
    progress : callable, optional
        ``progress(step, done, total)`` after each round of permutations; ``total``
        is every fold's cap (``max_permutations``) and a fold that has stopped
        (converged, time budget) counts as complete, so the last call has
        ``done == total``.
    full_scores, empty_scores : sequence of float, optional
        ``U(all)`` and ``U(empty)`` of each game when already known.
    warm_start : bool
        Refit a logistic-regression utility along each permutation from the
        previous prefix's coefficients (:func:`_warm_factory`); other models and
        plain callables always fit from scratch. The values match cold fits to
        the solver's tolerance and stay identical across ``n_jobs``.
    checkpoint : Checkpoint or path, optional
        Save each fold's state to this :class:`~dvclean.valuation._checkpoint.Checkpoint`
        (section ``tmc``) after every ``checkpoint.every`` merged permutations, when
        interrupted (``KeyboardInterrupt``, SIGTERM), and when done; and start from
        the state found there. A resumed run gives bit-identical values and standard
        errors; its ``time_budget`` starts afresh. The file is left in place (see
        :meth:`Checkpoint.remove`).
    checkpoint_identity : dict, optional
        What else must match to resume (the valuer adds the data's hash); the game
        sizes and seeds and the value-changing settings are always checked. The
        utilities themselves cannot be compared: a caller passing other utilities
        with the same sizes and seeds must use another checkpoint.
    started : float, optional
        When the caller's work began, on :func:`dvclean.valuation.loo.now`'s clock: ``time_budget``
        counts from there (the valuer passes its own start, so that building the games counts);
        from this call when omitted.

    Returns
    -------
    list of GameEstimate
        In the order of ``games``. When a game has at most ``max_permutations``
        orderings (``n! <= max_permutations``), all of them are enumerated once
        (``stop == "all_permutations"``), without truncation: this is the exact
        Shapley value, with a stderr of 0.

    Examples
    --------
    >>> w = np.array([1.0, 2.0, 3.0])
    >>> game = Game(lambda idx: float(w[idx].sum()), 3, seed=0)
    >>> est = tmc_shapley([game], TMCConfig(tolerance=0.0))[0]
    >>> est.values.round(6).tolist(), est.stop
    ([1.0, 2.0, 3.0], 'all_permutations')
    """
    if checkpoint is not None and not isinstance(checkpoint, Checkpoint):  # a path: its lock is this call's
        ck = as_checkpoint(checkpoint)
        return released_after(ck, lambda: tmc_shapley(
            games, config, n_jobs=n_jobs, scheduler=scheduler, progress=progress, full_scores=full_scores,
            empty_scores=empty_scores, warm_start=warm_start, checkpoint=ck, checkpoint_identity=checkpoint_identity,
            started=started))
    cfg = config or TMCConfig()
    start = time.perf_counter()
    # on loo.now()'s clock: the deadline is compared in worker processes too
    deadline = deadline_after(cfg.time_budget) if started is None or cfg.time_budget is None else started + cfg.time_budget
    states = [_FoldState(g, cfg.convergence_window) for g in games]
    full = [float(g.utility(np.arange(g.n_players))) for g in games] if full_scores is None else list(full_scores)
    empty = [float(g.utility(np.zeros(0, dtype=np.int64))) for g in games] if empty_scores is None else list(empty_scores)
    enum: list[np.ndarray | None] = []
    for g in games:
        if g.n_players <= 10 and math.factorial(g.n_players) <= cfg.max_permutations:
            enum.append(np.array(list(itertools.permutations(range(g.n_players))), dtype=np.int64).reshape(-1, g.n_players))
        else:
            enum.append(None)
    caps = [cfg.max_permutations if e is None else e.shape[0] for e in enum]
    total = sum(caps)
    section = None
    resumed: list[int] | None = None
    saved_budget: float | None = None  # the --time-budget of a finished run taken from the checkpoint
    ck = as_checkpoint(checkpoint)
    if ck is not None:
        identity = {
            **(checkpoint_identity or {}),
            "games": [[g.n_players, g.seed] for g in games],
            "tmc": {k: v for k, v in asdict(cfg).items() if k not in _NOT_IN_IDENTITY},
            "warm_start": warm_start,
        }
        section = ck.section("tmc", identity)
        restored = _restore_states(section, states)
        resumed = [s.t for s in states] if restored is not None else None
        if restored is not None and restored.get("complete"):
            saved_budget = restored.get("time_budget")
            if saved_budget is not None and (isinstance(saved_budget, bool) or not isinstance(saved_budget, int | float)
                                             or not 0 < saved_budget < math.inf):
                raise section.damaged(f"its time budget is {saved_budget!r}")
        for i, s in enumerate(states):  # counts no run with these settings could have saved: a damaged file
            if s.t > caps[i] or (s.stop in ("max_permutations", "all_permutations") and s.t != caps[i]):
                stopped = "not stopped" if s.stop is None else f"stopped by {s.stop}"
                raise section.damaged(f"fold {i + 1} holds {s.t} permutations, {stopped}, with a cap of {caps[i]}")
    saved = sum(s.t for s in states)  # merged permutations at the last save
    dirty = False  # True while a round's results are half-merged: no consistent state to save
    if progress:  # the bar appears when the method starts, not after its first round (minutes on large data)
        progress("tmc permutations", sum(min(s.t, caps[i]) for i, s in enumerate(states)), total)
    try:
        with runner(n_jobs, scheduler) as run:
            while True:
                active = [i for i, s in enumerate(states) if s.stop is None]
                if not active:
                    break
                per_fold = max(1, -(-run.n_workers // len(active)))
                tasks: list[tuple[Any, ...]] = []
                owners: list[int] = []
                for i in active:
                    s, g = states[i], games[i]
                    for _ in range(per_fold):
                        lo = s.next_index
                        hi = min(lo + cfg.batch_size, caps[i])
                        if lo >= hi:
                            break
                        orders = None if enum[i] is None else enum[i][lo:hi]
                        must = 1 if lo == 0 else 0
                        # an enumeration is not truncated: it is then the exact Shapley value. Truncation needs
                        # 6 in-band steps, so on n <= 10 players it skips at most n - 6 of n fits of an ordering,
                        # and it biased the values with no error to show for it: 8 players at tolerance 0.1 cut
                        # 10,080 of 40,320 orderings, saving 4.7% of the fits, and left the values summing to
                        # 0.9973 of U(all) - U(empty) (each row off by up to 5.4e-4) with a stderr of 0
                        tasks.append(
                            (g.utility, g.n_players, g.seed, list(range(lo, hi)), orders, empty[i], full[i],
                             cfg.tolerance if enum[i] is None else 0.0, cfg.truncation_steps, deadline, must,
                             warm_start)
                        )
                        owners.append(i)
                        s.next_index = hi
                results = run.map(_run_chunk, tasks)
                dirty = True
                for i, res in zip(owners, results, strict=True):
                    s = states[i]
                    s.merge_counters(res["counters"])
                    s.evaluations += res["evaluations"]
                    if s.stop is not None:
                        continue
                    conv = cfg.convergence if enum[i] is None else 0.0
                    for row in res["marginals"]:
                        s.add(row, conv, cfg.convergence_window)
                        if s.stop is not None:
                            break
                    if not res["complete"] and s.stop is None:
                        s.stop = "time_budget"
                for i in active:
                    s = states[i]
                    if s.stop is None and s.t >= caps[i]:
                        s.stop = "max_permutations" if enum[i] is None else "all_permutations"
                    if s.stop is None and expired(deadline):
                        s.stop = "time_budget"
                dirty = False
                done = sum(s.t for s in states)
                if section is not None and done - saved >= section.every:
                    _save_states(section, states, complete=False, time_budget=cfg.time_budget)
                    saved = done
                if progress:  # a stopped fold counts as complete, so the bar ends at its total
                    progress("tmc permutations", sum(caps[i] if s.stop is not None else min(s.t, caps[i])
                                                     for i, s in enumerate(states)), total)
    except BaseException:
        if section is not None and not dirty and sum(s.t for s in states) > saved:
            _save_states(section, states, complete=False, time_budget=cfg.time_budget, quiet=True)
        elif section is not None and section.path.exists():  # nothing new since the last save: say where it is
            log.warning("progress saved to %s; rerun with --resume to continue", section.path)
        raise
    if section is not None:
        _save_states(section, states, complete=True, time_budget=cfg.time_budget if saved_budget is None else saved_budget)
    out = []
    for i, (s, f, e) in enumerate(zip(states, full, empty, strict=True)):
        est = s.estimate()
        est.diagnostics.update(full_score=f, empty_score=e, seconds=round(time.perf_counter() - start, 3))
        if resumed is not None:
            est.diagnostics["resumed_from_permutation"] = resumed[i]
        if saved_budget is not None and s.stop == "time_budget":  # values of the saved run: its budget cut them
            est.diagnostics["saved_time_budget"] = saved_budget
        out.append(est)
    return out


def exact_shapley(utility: Callable[[np.ndarray], float], n: int) -> np.ndarray:
    """Exact Shapley values by enumerating all subsets (n <= 16), for tests and checks.

    Examples
    --------
    >>> exact_shapley(lambda idx: float(len(idx) >= 2), 3).round(6).tolist()
    [0.333333, 0.333333, 0.333333]
    """
    if n > 16:
        raise ValuationError(f"exact Shapley enumerates 2^n subsets; n={n} is too many (at most 16)")
    cache: dict[int, float] = {}
    for mask in range(1 << n):
        idx = np.array([i for i in range(n) if mask >> i & 1], dtype=np.int64)
        cache[mask] = float(utility(idx))
    phi = np.zeros(n)
    fact = [math.factorial(k) for k in range(n + 1)]
    for mask, u in cache.items():
        size = bin(mask).count("1")
        for i in range(n):
            if not mask >> i & 1:
                phi[i] += fact[size] * fact[n - size - 1] / fact[n] * (cache[mask | 1 << i] - u)
    return phi


def _fold_inputs(data: ValuationData, n_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]]:
    """The (players, validation, seed) of each cross-fitting fold, exactly as :func:`cross_fit` builds them."""
    folds: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]] = []

    def record(xp: np.ndarray, yp: np.ndarray, xv: np.ndarray, yv: np.ndarray, fseed: int, f: int) -> FoldResult:
        folds.append((xp, yp, xv, yv, fseed))
        return FoldResult(values=np.zeros(xp.shape[0]))

    cross_fit(data, record, n_folds=n_folds, seed=seed)
    return folds


def combine_folds(
    data: ValuationData, per_fold: Sequence[FoldResult], n_folds: int, seed: int
) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """Cross-fit precomputed per-fold results (in fold order) into one value per row."""

    def lookup(xp: np.ndarray, yp: np.ndarray, xv: np.ndarray, yv: np.ndarray, fseed: int, f: int) -> FoldResult:
        return per_fold[f]

    return cross_fit(data, lookup, n_folds=n_folds, seed=seed)


@dataclass
class TMCShapley:
    """TMC Data Shapley valuer (registry name ``tmc``).

    Parameters
    ----------
    config : TMCConfig
    crossfit : CrossFitConfig
        Folds, ``n_jobs`` and Dask ``scheduler``.
    warm_start : bool
        Warm-start logistic-regression refits along each permutation (see
        :func:`tmc_shapley`); ``False`` fits every prefix from scratch.
    """

    config: TMCConfig = field(default_factory=TMCConfig)
    crossfit: CrossFitConfig = field(default_factory=CrossFitConfig)
    warm_start: bool = True
    name: ClassVar[str] = "tmc"
    resumable: ClassVar[bool] = True  # value() takes checkpoint=
    citation: ClassVar[str] = (
        "Ghorbani & Zou, Data Shapley: Equitable Valuation of Data for Machine Learning, ICML 2019"
    )

    def __post_init__(self) -> None:
        """Refuse settings of the wrong type (a dict, another method's config) when the valuer is built."""
        check_settings(self, config=TMCConfig, crossfit=CrossFitConfig)

    def value(
        self, data: ValuationData, *, seed: int = 0, progress: ProgressFn | None = None,
        checkpoint: Checkpoint | str | os.PathLike[str] | None = None,
    ) -> ValuationResult:
        """Value every player of ``data`` (cross-fitted without a validation set).

        ``checkpoint`` (a :class:`~dvclean.valuation._checkpoint.Checkpoint` or a
        path) saves the run's progress and resumes from it: see :func:`tmc_shapley`.
        """
        check_data(self, data, seed)
        cfg, cf = self.config, self.crossfit
        started = now()  # --time-budget counts from here (loo.now()'s clock): the first imports and fits count too
        t0 = time.perf_counter()  # (diagnostics.seconds: the model's import and set-up count, as in every method's)
        # a bad --model/--metric fails here, before any work; a regression target gets RegressionUtility
        build, model_name, metric_name = utility_builder(data, cfg.model, cfg.metric)
        folds = _fold_inputs(data, cf.n_folds, seed)
        games = [Game(build(xp, yp, xv, yv, fseed), xp.shape[0], fseed) for xp, yp, xv, yv, fseed in folds]
        full = [float(g.utility(np.arange(g.n_players))) for g in games]
        empty = [float(g.utility(np.zeros(0, dtype=np.int64))) for g in games]
        for g in games:
            u = g.utility
            assert isinstance(u, Utility)
            if u.n_failures:
                raise ValuationError(
                    f"model {cfg.model!r} cannot be fitted on the data ({u.first_failure}); check --model"
                )
        estimates = tmc_shapley(
            games, cfg, n_jobs=cf.n_jobs, scheduler=cf.scheduler, progress=progress, full_scores=full, empty_scores=empty,
            started=started,
            warm_start=self.warm_start, checkpoint=checkpoint,
            checkpoint_identity=None if checkpoint is None else valuer_identity(
                self.name, data, seed, cf.n_folds if data.leave_self_out else None, {"warm_start": self.warm_start}),
        )
        per_fold = [FoldResult(e.values, e.stderr, e.diagnostics) for e in estimates]
        values, stderr, diags = combine_folds(data, per_fold, cf.n_folds, seed)
        stops = [e.stop for e in estimates]
        fits = sum(int(d.get("model_fits", 0)) for d in diags)
        failures = sum(int(d.get("fit_failures", 0)) for d in diags)
        if failures and failures >= 0.05 * max(1, fits + failures):
            log.warning(
                "tmc: %d of %d model fits raised (first: %s); their subsets were scored as constant predictions",
                failures, fits + failures, next((d.get("first_failure") for d in diags if d.get("first_failure")), None),
            )
        truncated = [int(e.diagnostics.get("truncated_permutations", 0)) for e in estimates]
        if all(s == "all_permutations" for s in stops):
            # (exact whatever --tolerance: an enumeration is never truncated; tmc_shapley)
            status = "exact" if not any(truncated) else "approximate"
        elif all(s == "convergence" for s in stops):
            status = "converged"
        else:
            status = "budget_exhausted"
        diagnostics = {
            "stop": stops,
            "permutations": [e.n_permutations for e in estimates],
            "utility_evaluations": sum(int(d.get("utility_evaluations", 0)) for d in diags),
            "model_fits": fits,
            "fit_failures": failures,
            "degenerate_subsets": sum(int(d.get("degenerate_subsets", 0)) for d in diags),
            "truncated_permutations": sum(truncated),
            "first_failure": next((d.get("first_failure") for d in diags if d.get("first_failure")), None),
            "full_scores": [round(e.diagnostics["full_score"], 6) for e in estimates],
            "relative_change": [e.diagnostics.get("relative_change") for e in estimates],
            "folds": len(estimates),
            "seconds": round(time.perf_counter() - t0, 3),
            **flat_folds([{"flat_validation": getattr(g.utility, "flat_validation", False)} for g in games]),
        }
        if any("resumed_from_permutation" in e.diagnostics for e in estimates):
            diagnostics["resumed_from"] = [e.diagnostics.get("resumed_from_permutation") for e in estimates]
        saved_budget = next((e.diagnostics["saved_time_budget"] for e in estimates if "saved_time_budget" in e.diagnostics),
                            None)
        if saved_budget is not None:  # a finished method taken from the checkpoint: the budget that made its values
            diagnostics["time_budget_from_checkpoint"] = saved_budget
            cfg = replace(cfg, time_budget=saved_budget)
        params = {**asdict(cfg), "warm_start": self.warm_start, "n_folds": cf.n_folds if data.leave_self_out else None, "n_jobs": cf.n_jobs,
                  "scheduler": cf.scheduler}
        params.update(model=model_name, metric=metric_name)
        return ValuationResult(
            method=self.name, values=values, stderr=stderr, status=status, params=params, seed=seed,
            diagnostics=diagnostics,
        )
