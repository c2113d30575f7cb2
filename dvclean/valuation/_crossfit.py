"""Cross-fitting: every row gets a value from a model-based valuer.

Model-based methods need validation points that are not players. With a separate
validation set (``--valid``) the players are all rows. Otherwise the rows are split
into F stratified folds (for a regression target, stratified on the target's
rank: :func:`target_folds`); for each fold, the other folds are the players and the
fold is the validation set, and a row's value is the mean over the F-1 folds in
which it was a player. The per-row standard error combines the spread across folds
with the within-fold standard errors the valuer reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ValuationError
from ..table import ValuationData

__all__ = ["FoldResult", "cross_fit", "fold_seeds"]


@dataclass(frozen=True)
class FoldResult:
    """What a valuer returns for one fold.

    Attributes
    ----------
    values : ndarray of shape (n_players_in_fold,)
    stderr : ndarray or None
        Standard error of each value within the fold (e.g. across permutations).
    diagnostics : dict
    """

    values: np.ndarray
    stderr: np.ndarray | None = None
    diagnostics: dict[str, Any] | None = None


FoldFn = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int], FoldResult]


def fold_seeds(seed: int, n: int) -> list[int]:
    """Independent integer seeds for ``n`` folds, derived with ``SeedSequence.spawn``."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n)]


def stratified_folds(y: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """Fold number of each row: classes spread evenly over the folds, shuffled with ``seed``.

    The classes are taken in the order of their first row, not of their codes: with the rows in
    :func:`dvclean.pipeline.canonical_order`, the folds then do not depend on the classes' names.
    """
    rng = np.random.default_rng(seed)
    fold = np.empty(y.shape[0], dtype=np.int64)
    offset = 0
    classes, first = np.unique(y, return_index=True)
    for c in classes[np.argsort(first, kind="stable")]:
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        fold[idx] = (np.arange(idx.size) + offset) % n_folds
        offset += idx.size
    return fold


def target_folds(y: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """Folds of a regression target: each run of ``n_folds`` consecutive target ranks spread over the folds.

    Every fold then covers the whole range of the target (stratification on the rank).

    Examples
    --------
    >>> f = target_folds(np.arange(10.0), 2, seed=0)
    >>> sorted(np.bincount(f).tolist())
    [5, 5]
    """
    ranks = np.empty(y.shape[0], dtype=np.int64)
    ranks[np.argsort(y, kind="stable")] = np.arange(y.shape[0])
    return stratified_folds(ranks // max(1, n_folds), n_folds, seed)


def cross_fit(
    data: ValuationData,
    fn: FoldFn,
    *,
    n_folds: int,
    seed: int,
    progress: Callable[[str, int, int], None] | None = None,
    step: str = "folds",
) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """Run ``fn`` per fold and combine the values.

    Parameters
    ----------
    data : ValuationData
    fn : callable
        ``fn(x_players, y_players, x_valid, y_valid, fold_seed, fold_number) -> FoldResult``.
    n_folds : int
        Number of stratified folds (ignored when ``data`` has a validation set).
    seed : int

    Returns
    -------
    values : ndarray of shape (n_players,)
    stderr : ndarray of shape (n_players,)
    diagnostics : list of dict, one per fold
    """
    n = data.n_players
    if not data.leave_self_out:
        assert data.x_valid is not None and data.y_valid is not None
        res = fn(data.x, data.y, data.x_valid, data.y_valid, fold_seeds(seed, 1)[0], 0)
        se = res.stderr if res.stderr is not None else np.zeros(n)
        if progress:
            progress(step, 1, 1)
        return np.asarray(res.values, dtype=np.float64), np.asarray(se, dtype=np.float64), [res.diagnostics or {}]
    if n_folds < 2:
        raise ValuationError(f"cross-fitting needs at least 2 folds; got {n_folds}")
    if getattr(data, "task", "classification") == "regression":
        if n < 2 * n_folds:
            raise ValuationError(
                f"{n} rows are too few for {n_folds} cross-fitting folds; use --folds {max(2, n // 2)} or fewer"
            )
        folds = target_folds(data.y, n_folds, seed)
        return _combine(data, fn, folds, n_folds, seed, progress, step)
    counts = np.bincount(data.y)
    present = counts[counts > 0]
    if present.min() < 2:
        small = int(np.flatnonzero(counts == present.min())[0])
        raise ValuationError(f"class {data.classes[small]!r} has a single row: stratified folds need two rows of each "
                             "class; remove the row or merge its class with another")
    # a class with fewer rows than folds: as many folds as its rows (as the out-of-fold models do; the pipeline's
    # note says so, from the diagnostics' fold count)
    n_folds = min(n_folds, int(present.min()))
    folds = stratified_folds(data.y, n_folds, seed)
    return _combine(data, fn, folds, n_folds, seed, progress, step)


def _combine(
    data: ValuationData,
    fn: FoldFn,
    folds: np.ndarray,
    n_folds: int,
    seed: int,
    progress: Callable[[str, int, int], None] | None,
    step: str,
) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
    n = data.n_players
    seeds = fold_seeds(seed, n_folds)
    sums = np.zeros(n)
    sq = np.zeros(n)
    var_within = np.zeros(n)
    hits = np.zeros(n)
    any_within = False
    diags: list[dict[str, Any]] = []
    if progress:  # (a bar's clock starts at its first report)
        progress(step, 0, n_folds)
    for f in range(n_folds):
        valid = folds == f
        players = np.flatnonzero(~valid)
        res = fn(data.x[players], data.y[players], data.x[valid], data.y[valid], seeds[f], f)
        v = np.asarray(res.values, dtype=np.float64)
        sums[players] += v
        sq[players] += v * v
        hits[players] += 1
        if res.stderr is not None:
            any_within = True
            var_within[players] += np.asarray(res.stderr, dtype=np.float64) ** 2
        diags.append(res.diagnostics or {})
        if progress:
            progress(step, f + 1, n_folds)
    mean = sums / hits
    # The standard error of the mean over folds, as in a random-effects model: a fold's estimate is the fold's
    # own value plus its sampling (permutation, subset or restart) error, so the spread of the estimates across
    # folds already holds that error; adding the within-fold error to it counted it twice (sqrt(2) too large
    # where the folds agree). The spread of 2-4 estimates is itself uncertain, and a spread below the folds'
    # mean sampling variance would say the folds differ by less than nothing: the variance per fold is the
    # larger of the two. A row that was a player in one fold only (--folds 2) has no spread: its fold's own
    # standard error is all there is (NaN, no estimate, for an exact method such as loo).
    safe = np.maximum(hits, 1)
    between = np.maximum(sq / safe - mean**2, 0.0) * hits / np.maximum(hits - 1, 1)
    own = np.sqrt(var_within) if any_within else np.full(n, np.nan)
    # (fmax: a fold without a sampling error of its own, NaN from one DVGS restart, leaves the spread to speak)
    stderr = np.where(hits >= 2, np.sqrt(np.fmax(between, var_within / safe) / safe), own)
    return mean, stderr, diags
