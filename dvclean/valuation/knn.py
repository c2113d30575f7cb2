"""KNN-Shapley: exact and truncated Data Shapley values of a K-nearest-neighbour classifier.

Jia, Dao, Wang, Hubis, Gurel, Li, Zhang, Spanos & Song, "Efficient
Task-Specific Data Valuation for Nearest Neighbor Algorithms", PVLDB 12(11), 2019.

For one validation point (x_t, y_t) the utility of a player set S is
``U(S) = (1/K) * #{j among the min(K, |S|) nearest neighbours of x_t in S: y_j = y_t}``
(``U(empty) = 0``; the divisor is K even when |S| < K). Sorting the N players by
distance, alpha_1 (closest) ... alpha_N, with ``m_i = 1[y_{alpha_i} = y_t]``, the exact
Shapley values are

    s_{alpha_N} = m_N / N
    s_{alpha_i} = s_{alpha_{i+1}} + (m_i - m_{i+1}) / K * min(K, i) / i

and the value of a player is the mean of ``s`` over the validation points. By
default every labelled row is a validation point for all the others and is left
out of its own ranking (so N = n - 1 and a row's own term is 0); with a separate
validation set, every player is ranked for every validation point. Efficiency:
the values sum to the mean over validation points of ``U(all players) - U(empty)``,
which in the leave-self-out mode is the leave-one-out utility of the K-NN classifier.

Ties. Neighbours are ranked by squared Euclidean distance on the standardised features,
compared at float32 precision, and the players at one distance from a validation point form a
tie group whose order is uniformly random; the values are the exact Shapley values of that game.
A player's deterministic value at place i, ``m_i c_i + sum_{q > i} m_q delta_q`` (with
``c_p = min(K, p) / (p K)``, ``delta_p = c_p - c_{p-1}``; the recursion above unrolled), averaged over
the orders of its group G (places a..b, g players, M_G matching) is

    m_i mean_G(c) + (M_G - m_i) sum_{q in G} delta_q (q - a) / (g (g - 1)) + sum_{H after G} M_H mean_H(delta)

(:func:`_recursion`; the compiled kernel does the same from the farthest group). So players that
stand alike to every validation point get equal values (symmetry), whatever their row numbers: with
ties broken by row order instead (dvclean until session 27, and the usual implementations), a
discrete table's values depended on which tied row sorts first (``benchmarks/knn_truncation.py``).
Identical rows with identical labels are still averaged (:func:`_symmetrize`, a no-op for the exact
path; the approximate path's HNSW search can split them). The neighbour lists returned for the votes
break ties by row order. Regression keeps ties by row order: the random-order form of its recursion
has pairwise terms not derived here.

Truncated version (Jia et al., Theorem 4: ``K* = max(K, ceil(1/eps))``, only the K* nearest
neighbours of each validation point are retrieved). The searches run on the distinct rows, each
standing for its copies (:class:`_Groups`; a tie among copies was settled by fetching copy after
copy: 30,000 rows on a 3^8 lattice, K = 10: 15.9 s, now 0.6 s), and return every point tied with the
K*-th row, block by block (:class:`_PointsValuer`). :func:`knn_shapley_on_points` values the tie groups that start
within the K* places as above, and takes the farther players as one tie group of known size and
label count (:func:`_far_terms`): it adds its share to the near players' values and gives its
members their value in it, so the values sum exactly to the efficiency total. Each value is within
``c_{K*}`` (``1/K*``, at most eps) of exact: the far group's share and the true tail both lie in
``[c_N - c_{K*}, 0]``, and a far player's true and modelled values both lie between 0 and
``+-c_{K*+1}`` (matching: above 0, else below). The paper's version (the K*-th and farther get 0, the
recursion runs from it) also keeps eps but sums to about 0 and ranks the far rows as ties at 0
(Spearman with exact 0.58 against 0.85 here at K* = 10; ``benchmarks/knn_truncation.py``).

Complexity: exact O(M N (d + log N)) time and O(N * chunk) memory (distances are
computed in blocks of validation rows, never as an N x N matrix); truncated
O(M (query + K*)).

Regression targets (Jia et al. 2019 state the O(N log N) exact result for
unweighted KNN regression; the recursion below is derived for dvclean and checked
against brute-force Shapley values in ``tests/test_regression.py``; the same
utility as ``knn_shapley_JW_reg_single`` in the code of Wang & Jia, "A Note on 'Efficient
Task-Specific Data Valuation for Nearest Neighbor Algorithms'", arXiv:2304.04258, 2023): the
utility of S for a validation point (x_t, y_t) is the negative squared error of
the KNN regressor, ``U(S) = -(mean of y over the min(K, |S|) nearest in S - y_t)^2``,
with ``U(empty) = -y_t^2`` (the empty set predicts 0, the mean of the standardised
target). With players sorted by distance, the Shapley difference of neighbours i
and i+1 is

    s_i - s_{i+1} = (y_{i+1} - y_i) * ((y_i + y_{i+1}) e_2(i) + 2 E_A(i) - 2 y_t e_1(i))

where, with ``m = min(K, |S| + 1)`` and S a uniformly random coalition of the
other N-2 players in Shapley's weighting, ``e_p(i) = E[1{i in the top K} / m^p]``
and ``E_A(i) = E[1{i in the top K} A / m^2]`` (A: the sum of the other K-1
nearest targets in S). They have closed forms that need only prefix and suffix
sums of the sorted targets (see :func:`_regression_recursion`), so each
validation point costs O(N log N) for the sort and O(N) for the values, as in the
classification case. The farthest player's value, the start of the recursion,
sums the K-1 coalition sizes where it counts, O(K).

The approximate path (above ``--exact-max-rows``) cannot simply give the far
players 0 as in classification: a far row with an extreme target still pulls the
predictions of small coalitions away from the mean, at every validation point, and
that systematic part dominates the sum. So every player gets, at every validation
point, the value it would have as the farthest player (a quadratic polynomial in
its target and the validation target, summed over all validation points in closed
form), and the K* nearest get the recursion started from the K*-th one's
farthest-player value instead (:func:`knn_shapley_regression_truncated`). It has
**no eps guarantee**; measured against exact (N = 2000, K = 5, leave-self-out,
20 targets shifted by 4 std): K* = 10 Pearson 0.92 / Spearman 0.83, K* = 50 Pearson
0.97 / Spearman 0.89, and 17 (K* = 10) to 19 (K* = 50) of the 20 shifted rows among
the 20 lowest values (exact: 20).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np

from ..config import KNNConfig
from ..errors import ValuationError
from ..table import ValuationData, row_bit_hashes, row_bytes, rows_all_distinct
from ._base import ValuationResult, check_data, check_settings
from ._models import native_limits
from ._parallel import native_thread_cap

__all__ = [
    "KNNShapley",
    "knn_shapley_exact",
    "knn_shapley_regression",
    "knn_shapley_regression_truncated",
    "knn_shapley_truncated",
    "nearest_neighbors",
]

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]
#: Below this many players the numpy path is used (no JIT compilation on small data).
NUMBA_MIN_PLAYERS = 2000  # (measured: numpy 1.3x slower at 2,000 rows, 4x at 3,900, kernel load included; faster at 1,000)
#: Accumulators of the compiled kernel: validation row ``r`` adds into lane ``r % KERNEL_LANES``, and
#: the lanes share the threads. A fixed count (not the number of cores) keeps the order of every float
#: sum, so the values are bit-identical on any machine; it bounds the kernel's parallelism at 32 threads
#: and costs 32 x n float64 (5 MB at the 20,000 rows where ``auto`` stops using the exact path).
KERNEL_LANES = 32
_BLOCK_BYTES = 64 * 2**20
#: Entries (validation rows x places) :func:`_recursion` values at a time.
RECURSION_BLOCK = 2**20


def _noop(step: str, done: int, total: int) -> None:
    return None


def _centered(x: np.ndarray, x_valid: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """``x`` and ``x_valid`` moved by ``x``'s mean when the points lie far from the origin compared with their
    spread: the distances are unchanged, but ``|a|^2 + |b|^2 - 2 a.b`` (:func:`_sq_dist`, the compiled kernel)
    loses every digit to cancellation when ``|x|`` dwarfs the distances (the same cloud shifted by 1e5 gave values
    summing to 0.60 instead of 0.95). Standardised features (the pipeline's) are returned as they are. The shift is
    the mean rounded to a multiple of a power of two no larger than the spread, so that points on a grid (whole
    numbers, halves) stay on it and their tied distances stay exactly equal: a shift by 1.0133 made 1 and 3 unequal
    distances from 2 by one unit in the last place, on some processors' BLAS kernels and not others."""
    if x.shape[0] == 0:
        return x, x_valid
    center = x.mean(axis=0)
    spread = float(x.std(axis=0).max(initial=0.0))
    if not np.abs(center).max(initial=0.0) > spread:
        return x, x_valid
    step = 2.0 ** np.floor(np.log2(spread)) if spread > 0 else 1.0
    center = np.round(center / step) * step
    return x - center, None if x_valid is None else x_valid - center


def _check_finite(x: np.ndarray, x_valid: np.ndarray | None) -> None:
    """Refuse features with a missing or infinite value (the compiled kernel would take a NaN distance for 0)."""
    for name, a in (("x", x), ("x_valid", x_valid)):
        if a is not None and not np.isfinite(a).all():
            bad = np.flatnonzero(~np.isfinite(a).all(axis=1))
            raise ValuationError(f"{name} has a missing or infinite value in row {bad[0]} ({bad.size} rows); impute "
                                 "or drop those rows first")


def _snap(dims: int) -> float:
    """The share of ``|a|^2 + |b|^2`` below which ``|a|^2 + |b|^2 - 2 a.b`` is rounding, not distance: a bound on
    the error of the dot product of ``dims`` terms and the sums (a few units in the last place each). Distances under
    it are measured again as ``sum((a - b)^2)`` (:func:`_near_sq_dist`), which is exactly 0 for copies of one point,
    so that they are tied whatever order the BLAS kernel adds the products in (it adds them differently for different
    columns: two copies came out 0 and 1.1e-16), and right for points closer than the rounding (two points 3e-6
    apart in 200 dimensions, or whole numbers near 1e7 one apart, came out 0)."""
    return float((dims + 4) * np.finfo(np.float64).eps)


def _near_sq_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``sum((a - b)^2)`` of paired rows, adding the columns in order, as the compiled kernel does (the same
    rounding)."""
    out = np.zeros(a.shape[0], dtype=np.float64)
    for c in range(a.shape[1]):
        diff = a[:, c] - b[:, c]
        out += diff * diff
    return out


#: Odd multipliers of :func:`row_hashes` (fixed: the hashes, and so the distances, do not depend on a seed).
_HASH_MULTIPLIERS = np.random.default_rng(0x5EED).integers(1, 2**63, size=4096, dtype=np.uint64) | np.uint64(1)


def row_hashes(x: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row's float64 bit pattern (sum of the bits times fixed odd multipliers, modulo 2**64):
    equal rows hash equal, so copies among the pairs within the rounding (:func:`_snap`) are set to 0 without being
    measured again (a table of 95% copies of one row measured 8 million pairs in a block: 12x the time). Two
    different rows collide with probability about 2**-63 per pair, and only pairs already closer than the rounding
    are compared."""
    bits = np.ascontiguousarray(x, dtype=np.float64).view(np.uint64)
    mult = _HASH_MULTIPLIERS[np.arange(bits.shape[1]) % _HASH_MULTIPLIERS.size]
    return (bits * mult).sum(axis=1, dtype=np.uint64)


def _sq_dist(a: np.ndarray, b: np.ndarray, b_sq: np.ndarray, b_hash: np.ndarray | None = None) -> np.ndarray:
    # same expression, operation for operation, as the compiled kernel
    norms = (a * a).sum(axis=1)[:, None] + b_sq[None, :]
    d = norms - 2.0 * (a @ b.T)
    r, j = np.nonzero(d <= norms * _snap(a.shape[1]))
    if r.size:
        copies = row_hashes(a)[r] == (row_hashes(b) if b_hash is None else b_hash)[j]
        d[r[copies], j[copies]] = 0.0
        r, j = r[~copies], j[~copies]
    block = max(1, 2**22 // max(1, a.shape[1]))  # (gathered pairs: about 32 MB at a time)
    for t in range(0, r.size, block):
        d[r[t:t + block], j[t:t + block]] = _near_sq_dist(a[r[t:t + block]], b[j[t:t + block]])
    return d


def _weights(k: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """``c_p = min(K, p) / (p K)`` for the places p = 1..length and its steps ``delta_p = c_p - c_{p-1}``
    (``delta_1 = 0``; it is never used)."""
    p = np.arange(1, length + 1, dtype=np.float64)
    c = np.minimum(k, p) / (p * k)
    delta = np.zeros(length)
    delta[1:] = c[1:] - c[:-1]
    return c, delta


def _recursion(m: np.ndarray, k: int, dist: np.ndarray | None = None) -> np.ndarray:
    """Values in sorted order for a block of validation rows: ``m`` (c x L) the label matches of the players
    sorted by distance, ``dist`` (c x L, float32) their distances, equal distances a tie group (``None``: no ties).

    With all N players (L = N) the values are exact; with the L nearest (the truncated path) the places
    beyond L are left out: a player at place p there is worth at most ``c_p`` in absolute value, so every
    value is within ``c_L`` (``1 / L`` for L >= K) of exact. In a tie group G (places a..b, g players,
    ``M_G`` of them matching), every order of G is equally likely, and a player's value is
    ``m_i mean_G(c) + (M_G - m_i) * sum_{q in G} delta_q (q - a) / (g (g - 1)) + sum_{H after G} M_H mean_H(delta)``:
    the deterministic value ``m_i c_i + sum_{q > i} m_q delta_q`` averaged over the orders."""
    c_rows, length = m.shape
    step = max(1, RECURSION_BLOCK // max(1, length))
    if c_rows > step:  # (a dozen block-sized arrays live at once below)
        return np.concatenate([_recursion(m[a:a + step], k, None if dist is None else dist[a:a + step])
                               for a in range(0, c_rows, step)])
    cw, delta = _weights(k, length)
    if c_rows == 0 or length == 0:
        return np.zeros_like(m)
    # without ties: m_i c_i + the suffix sum of m_q delta_q
    out = m * cw
    out[:, :-1] += np.cumsum((m * delta)[:, ::-1], axis=1)[:, ::-1][:, 1:]
    tied = np.zeros(c_rows, dtype=bool) if dist is None else (dist[:, 1:] == dist[:, :-1]).any(axis=1)
    if tied.any():
        out[tied] = _tied_rows(m[tied], dist[tied], cw, delta)
    return out


def _tied_rows(m: np.ndarray, dist: np.ndarray, cw: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """:func:`_recursion` for rows with ties (``cw``, ``delta``: :func:`_weights`)."""
    c_rows, length = m.shape
    start = np.empty((c_rows, length), dtype=bool)
    np.not_equal(dist[:, 1:], dist[:, :-1], out=start[:, 1:])
    start[:, 0] = True
    flat = start.ravel()
    gid = np.cumsum(flat) - 1
    pos = np.tile(np.arange(length), c_rows)
    first = pos[flat]  # each group's first place (0-based)
    size = np.bincount(gid).astype(np.float64)
    matches = np.bincount(gid, weights=m.ravel())
    mean_c = np.bincount(gid, weights=np.tile(cw, c_rows)) / size
    d_all = np.tile(delta, c_rows)
    within = np.bincount(gid, weights=d_all * (pos - first[gid]))
    pair = np.divide(within, size * (size - 1), out=np.zeros_like(within), where=size > 1)
    # each place's share of the later groups' sum: delta_q times its group's mean match
    share = (d_all * (matches / size)[gid]).reshape(c_rows, length)
    suffix = np.zeros((c_rows, length + 1))
    suffix[:, :length] = np.cumsum(share[:, ::-1], axis=1)[:, ::-1]
    last = first + size.astype(np.int64) - 1  # each group's last place
    row = np.repeat(np.arange(c_rows), length)[flat]
    after = suffix[row, last + 1]
    mf = m.ravel()
    return (mf * mean_c[gid] + (matches[gid] - mf) * pair[gid] + after[gid]).reshape(c_rows, length)


def _chunk_rows(n: int, chunk_size: int | None) -> int:
    if chunk_size is not None:
        return chunk_size
    return max(1, min(4096, _BLOCK_BYTES // (8 * max(n, 1))))


def knn_shapley_exact(
    x: np.ndarray,
    y: np.ndarray,
    k: int,
    *,
    x_valid: np.ndarray | None = None,
    y_valid: np.ndarray | None = None,
    chunk_size: int | None = None,
    engine: str = "auto",
    progress: ProgressFn = _noop,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Exact KNN-Shapley values of every player.

    Parameters
    ----------
    x : ndarray of shape (n, d)
        Player features.
    y : ndarray of shape (n,)
        Integer class codes of the players.
    k : int
        K of the KNN classifier.
    x_valid, y_valid : ndarray, optional
        Validation points; when omitted every player is a validation point for
        all the others (leave-self-out).
    chunk_size : int, optional
        Validation rows per distance block.
    engine : {"auto", "numpy", "numba"}
        ``auto`` uses the compiled kernel from ``NUMBA_MIN_PLAYERS`` players on.
    progress : callable, optional
        Called as ``progress("knn", done, total)``.

    Returns
    -------
    values : ndarray of shape (n,)
    neighbors : ndarray of shape (n, min(k, n-1)) or None
        In leave-self-out mode, each player's k nearest other players.

    Examples
    --------
    >>> x = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> values, _ = knn_shapley_exact(x, np.array([0, 0, 1, 1]), k=1)
    >>> bool(values.sum() > 0)
    True
    """
    n = x.shape[0]
    self_mode = x_valid is None
    _check_finite(x, x_valid)
    x, x_valid = _centered(x, x_valid)
    xv = x if self_mode else x_valid
    yv = y if self_mode else y_valid
    assert xv is not None and yv is not None
    m_total = xv.shape[0]
    n_rank = n - 1 if self_mode else n
    if n_rank < 1:
        raise ValuationError("KNN-Shapley needs at least two labelled rows")
    if m_total == 0:
        raise ValuationError("the validation set has no rows: give at least one, or none (leave-self-out)")
    use_numba = engine == "numba" or (engine == "auto" and n >= NUMBA_MIN_PLAYERS)
    kernel = _load_kernel() if use_numba else None
    lane_acc = np.zeros((KERNEL_LANES, n), dtype=np.float64) if kernel is not None else None
    x_sq = (x * x).sum(axis=1)
    acc = np.zeros(n, dtype=np.float64)
    kk = min(k, n_rank)
    neighbors = np.empty((n, kk), dtype=np.int64) if self_mode else None
    step = _chunk_rows(n, chunk_size)
    labels = np.ascontiguousarray(y, dtype=np.int64)
    gram_buf = np.empty((min(step, m_total), n), dtype=np.float64) if kernel is not None else None
    x_c = np.ascontiguousarray(x, dtype=np.float64) if kernel is not None else x
    x_hash = row_hashes(x)
    # one BLAS thread, in both engines: the gram of a chunk is a small share of the work, and BLAS threads left
    # spinning after it slowed the kernel's own threads by 1.4x on 2 cores (12,000 rows); and the gram's rounding
    # depends on the threads (near-copies 3e-6 apart came out in another order), so the two engines and any machine
    # measure the same distances
    progress("knn", 0, m_total)  # (a bar's clock starts at its first report)
    with native_limits(1, user_api="blas"):
        for t0 in range(0, m_total, step):
            t1 = min(m_total, t0 + step)
            rows = np.arange(t1 - t0)
            if kernel is not None:
                assert gram_buf is not None
                a = xv[t0:t1]
                gram = gram_buf[: t1 - t0]
                np.matmul(a, x.T, out=gram)
                self_idx = np.arange(t0, t1, dtype=np.int64) if self_mode else np.full(t1 - t0, -1, dtype=np.int64)
                topk = np.empty((t1 - t0, kk), dtype=np.int64)
                yv_chunk = np.ascontiguousarray(yv[t0:t1], dtype=np.int64)
                kernel(gram, (a * a).sum(axis=1), x_sq, labels, yv_chunk, self_idx, k, KERNEL_LANES, lane_acc, topk,
                       _snap(x.shape[1]), np.ascontiguousarray(a, dtype=np.float64), x_c, row_hashes(a), x_hash)
            else:
                d = _sq_dist(xv[t0:t1], x, x_sq, x_hash)
                if self_mode:
                    d[rows, t0 + rows] = np.inf
                d32 = d.astype(np.float32)
                order = np.argsort(d32, axis=1, kind="stable")
                if self_mode:  # (its own column, wherever it sorted: distances overflowing float32 are inf too)
                    order = order[order != (t0 + rows)[:, None]].reshape(t1 - t0, n - 1)
                m = (labels[order] == yv[t0:t1, None]).astype(np.float64)
                s = _recursion(m, k, np.take_along_axis(d32, order, axis=1))
                acc += np.bincount(order.ravel(), weights=s.ravel(), minlength=n)
                topk = order[:, :kk]
            if neighbors is not None:
                neighbors[t0:t1] = topk
            progress("knn", t1, m_total)
    if lane_acc is not None:
        acc += lane_acc.sum(axis=0)
    return acc / m_total, neighbors


def _load_kernel() -> Callable[..., None] | None:
    try:
        from ._knn_kernel import knn_shapley_rows
    except Exception as exc:  # pragma: no cover - numba is a dependency
        log.warning("numba kernel unavailable (%s); using the slower numpy path", exc)
        return None
    return knn_shapley_rows  # type: ignore[no-any-return]


#: ``neighbors="auto"``: exact brute force up to this many rows x queries (leave-self-out: 20,000 rows).
BRUTE_MAX_PAIRS = 4e8
#: ``neighbors="auto"``: the KD-tree at any size up to this dimension. Its queries slow down sharply
#: with the dimension (leave-self-out, Gaussian features, 2 cores: 50,000 rows at 6 dimensions 4.3 s,
#: HNSW 3.5 s; at 8, 9.0 s vs 3.3 s; at 10, 49 s vs 3 s; 100,000 rows at 10, 5 minutes).
KDTREE_ANY_SIZE_DIMS = 6
#: Queries per block of :func:`nearest_neighbors` (a progress step; the result does not depend on it).
QUERY_BLOCK = 8192


def auto_backend(n: int, n_queries: int, d: int, kdtree_max_dims: int = 12) -> str:
    """The search ``neighbors="auto"`` uses for ``n`` players, ``n_queries`` queries and ``d`` dimensions.

    >>> auto_backend(2_000, 2_000, 10), auto_backend(100_000, 100_000, 10), auto_backend(100_000, 100_000, 4)
    ('kdtree', 'hnsw', 'kdtree')
    >>> auto_backend(2_000, 2_000, 50), auto_backend(100_000, 100_000, 50)
    ('brute', 'hnsw')
    """
    small = n * n_queries <= BRUTE_MAX_PAIRS
    if d <= KDTREE_ANY_SIZE_DIMS or (small and d <= kdtree_max_dims):
        return "kdtree"
    return "brute" if small else "hnsw"


def nearest_neighbors(
    x: np.ndarray,
    queries: np.ndarray | None,
    k: int,
    *,
    backend: str = "auto",
    kdtree_max_dims: int = 12,
    seed: int = 0,
    n_jobs: int | None = None,
    on_block: Callable[[int, int], None] | None = None,
    return_distance: bool = False,
    on_index: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, str] | tuple[np.ndarray, np.ndarray, str]:
    """Indices of the k nearest players of each query, closest first.

    With ``queries=None`` the players are the queries and each one's own index is
    removed from its list (leave-self-out). ``on_block(done, total)`` is called after
    each block of :data:`QUERY_BLOCK` queries (a progress bar; the result does not
    depend on the blocks); the HNSW search calls ``on_index(0, 1)`` as it starts building its index and
    ``on_index(1, 1)`` when the index is built (at 50,000 rows the build is more than half the search's time, in
    which no query is answered).

    Returns
    -------
    indices : ndarray of shape (n_queries, k)
    distances : ndarray of shape (n_queries, k), only with ``return_distance``
        Their squared distances at float32 precision, measured as the exact path
        measures them: equal ones are the ties :func:`knn_shapley_truncated` values
        over their orders.
    backend : str
        The search that was used (``kdtree``, ``brute`` or ``hnsw``).
    """
    idx, dist, used = _search(x, queries, k, backend=backend, kdtree_max_dims=kdtree_max_dims, seed=seed,
                              n_jobs=n_jobs, on_block=on_block, on_index=on_index)
    return (idx, dist, used) if return_distance else (idx, used)


class _PointsValuer:
    """Truncated KNN-Shapley on the distinct points (:func:`knn_shapley_on_points`), fed block by block by the
    search (:func:`_search`): each block of queries brings, for every query, its distinct players (points of
    :class:`_Groups`) up to the k-th row and every point tied with it, closest first (ties by point number),
    valued at once by the compiled kernel and dropped, so memory stays that of a block. A tie spanning more than
    ``TIE_FETCH_FACTOR * k`` points is cut."""

    def __init__(self, y: np.ndarray, y_valid: np.ndarray, k: int, kstar: int) -> None:
        self.y = np.asarray(y, dtype=np.int64)
        self.y_valid = np.asarray(y_valid, dtype=np.int64)
        self.k, self.kstar = k, kstar

    def start(self, groups: _Groups, back: np.ndarray, self_mode: bool) -> None:
        """The search's distinct points and each validation row's query (``back``)."""
        y = self.y
        self.groups, self.self_mode = groups, self_mode
        self.n_classes = int(max(y.max(initial=0), self.y_valid.max(initial=0))) + 1
        self.row_key = groups.inverse.astype(np.int64) * self.n_classes + y
        self.keys, key_count = np.unique(self.row_key, return_counts=True)
        self.key_count = key_count.astype(np.int64)
        self.key_start = np.searchsorted(self.keys, np.arange(groups.points.shape[0] + 1) * self.n_classes)
        self.n_rank = y.shape[0] - 1 if self_mode else y.shape[0]
        self.pre = _prefix_weights(self.k, self.n_rank)
        self.count = groups.count.astype(np.int64)
        self.class_total = np.bincount(y, minlength=self.n_classes).astype(np.float64)
        self.base = np.zeros(groups.points.shape[0])
        self.bonus = np.zeros(self.keys.shape[0])
        self.corr = np.zeros(self.y_valid.shape[0])
        self.far_all, self.far_label = np.zeros(1), np.zeros(self.n_classes)
        # the validation rows by query, to hand each block its own
        self.by_query = np.argsort(back, kind="stable")
        self.bounds = np.searchsorted(back[self.by_query], np.arange(int(back.max(initial=-1)) + 2))
        self.back = back

    def block(self, first: int, owner: np.ndarray, points: np.ndarray, dist: np.ndarray, size: int) -> None:
        """Value the validation rows of queries ``first .. first + size - 1``: ``owner`` (numbered from
        ``first``), ``points`` and ``dist`` list every query's points, each query's closest first."""
        from ._knn_kernel import truncated_on_points

        order = np.argsort(owner, kind="stable")
        ptr = np.concatenate(([0], np.cumsum(np.bincount(owner - first, minlength=size))))
        last = min(first + size, self.bounds.shape[0] - 1)
        rows = self.by_query[self.bounds[min(first, last)]:self.bounds[last]]
        corr = np.zeros(rows.shape[0])
        self_point = self.back[rows] if self.self_mode else np.full(rows.shape[0], -1, dtype=np.int64)
        truncated_on_points(ptr, points[order], dist[order], self.back[rows] - first, self_point, self.y_valid[rows],
                            self.count, self.keys, self.key_count, self.key_start, self.n_classes, self.kstar,
                            self.n_rank, self.class_total, *self.pre, self.base, self.bonus, corr, self.far_all, self.far_label)
        self.corr[rows] += corr

    def values(self) -> np.ndarray:
        """Every player's value (the mean over the validation rows)."""
        y = self.y
        values = self.base[self.groups.inverse] + self.bonus[np.searchsorted(self.keys, self.row_key)]
        values = values + self.far_all[0] + self.far_label[y]
        if self.self_mode:  # (with a validation file corr is the validation rows', all 0)
            values = values + self.corr
        return values / self.y_valid.shape[0]


def _search(
    x: np.ndarray,
    queries: np.ndarray | None,
    k: int,
    *,
    backend: str = "auto",
    kdtree_max_dims: int = 12,
    seed: int = 0,
    n_jobs: int | None = None,
    on_block: Callable[[int, int], None] | None = None,
    valuer: _PointsValuer | None = None,
    on_index: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, str]:
    """The search of :func:`nearest_neighbors`; with the KD-tree and brute-force searches a ``valuer`` is also
    handed each block of queries' points (:class:`_PointsValuer`)."""
    n, d = x.shape
    self_mode = queries is None
    # (moved by the mean when far from the origin, as the exact path does: the distances are the same, but the HNSW
    # path's re-measurement, |q|^2 + |x|^2 - 2 q.x, and sklearn's brute force lose digits and part ties there)
    x, queries = _centered(x, queries)
    q = x if queries is None else queries
    k = min(k, n - 1 if self_mode else n)
    kq = k + 1 if self_mode else k
    groups = queries_u = back = None
    if backend != "hnsw":
        groups = _Groups.of(x)
        # identical rows are searched once: a tie among many copies would otherwise be fetched copy by copy
        queries_u, back = (groups.points, groups.inverse) if self_mode else _unique_rows(q)
    if backend == "auto":
        # sized by the distinct points the KD-tree and brute force search (a discrete table of many rows has few)
        backend = auto_backend(groups.points.shape[0], queries_u.shape[0], d, kdtree_max_dims)
    if backend == "hnsw":
        groups = queries_u = back = None  # (the distinct points, a copy of x, are not searched: free them first)
        idx, dist = _hnsw_search(x, q, kq, seed, on_block, on_index)
    else:
        from sklearn.neighbors import NearestNeighbors

        algo = "kd_tree" if backend == "kdtree" else "brute"
        n_u = groups.points.shape[0]
        nn = NearestNeighbors(n_neighbors=min(kq, n_u), algorithm=algo,
                              n_jobs=n_jobs or native_thread_cap() or os.cpu_count() or 1)
        nn.fit(groups.points)
        top = np.empty((queries_u.shape[0], kq), dtype=np.int64)
        top_d = np.empty((queries_u.shape[0], kq), dtype=np.float32)
        if valuer is not None:
            valuer.start(groups, back, self_mode)
        if on_block is not None:  # (a bar's clock starts as the queries do)
            on_block(0, q.shape[0])
        step = QUERY_BLOCK
        for a in range(0, queries_u.shape[0], step):
            b = min(a + step, queries_u.shape[0])
            found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = [] if valuer is not None else None
            top[a:b], top_d[a:b] = _ranked(nn, groups, queries_u[a:b], kq, found, a)
            if valuer is not None and found:
                valuer.block(a, *(np.concatenate(part) for part in zip(*found, strict=True)), b - a)
            if on_block is not None:  # (in queries, as many as the caller asked about, not distinct ones)
                on_block(b * q.shape[0] // queries_u.shape[0], q.shape[0])
        idx, dist = top[back], top_d[back]
    if self_mode:
        idx, dist = _drop_self(idx, dist)
    return idx, dist, backend


#: :func:`_ranked` fetches at most this many times K distinct points to settle a tie at the K-th place.
TIE_FETCH_FACTOR = 64


def _unique_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``x`` (in order of first appearance) and each row's index among them.

    Rows are equal when their float64 bit patterns are (after ``+ 0.0``, which makes -0.0 the bits of 0.0). They
    are grouped by a 64-bit hash of those bits (:func:`dvclean.table.row_bit_hashes`), and each
    row found equal in hash to the one before it is compared with it bit for bit; only if two different rows share
    a hash (about 2**-63 per pair) are the rows' whole bit patterns sorted instead. Sorting them always made three
    copies of ``x`` at once: 1.5 GB more than ``x`` at 1,000,000 rows of 64 encoded columns, the peak of a
    million-row score."""
    n = x.shape[0]
    if n == 0:
        return x, np.empty(0, dtype=np.int64)
    step = max(1, 2**22 // max(1, x.shape[1]))  # (rows per block: about 32 MB of float64 at a time)
    h = row_bit_hashes(x, signed_zero=False)
    order = np.argsort(h, kind="stable")  # (equal hashes keep the row order)
    sorted_h = h[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(sorted_h[1:], sorted_h[:-1], out=new[1:])
    same = np.flatnonzero(~new)
    for a in range(0, same.size, step):
        i = same[a : a + step]
        this = (np.asarray(x[order[i]], dtype=np.float64) + 0.0).view(np.uint64)
        before = (np.asarray(x[order[i - 1]], dtype=np.float64) + 0.0).view(np.uint64)
        if not np.array_equal(this, before):
            return _unique_rows_sorted(x)
    first = order[new]  # (each group's lowest row: the sort was stable)
    group = np.empty(n, dtype=np.int64)
    group[order] = np.cumsum(new) - 1
    # renumber the groups by first appearance, so that the distinct points keep the rows' order
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return np.ascontiguousarray(x[np.sort(first)], dtype=np.float64) + 0.0, rank[group]


def _unique_rows_sorted(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_unique_rows` by sorting the rows' whole bit patterns (the path for a hash shared by different rows)."""
    keys = row_bytes(x, signed_zero=False)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return np.ascontiguousarray(x[np.sort(first)], dtype=np.float64) + 0.0, rank[inverse.ravel()]


@dataclass(frozen=True)
class _Groups:
    """The rows grouped by identical features: ``points[g]`` stands for rows ``members[start[g]:start[g + 1]]``
    (ascending row numbers)."""

    points: np.ndarray
    inverse: np.ndarray
    count: np.ndarray
    start: np.ndarray
    members: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray) -> _Groups:
        points, inverse = _unique_rows(x)
        count = np.bincount(inverse, minlength=points.shape[0])
        start = np.concatenate(([0], np.cumsum(count)))
        return cls(points, inverse, count, start, np.argsort(inverse, kind="stable"))


def _ranked(nn: Any, groups: _Groups, q: np.ndarray, k: int,
            found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None,
            first_query: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows of each query ranked as the exact path ranks them: by the squared distance at
    float32 precision, ties by row order (a tree search orders equal distances its own way, and which of several
    points tied at the k-th place it returns is its choice). ``nn`` searches the distinct points of ``groups``;
    they are fetched until the last one is farther than the one that completes ``k`` rows (a query whose tie
    spans more than ``TIE_FETCH_FACTOR * k`` distinct points keeps the lowest-numbered rows of those fetched).
    Returns the rows and their float32 squared distances; ``found``, when given, receives for every query
    (numbered from ``first_query``) the points up to the k-th row's distance: (query numbers, points, distances)."""
    n_u = groups.points.shape[0]
    out = np.empty((q.shape[0], k), dtype=np.int64)
    out_d = np.empty((q.shape[0], k), dtype=np.float32)
    todo = np.arange(q.shape[0])
    width = min(n_u, k + 1)
    while todo.size:
        dist, cand = nn.kneighbors(q[todo], n_neighbors=width)
        d = (dist * dist).astype(np.float32)  # squared, at the exact path's float32 precision
        order = np.lexsort((cand, d), axis=1)
        cand = np.take_along_axis(cand, order, axis=1)
        d = np.take_along_axis(d, order, axis=1)
        # the point whose rows complete the first k (every query has at least k rows among all points)
        reach = np.argmax(np.cumsum(groups.count[cand], axis=1) >= k, axis=1)
        kth = d[np.arange(todo.size), reach]
        settled = (d[:, -1] > kth) | (width >= n_u) | (width >= TIE_FETCH_FACTOR * k)
        if settled.any():
            out[todo[settled]], out_d[todo[settled]] = _expand(groups, cand[settled], d[settled], kth[settled], k)
            if found is not None:
                near = d[settled] <= kth[settled, None]
                owner = np.repeat(first_query + todo[settled], near.sum(axis=1))
                found.append((owner, cand[settled][near], d[settled][near]))
        todo = todo[~settled]
        width = min(n_u, 2 * width)
    return out, out_d


def _expand(groups: _Groups, cand: np.ndarray, d: np.ndarray, kth: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``k`` rows by (distance, row) among the rows of each query's candidate points (sorted by distance,
    then point number), ``kth`` the distance of the point that completes ``k`` rows. A query whose points up to
    ``kth`` are single rows takes them as they are (points are numbered in the order of their first rows); the
    others expand each such point into at most ``k`` of its rows, the lowest-numbered, and sort those.
    Returns the rows and their distances."""
    take = np.minimum(groups.count[cand], k)
    take[d > kth[:, None]] = 0
    out = np.empty((cand.shape[0], k), dtype=np.int64)
    out_d = np.empty((cand.shape[0], k), dtype=np.float32)
    is_crowded = (take > 1).any(axis=1)
    single = np.flatnonzero(~is_crowded)  # (their first k points are single rows: at least k points were fetched)
    if single.size:
        out[single] = groups.members[groups.start[cand[single, :k]]]
        out_d[single] = d[single, :k]
    crowded = np.flatnonzero(is_crowded)
    per_query = take[crowded].sum(axis=1)
    reach = np.cumsum(per_query)
    a = 0
    while a < crowded.size:
        # as many queries as keep the expanded rows near 4M entries (at least one)
        b = max(a + 1, int(np.searchsorted(reach, (reach[a - 1] if a else 0) + 2**22, side="right")))
        q = crowded[a:b]
        t = take[q].ravel()
        before = np.cumsum(t) - t
        offset = np.arange(int(t.sum())) - np.repeat(before, t)
        rows = groups.members[np.repeat(groups.start[cand[q]].ravel(), t) + offset]
        owner = np.repeat(np.arange(q.size), per_query[a:b])
        dist = np.repeat(d[q].ravel(), t)
        order = np.lexsort((rows, dist, owner))
        first = np.cumsum(per_query[a:b]) - per_query[a:b]
        pick = first[:, None] + np.arange(k)
        out[q] = rows[order][pick]
        out_d[q] = dist[order][pick]
        a = b
    return out, out_d


def _drop_self(idx: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows = np.arange(idx.shape[0])[:, None]
    is_self = idx == rows
    keep = ~is_self
    no_self = ~is_self.any(axis=1)
    keep[no_self, -1] = False
    # several copies of self cannot occur (indices are unique per row)
    shape = (idx.shape[0], idx.shape[1] - 1)
    return idx[keep].reshape(shape), dist[keep].reshape(shape)


def _hnsw_search(x: np.ndarray, q: np.ndarray, k: int, seed: int,
                 on_block: Callable[[int, int], None] | None = None,
                 on_index: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The approximate k nearest of each query (faiss HNSW) and their float32 squared distances; ``on_index(0, 1)``
    and ``on_index(1, 1)`` before and after the index is built."""
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - faiss-cpu is a dependency
        raise ValuationError("approximate KNN-Shapley in high dimension needs faiss-cpu: pip install faiss-cpu") from exc
    xb = np.ascontiguousarray(x, dtype=np.float32)
    xq = xb if q is x else np.ascontiguousarray(q, dtype=np.float32)
    index = faiss.IndexHNSWFlat(xb.shape[1], 32)
    index.hnsw.efConstruction = 64
    # faiss HNSW construction is deterministic for a fixed insertion order.
    if on_index is not None:
        on_index(0, 1)
    index.add(xb)
    if on_index is not None:
        on_index(1, 1)
    if on_block is not None:  # (the queries' bar starts once the index is built)
        on_block(0, xq.shape[0])
    index.hnsw.efSearch = max(64, 2 * k)
    out = np.empty((xq.shape[0], k), dtype=np.int64)
    step = QUERY_BLOCK
    for a in range(0, xq.shape[0], step):
        _, ids = index.search(xq[a : a + step], k)
        out[a : a + step] = ids
        if on_block is not None:
            on_block(min(a + step, xq.shape[0]), xq.shape[0])
    missing = out < 0
    if missing.any():
        # fewer than k found (tiny graphs): fall back to exact search for those rows
        from sklearn.neighbors import NearestNeighbors

        rows = np.flatnonzero(missing.any(axis=1))
        nn = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(xb)
        out[rows] = nn.kneighbors(xq[rows], return_distance=False)
    # faiss measures on float32 coordinates, which parts distances equal in the exact path (two rows tied at
    # 1.5391192 came back as 1.5391191 and 1.5391194): the found rows' distances are measured again as the exact
    # path measures them, and ranked by them, ties by row number
    qd = x if q is x else q
    x_hash = row_hashes(x)
    q_hash = x_hash if qd is x else row_hashes(qd)
    out_d = np.empty(out.shape, dtype=np.float32)
    block = max(1, 2**22 // max(1, k * x.shape[1]))  # (gathered candidates: about 32 MB at a time)
    for a in range(0, out.shape[0], block):
        b = min(a + block, out.shape[0])
        qa, cand = qd[a:b], x[out[a:b]]
        norms = (qa * qa).sum(axis=1)[:, None] + (cand * cand).sum(axis=2)
        d = norms - 2.0 * np.einsum("qd,qkd->qk", qa, cand)
        r, j = np.nonzero(d <= norms * _snap(x.shape[1]))
        if r.size:
            copies = q_hash[a:b][r] == x_hash[out[a:b]][r, j]
            d[r[copies], j[copies]] = 0.0
            r, j = r[~copies], j[~copies]
            d[r, j] = _near_sq_dist(qa[r], cand[r, j])
        out_d[a:b] = d
    order = np.lexsort((out, out_d), axis=1)
    return np.take_along_axis(out, order, axis=1), np.take_along_axis(out_d, order, axis=1)


def knn_shapley_truncated(
    y: np.ndarray, y_valid: np.ndarray, neighbors: np.ndarray, k: int, n_players: int,
    distances: np.ndarray | None = None,
    *,
    self_mode: bool | None = None,
) -> np.ndarray:
    """Truncated KNN-Shapley from each validation point's K* nearest players.

    Parameters
    ----------
    y : ndarray of shape (n,)
        Player class codes.
    y_valid : ndarray of shape (m,)
        Validation class codes.
    neighbors : ndarray of shape (m, K*)
        Indices of each validation point's K* nearest players, closest first.
    k : int
    n_players : int
        Number of players ranked per validation point (N).
    distances : ndarray of shape (m, K*), optional
        Their squared distances at float32 precision (``nearest_neighbors(..., return_distance=True)``): equal
        distances are a tie group, valued over its random orders as the exact path
        does; without them every place is its own group.
    self_mode : bool, optional
        Leave-self-out (the validation points are the players, each left out of its
        own ranking); by default when ``y_valid`` is ``y``.

    Returns
    -------
    ndarray of shape (n,)
        Mean over validation points. The players beyond the K* are valued as one tie
        group of known size and label count (:func:`_far_terms`), so each value is
        within ``c_{K*}`` (``1/K*`` for K* >= K, at most eps) of exact, and exact when
        K* covers all N players. A tie group that crosses the K*-th place is valued as
        if it ended there (:func:`knn_shapley_on_points` values it whole).
    """
    m_total, length = neighbors.shape
    if self_mode is None:
        self_mode = y_valid is y
    m = (y[neighbors] == y_valid[:, None]).astype(np.float64)
    s = _recursion(m, k, None if distances is None else np.asarray(distances, dtype=np.float32))
    if length < n_players:
        n_classes = int(max(y.max(initial=0), y_valid.max(initial=0))) + 1
        m_rest = np.bincount(y, minlength=n_classes)[y_valid] - float(self_mode) - m.sum(axis=1)
        a, b, tail = _far_terms(_prefix_weights(k, n_players), n_players, np.full(m_total, length), m_rest)
        s += tail[:, None] - a[:, None] - m * b[:, None]  # the fetched rows are not in the far group
        far = a.sum() + np.bincount(y_valid, weights=b, minlength=n_classes)[y]
        if self_mode:
            far = far - a - b
    else:
        far = 0.0
    acc = np.bincount(neighbors.ravel(), weights=s.ravel(), minlength=y.shape[0]) + far
    return acc / m_total


def knn_shapley_on_points(
    x: np.ndarray,
    y: np.ndarray,
    k: int,
    kstar: int,
    *,
    x_valid: np.ndarray | None = None,
    y_valid: np.ndarray | None = None,
    backend: str = "auto",
    kdtree_max_dims: int = 12,
    seed: int = 0,
    on_block: Callable[[int, int], None] | None = None,
    on_index: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, str]:
    """Truncated KNN-Shapley of the K-NN classifier from each validation point's ``kstar`` nearest players.

    The KD-tree and brute-force searches run on the distinct rows (copies of a row are one point standing for
    its rows) and fetch every point tied with the ``kstar``-th row; the tie groups (equal float32 distances)
    whose first place is at most ``kstar`` are valued over their random orders, and the farther players as
    one tie group of known size and label count (:func:`_far_terms`). Every value is within ``c_{kstar}``
    (``1/kstar`` for kstar >= K) of exact, exact when the groups cover every player, and the values sum to the
    efficiency total; a tie spanning more than ``TIE_FETCH_FACTOR`` times the points searched for is cut
    there. With the HNSW search (approximate neighbours): :func:`knn_shapley_truncated` on the rows it finds.

    Returns
    -------
    values : ndarray of shape (n,)
    neighbors : ndarray of shape (n_queries, kstar)
        Each validation point's ``kstar`` nearest rows (ties by row order).
    backend : str
        The search used.
    """
    yv = y if y_valid is None else y_valid
    valuer = _PointsValuer(y, yv, k, kstar)
    idx, dist, used = _search(x, x_valid, kstar, backend=backend, kdtree_max_dims=kdtree_max_dims, seed=seed,
                              on_block=on_block, valuer=valuer, on_index=on_index)
    if used == "hnsw":
        n_rank = x.shape[0] - 1 if x_valid is None else x.shape[0]
        return knn_shapley_truncated(y, yv, idx, k, n_rank, dist, self_mode=x_valid is None), idx, used
    return valuer.values(), idx, used


def _prefix_weights(k: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Prefix sums over the places p = 0..n of ``c_p``, ``delta_p`` and ``p * delta_p`` (index p: the first p)."""
    c, delta = _weights(k, n)
    return tuple(np.concatenate(([0.0], np.cumsum(v))) for v in (c, delta, np.arange(1, n + 1) * delta))  # type: ignore[return-value]


def _far_terms(pre: tuple[np.ndarray, np.ndarray, np.ndarray], n_rank: int, place: np.ndarray,
               m_rest: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The players beyond the first ``place`` of each validation row taken as one tie group of ``n_rank - place``
    players, ``m_rest`` of them matching: ``(A, B, tail)``, a member's value being ``A + B`` when it matches and
    ``A`` otherwise, and ``tail`` the group's share of every nearer player's value."""
    cpre, dpre, qpre = pre
    rest = (n_rank - place).astype(np.float64)
    dsum = dpre[n_rank] - dpre[place]
    pair = np.divide((qpre[n_rank] - qpre[place]) - (place + 1) * dsum, rest * (rest - 1),
                     out=np.zeros_like(rest), where=rest > 1)
    safe = np.maximum(rest, 1.0)
    a = np.where(rest > 0, m_rest * pair, 0.0)
    b = np.where(rest > 0, (cpre[n_rank] - cpre[place]) / safe - pair, 0.0)
    tail = np.where(rest > 0, m_rest * dsum / safe, 0.0)
    return a, b, tail


def _regression_recursion(
    ys: np.ndarray, yt: np.ndarray, k: int, n_total: int, total: np.ndarray, total_sq: np.ndarray
) -> np.ndarray:
    """KNN-Shapley values of KNN regression, in sorted order, for a block of validation points.

    Parameters
    ----------
    ys : ndarray of shape (c, L)
        Targets of the players sorted by distance to each validation point, closest
        first: all N players (exact) or the L = K* nearest (truncated: the others get 0).
    yt : ndarray of shape (c,)
        Validation targets.
    k : int
    n_total : int
        N, the number of players ranked per validation point.
    total, total_sq : ndarray of shape (c,)
        Sum and sum of squares of the targets of all N players.

    Returns
    -------
    ndarray of shape (c, L)
    """
    c, length = ys.shape
    n = n_total
    out = np.zeros((c, length))
    if n == 1:
        out[:, 0] = yt**2 - (ys[:, 0] - yt) ** 2
        return out
    kf = float(k)
    m2 = n - 2  # players other than the adjacent pair i, i+1
    kk = min(k, n - 1)
    j = np.arange(1, kk + 1, dtype=np.float64)
    h1, h2 = float((1.0 / j).sum()), float((1.0 / j**2).sum())
    i = np.arange(1, length, dtype=np.float64)  # positions 1..L-1 of the pair (i, i+1)
    # P(i in the top K of S + i) summed over coalition sizes, beyond the sizes < K where it is certain
    extra = (n - 1) * np.minimum(kf, i) / i - kk
    e1 = (h1 + extra / kf) / (n - 1)
    e2 = (h2 + extra / kf**2) / (n - 1)
    small = max(0, min(k - 1, m2))  # coalition sizes 1..small hold fewer than K players
    sz = np.arange(1, small + 1, dtype=np.float64)
    g = float((sz / (sz + 1) ** 2).sum())
    c0 = small * (small + 1) / (2.0 * m2 * (n - 1)) if m2 > 0 else 0.0
    # P(a closer player l < i is in S and i is in the top K), and P(a farther player l > i+1 is in the top K-1 of S)
    p_before = np.where(i >= 2, np.minimum(kf - 1, i - 1) * np.minimum(kf, i) / (2 * np.maximum(i - 1, 1) * i), 0.0)
    pos = np.arange(1, length + 1, dtype=np.float64)
    p_after = np.zeros(length)
    far = pos >= 3
    p_after[far] = np.minimum(kf - 1, pos[far] - 2) * np.minimum(kf, pos[far] - 1) / (2 * (pos[far] - 2) * (pos[far] - 1))
    csum = np.zeros((c, length + 1))
    np.cumsum(ys, axis=1, out=csum[:, 1:])
    prefix = csum[:, : length - 1]  # sum of the i-1 closest
    suffix_y = total[:, None] - csum[:, 2:]  # sum of the players from i+2 on
    weighted = ys * p_after
    suffix_w = np.zeros((c, length + 1))
    suffix_w[:, :length] = np.cumsum(weighted[:, ::-1], axis=1)[:, ::-1]
    suffix_a = suffix_w[:, 2:]  # sum over l >= i+2 of y_l * p_after(l)
    exact = length == n
    if not exact:
        # targets beyond the K* retrieved: their sum is known, their order is not; use their mean
        a = length + 1
        tail = kf * (kf - 1) / 2 * (1.0 / (a - 2) - 1.0 / (n - 1)) if k >= 2 and a - 2 >= 1 else 0.0
        mean_far = (total - csum[:, length]) / (n - length)
        suffix_a = suffix_a + (mean_far * tail)[:, None]
    others = total[:, None] - ys[:, :-1] - ys[:, 1:]
    ea = ((p_before - c0) * prefix + suffix_a - c0 * suffix_y) / kf**2
    if m2 > 0:
        ea = ea + g / (m2 * (n - 1)) * others
    d = (ys[:, 1:] - ys[:, :-1]) * ((ys[:, :-1] + ys[:, 1:]) * e2 + 2 * ea - 2 * yt[:, None] * e1)
    # exact: the farthest player's value; truncated: the K*-th player's value as if it were the farthest
    last = _farthest_value(ys[:, -1], yt, k, n, total, total_sq)
    out[:, -1] = last
    if length > 1:
        out[:, :-1] = last[:, None] + np.cumsum(d[:, ::-1], axis=1)[:, ::-1]
    return out


def _farthest_value(v: Any, yt: Any, k: int, n: int, total: Any, total_sq: Any) -> Any:
    """Shapley value of a player with target ``v`` ranked last of ``n`` (broadcasts over arrays).

    It counts only in coalitions of fewer than K others, whose targets are a
    uniformly random subset of the other players (sum ``total - v``, sum of squares
    ``total_sq - v^2``), so the value needs the first two moments of that sum: O(K).
    It is a quadratic polynomial in ``(v, yt)`` given the totals.
    """
    r = n - 1
    t = total - v
    q = total_sq - v**2
    out = yt**2 - (v - yt) ** 2
    for s_ in range(1, min(k - 1, r) + 1):
        e_a = s_ * t / r
        e_a2 = s_ * q / r + (s_ * (s_ - 1) / (r * (r - 1)) * (t**2 - q) if r > 1 else 0.0)
        without = e_a2 / s_**2 - 2 * yt * e_a / s_
        with_v = (e_a2 + 2 * v * e_a + v**2) / (s_ + 1) ** 2 - 2 * yt * (e_a + v) / (s_ + 1)
        out = out + without - with_v
    return out / n


def _farthest_sums(y: np.ndarray, y_valid: np.ndarray, k: int, n: int, *, self_mode: bool) -> np.ndarray:
    """For every player i, the sum over validation points t of ``_farthest_value(y_i, y_t)`` in O(n + m).

    With the totals fixed (a validation file) or affine in ``y_t`` (leave-self-out,
    where t's own target leaves the sums), the value is a quadratic polynomial in
    ``(y_i, y_t)``: its six coefficients are read off six evaluations and summed with
    the moments of ``y_t``. In leave-self-out mode the term t = i is removed.
    """
    big_s, big_s2 = float(y.sum()), float((y * y).sum())

    def f(v: Any, t: Any) -> Any:
        if self_mode:
            return _farthest_value(v, t, k, n, big_s - t, big_s2 - t * t)
        return _farthest_value(v, t, k, n, big_s, big_s2)

    c0 = f(0.0, 0.0)
    p10, m10, p01, m01, p11 = f(1.0, 0.0), f(-1.0, 0.0), f(0.0, 1.0), f(0.0, -1.0), f(1.0, 1.0)
    c_v, c_vv = (p10 - m10) / 2, (p10 + m10) / 2 - c0
    c_t, c_tt = (p01 - m01) / 2, (p01 + m01) / 2 - c0
    c_vt = p11 - c0 - c_v - c_t - c_vv - c_tt
    m = y_valid.shape[0]
    st, st2 = float(y_valid.sum()), float((y_valid * y_valid).sum())
    out = m * (c0 + c_v * y + c_vv * y * y) + c_t * st + c_tt * st2 + c_vt * y * st
    if self_mode:
        out = out - f(y, y)
    return np.asarray(out, dtype=np.float64)


def knn_shapley_regression(
    x: np.ndarray,
    y: np.ndarray,
    k: int,
    *,
    x_valid: np.ndarray | None = None,
    y_valid: np.ndarray | None = None,
    chunk_size: int | None = None,
    progress: ProgressFn = _noop,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Exact KNN-Shapley values of a K-nearest-neighbour **regressor** (negative squared error utility).

    Same ranking, leave-self-out mode and blocks as :func:`knn_shapley_exact`;
    ``y`` (and ``y_valid``) are float targets, best standardised (the empty set
    predicts 0). O(N log N) per validation point.

    Returns
    -------
    values : ndarray of shape (n,)
    neighbors : ndarray of shape (n, min(k, n-1)) or None

    Examples
    --------
    >>> x = np.array([[0.0], [0.1], [0.2], [5.0], [5.1]])
    >>> values, _ = knn_shapley_regression(x, np.array([0.0, 0.1, 3.0, 1.0, 1.1]), k=1)
    >>> int(np.argmin(values))
    2
    """
    n = x.shape[0]
    self_mode = x_valid is None
    x, x_valid = _centered(x, x_valid)
    xv = x if self_mode else x_valid
    yv = y if self_mode else y_valid
    assert xv is not None and yv is not None
    y = np.asarray(y, dtype=np.float64)
    yv = np.asarray(yv, dtype=np.float64)
    m_total = xv.shape[0]
    n_rank = n - 1 if self_mode else n
    if n_rank < 1:
        raise ValuationError("KNN-Shapley needs at least two labelled rows")
    x_sq = (x * x).sum(axis=1)
    acc = np.zeros(n, dtype=np.float64)
    kk = min(k, n_rank)
    neighbors = np.empty((n, kk), dtype=np.int64) if self_mode else None
    # about ten (rows x players) float arrays live at once in the recursion
    step = chunk_size if chunk_size is not None else max(1, _chunk_rows(n, None) // 8)
    progress("knn", 0, m_total)
    for t0 in range(0, m_total, step):
        t1 = min(m_total, t0 + step)
        rows = np.arange(t1 - t0)
        d = _sq_dist(xv[t0:t1], x, x_sq)
        if self_mode:
            d[rows, t0 + rows] = np.inf
        order = np.argsort(d.astype(np.float32), axis=1, kind="stable")
        if self_mode:
            order = order[:, :-1]
        ys = y[order]
        s = _regression_recursion(ys, yv[t0:t1], k, n_rank, ys.sum(axis=1), (ys * ys).sum(axis=1))
        acc += np.bincount(order.ravel(), weights=s.ravel(), minlength=n)
        if neighbors is not None:
            neighbors[t0:t1] = order[:, :kk]
        progress("knn", t1, m_total)
    return acc / m_total, neighbors


def knn_shapley_regression_truncated(
    y: np.ndarray, y_valid: np.ndarray, neighbors: np.ndarray, k: int, n_players: int, *, self_mode: bool
) -> np.ndarray:
    """Approximate KNN-Shapley of KNN regression from each validation point's K* nearest players.

    Unlike classification, a far player's value is not negligible: in small
    coalitions any player moves the prediction away from the mean, so a row with
    an extreme target loses value at every validation point. The approximation
    therefore gives every player, at every validation point, the value it would
    have as the *farthest* player (:func:`_farthest_value`, exact for rank N, summed
    over all validation points in closed form by :func:`_farthest_sums`), and
    replaces it by the recursion's value for the K* nearest: the recursion starts
    from the K*-th neighbour's farthest-player value, with exact differences (the
    unknown far part of one suffix sum replaced by the far targets' mean). Exact
    when K* covers all N players. In leave-self-out mode (``self_mode``) the
    validation points are the players and each one's own target is left out of the sums.
    """
    y = np.asarray(y, dtype=np.float64)
    y_valid = np.asarray(y_valid, dtype=np.float64)
    total = np.full(y_valid.shape[0], y.sum())
    total_sq = np.full(y_valid.shape[0], (y * y).sum())
    if self_mode:
        total = total - y_valid
        total_sq = total_sq - y_valid**2
    exact = neighbors.shape[1] >= n_players
    acc = np.zeros(y.shape[0]) if exact else _farthest_sums(y, y_valid, k, n_players, self_mode=self_mode)
    step = max(1, 2**22 // max(1, neighbors.shape[1]))
    for a in range(0, neighbors.shape[0], step):
        nb = neighbors[a : a + step]
        yt, tot, tsq = y_valid[a : a + step], total[a : a + step], total_sq[a : a + step]
        ys = y[nb]
        s = _regression_recursion(ys, yt, k, n_players, tot, tsq)
        if not exact:  # the near players' farthest-player values are already in acc
            s = s - _farthest_value(ys, yt[:, None], k, n_players, tot[:, None], tsq[:, None])
        acc += np.bincount(nb.ravel(), weights=s.ravel(), minlength=y.shape[0])
    return acc / neighbors.shape[0]


def _symmetrize(values: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Average the values of identical rows with identical labels."""
    if rows_all_distinct(x, signed_zero=False):
        return values  # no two rows alike, told without sorting copies of them (1.5 GB at a million rows)
    key = row_bytes(np.column_stack([x, y.astype(np.float64)]), signed_zero=False)
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    if counts.max(initial=1) == 1:
        return values
    sums = np.bincount(inverse, weights=values)
    return sums[inverse] / counts[inverse]


@dataclass(frozen=True)
class KNNShapley:
    """KNN-Shapley valuer (Jia et al. 2019), exact or truncated.

    Parameters
    ----------
    config : KNNConfig
        K, eps and the exact/approximate choice.

    Examples
    --------
    >>> from dvclean.table import ValuationData
    >>> x = np.array([[0.0], [0.2], [0.1], [5.0], [5.2], [5.1]])
    >>> data = ValuationData(x=x, y=np.array([0, 0, 1, 1, 1, 1]), rows=np.arange(6), classes=np.array([0, 1]))
    >>> r = KNNShapley(KNNConfig(k=1)).value(data, seed=0)
    >>> int(np.argmin(r.values))   # the row labelled 1 among the 0s
    2
    """

    config: KNNConfig = KNNConfig()
    name: ClassVar[str] = "knn"
    citation: ClassVar[str] = (
        "Jia et al., Efficient Task-Specific Data Valuation for Nearest Neighbor Algorithms, PVLDB 12(11), 2019"
    )

    def __post_init__(self) -> None:
        """Refuse settings of the wrong type (a dict, another method's config) when the valuer is built."""
        check_settings(self, config=KNNConfig)

    def value(self, data: ValuationData, *, seed: int = 0, progress: ProgressFn | None = None) -> ValuationResult:
        """Value every player of ``data``."""
        check_data(self, data, seed)
        cfg = self.config
        progress = progress or _noop
        n = data.n_players
        n_rank = n - 1 if data.leave_self_out else n
        if n_rank < 1:
            raise ValuationError(f"{n} labelled rows: KNN-Shapley needs at least {2 if data.leave_self_out else 1} "
                                 "(each row is valued by its neighbours among the others); give more rows")
        if cfg.k > n_rank:
            raise ValuationError(
                f"K={cfg.k} is larger than the {n_rank} rows each row can be compared with; "
                f"use --k {max(1, n_rank)} or fewer (KNNConfig(k=...) in Python)"
            )
        algorithm = cfg.algorithm
        if algorithm == "auto":
            algorithm = "exact" if n <= cfg.exact_max_rows else "approx"
        t0 = time.perf_counter()
        diagnostics: dict[str, Any] = {"algorithm": algorithm, "n_players": n, "k": cfg.k}
        backend = None
        regression = getattr(data, "task", "classification") == "regression"
        diagnostics["task"] = "regression" if regression else "classification"
        if algorithm == "exact" and regression:
            values, neighbors = knn_shapley_regression(
                data.x, data.y, cfg.k, x_valid=data.x_valid, y_valid=data.y_valid, chunk_size=cfg.chunk_size,
                progress=progress,
            )
            diagnostics["engine"] = "numpy"
            status = "exact"
        elif algorithm == "exact":
            values, neighbors = knn_shapley_exact(
                data.x, data.y, cfg.k, x_valid=data.x_valid, y_valid=data.y_valid,
                chunk_size=cfg.chunk_size, progress=progress,
            )
            diagnostics["engine"] = "numba" if n >= NUMBA_MIN_PLAYERS else "numpy"
            status = "exact"
        else:
            kstar = min(cfg.k_star, n_rank)
            def searched(done: int, total: int) -> None:
                progress("knn neighbours", done, total)

            def indexed(done: int, total: int) -> None:  # (the HNSW search's index: no query answered meanwhile)
                progress("knn search index", done, total)

            if regression:
                idx, backend = nearest_neighbors(data.x, data.x_valid, kstar, backend=cfg.neighbors,
                                                 kdtree_max_dims=cfg.kdtree_max_dims, seed=seed, on_block=searched,
                                                 on_index=indexed)
                yv = data.y if data.y_valid is None else data.y_valid
                values = knn_shapley_regression_truncated(data.y, yv, idx, cfg.k, n_rank, self_mode=data.leave_self_out)
            else:
                values, idx, backend = knn_shapley_on_points(
                    data.x, data.y, cfg.k, kstar, x_valid=data.x_valid, y_valid=data.y_valid, backend=cfg.neighbors,
                    kdtree_max_dims=cfg.kdtree_max_dims, seed=seed, on_block=searched, on_index=indexed)
            neighbors = idx[:, : cfg.k] if data.leave_self_out else None
            diagnostics.update({"k_star": kstar, "eps": cfg.eps, "neighbors": backend})
            status = "exact" if kstar >= n_rank else "approximate"
        if neighbors is None:
            neighbors, _ = nearest_neighbors(data.x, None, cfg.k, backend=cfg.neighbors, kdtree_max_dims=cfg.kdtree_max_dims)
        values = _symmetrize(values, data.x, data.y)
        diagnostics["seconds"] = round(time.perf_counter() - t0, 4)
        diagnostics["efficiency_sum"] = float(values.sum())
        if not np.all(np.isfinite(values)):  # pragma: no cover - defensive
            raise ValuationError("KNN-Shapley produced non-finite values; please report this as a bug")
        return ValuationResult(
            method=self.name,
            values=values,
            stderr=None,
            status=status,
            params=asdict(cfg),
            seed=seed,
            diagnostics=diagnostics,
            neighbors=neighbors,
        )

