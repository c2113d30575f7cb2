"""Turning values into row flags (pure functions over arrays).

First rule (KNN-Shapley based), in line with Jia et al. 2019's use of negative
values to find corrupted labels:

* ``is_mislabeled``: value below ``FlagPolicy.mislabel_value_max`` (0: the row
  makes the K-NN classifier worse on the other rows) *and* the majority of the
  row's K nearest neighbours carry another label;
* ``is_hard``: the lowest-valued ``hard_fraction`` of the rows that are not
  flagged as mislabeled (those are kept away from the generator);
* ``mislabel_score`` in [0, 1] (higher = more suspicious): the mean of the row's
  value percentile from the bottom and the fraction of its K nearest neighbours
  that carry another label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import FlagPolicy

__all__ = ["RowFlags", "flag_rows", "value_ranks"]


@dataclass(frozen=True)
class RowFlags:
    """Flags of the valued rows (arrays aligned with the players)."""

    value_rank: np.ndarray
    quality: np.ndarray
    is_mislabeled: np.ndarray
    is_hard: np.ndarray
    mislabel_score: np.ndarray
    neighbor_label: np.ndarray
    neighbor_disagreement: np.ndarray


def value_ranks(values: np.ndarray) -> np.ndarray:
    """Rank 1 = lowest value (most harmful); ties keep row order."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(values.shape[0], dtype=np.int64)
    ranks[order] = np.arange(1, values.shape[0] + 1)
    return ranks


def _percentile_from_bottom(values: np.ndarray) -> np.ndarray:
    """Average-rank percentile in [0, 1]; 0 = lowest value."""
    n = values.shape[0]
    if n == 1:
        return np.zeros(1)
    order = np.argsort(values, kind="stable")
    sorted_v = values[order]
    ranks = np.empty(n, dtype=np.float64)
    # average rank over ties so equal values get equal quality
    uniq, start, counts = np.unique(sorted_v, return_index=True, return_counts=True)
    avg = start + (counts - 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return ranks / (n - 1)


def neighbor_votes(y: np.ndarray, neighbors: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Majority label of each row's neighbours and the fraction that disagree with the row.

    A tie for the majority is resolved in favour of the row's own label, then the
    lowest class code.
    """
    n, k = neighbors.shape
    if k == 0:
        return y.copy(), np.zeros(n)
    nl = y[neighbors]
    counts = np.bincount((np.arange(n)[:, None] * n_classes + nl).ravel(), minlength=n * n_classes)
    counts = counts.reshape(n, n_classes).astype(np.float64)
    counts[np.arange(n), y] += 0.5
    majority = counts.argmax(axis=1)
    disagreement = (nl != y[:, None]).mean(axis=1)
    return majority, disagreement


def flag_rows(
    values: np.ndarray, y: np.ndarray, neighbors: np.ndarray, n_classes: int, policy: FlagPolicy
) -> RowFlags:
    """Compute ranks, flags and the mislabel score of valued rows.

    Examples
    --------
    >>> v = np.array([0.3, -0.2, 0.1, 0.2])
    >>> y = np.array([0, 1, 0, 0])
    >>> nb = np.array([[2], [0], [0], [0]])
    >>> f = flag_rows(v, y, nb, 2, FlagPolicy(hard_fraction=0.34))
    >>> f.is_mislabeled.tolist(), f.is_hard.tolist()
    ([False, True, False, False], [False, False, True, False])
    """
    majority, disagreement = neighbor_votes(y, neighbors, n_classes)
    quality = _percentile_from_bottom(values)
    is_mislabeled = values < policy.mislabel_value_max
    if policy.neighbor_majority:
        is_mislabeled &= disagreement > 0.5
    candidates = np.flatnonzero(~is_mislabeled)
    n_hard = int(round(policy.hard_fraction * candidates.size))
    is_hard = np.zeros(values.shape[0], dtype=bool)
    if n_hard:
        order = candidates[np.argsort(values[candidates], kind="stable")]
        is_hard[order[:n_hard]] = True
    score = np.clip(0.5 * (1.0 - quality) + 0.5 * disagreement, 0.0, 1.0)
    return RowFlags(
        value_rank=value_ranks(values),
        quality=quality,
        is_mislabeled=is_mislabeled,
        is_hard=is_hard,
        mislabel_score=score,
        neighbor_label=majority,
        neighbor_disagreement=disagreement,
    )
