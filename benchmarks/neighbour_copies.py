"""Neighbour search on data with many identical rows (discrete features, repeated records).

dvclean ranks neighbours exactly as its exact KNN-Shapley path does: by squared distance at float32
precision, ties by row number (``dvclean.valuation.knn._ranked``). Since session 26 the KD-tree and
brute-force searches run on the distinct rows, each standing for its copies.

Baseline ("row-by-row"): the search it replaced, kept here as a reference implementation: every row is
a point of the tree, and a tie at the K-th place is settled by fetching twice as many candidates until
the last is farther than the K-th (at most 64 K). Both run in this process on the same data; the script
checks that they return the same neighbours, and prints baseline seconds / dvclean seconds. Where a tie spans
more than 64 K rows (2,000 copies of one row, K = 10) the baseline keeps the lowest-numbered rows of those it
fetched, in the tree's order, and dvclean the lowest-numbered of all: they differ there, and dvclean is the
exact ranking (``tests/test_qa26.py`` checks it against the brute-force order).

Usage::

    python benchmarks/neighbour_copies.py            # about a minute on 2 cores
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sklearn.neighbors import NearestNeighbors  # noqa: E402

from dvclean.valuation.knn import nearest_neighbors  # noqa: E402


def row_by_row(x: np.ndarray, k: int, cap: int = 64) -> np.ndarray:
    """Leave-self-out K nearest rows, every row searched and ties fetched until settled (the baseline)."""
    n = x.shape[0]
    nn = NearestNeighbors(algorithm="kd_tree").fit(x)
    out = np.empty((n, k), dtype=np.int64)
    todo = np.arange(n)
    width = min(n, k + 2)
    while todo.size:
        dist, cand = nn.kneighbors(x[todo], n_neighbors=width)
        d = (dist * dist).astype(np.float32)
        d[cand == todo[:, None]] = np.inf
        order = np.lexsort((cand, d), axis=1)
        cand, d = np.take_along_axis(cand, order, axis=1), np.take_along_axis(d, order, axis=1)
        farthest = np.where(np.isinf(d[:, -1]), d[:, -2], d[:, -1])
        settled = (farthest > d[:, k - 1]) | (width >= n) | (width >= cap * k + 1)
        out[todo[settled]] = cand[settled, :k]
        todo = todo[~settled]
        width = min(n, 2 * width)
    return out


def cases(rng: np.random.Generator):
    yield "3^8 lattice, 30,000 rows", rng.integers(0, 3, size=(30_000, 8)).astype(float)
    yield "64 distinct points, 40,000 rows", rng.normal(size=(64, 5))[rng.integers(0, 64, 40_000)]
    yield "2,000 distinct points, 20,000 rows", rng.normal(size=(2_000, 6))[rng.integers(0, 2_000, 20_000)]
    yield "20,000 distinct rows (no copies)", rng.normal(size=(20_000, 6))
    one = rng.normal(size=(20_000, 6))
    one[:2_000] = 0.0
    yield "18,000 distinct rows and one group of 2,000 copies", one


def main() -> None:
    rng = np.random.default_rng(0)
    k = 10
    print(f"K = {k}, KD-tree, leave-self-out\n")
    print("| data | row-by-row s | dvclean s | ratio | same neighbours |\n|---|---|---|---|---|")
    for name, x in cases(rng):
        t = time.perf_counter()
        base = row_by_row(x, k)
        t_base = time.perf_counter() - t
        t = time.perf_counter()
        ours, _ = nearest_neighbors(x, None, k, backend="kdtree")
        t_ours = time.perf_counter() - t
        print(f"| {name} | {t_base:.2f} | {t_ours:.2f} | {t_base / t_ours:.1f}x | {np.array_equal(base, ours)} |")


if __name__ == "__main__":
    main()
