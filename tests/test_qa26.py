"""QA round 38 (session 26): regressions found by review and by the helpers, one test per defect."""

from __future__ import annotations

import numpy as np
import pytest

# ---------------------------------------------------------------- neighbour search on many identical rows


def _exact_ranking(x: np.ndarray, q: np.ndarray | None, k: int) -> np.ndarray:
    """The exact path's order: squared distance at float32 precision, ties by row number, self left out."""
    from dvclean.valuation.knn import _sq_dist

    queries = x if q is None else q
    d = _sq_dist(queries, x, (x * x).sum(axis=1)).astype(np.float32)
    if q is None:
        d[np.arange(x.shape[0]), np.arange(x.shape[0])] = np.inf
    return np.argsort(d, axis=1, kind="stable")[:, :k]


@pytest.mark.parametrize("backend", ["kdtree", "brute"])
def test_the_neighbour_search_on_copies_ranks_as_the_exact_path(backend):
    from dvclean.valuation.knn import nearest_neighbors

    rng = np.random.default_rng(7)
    for trial in range(120):
        n = int(rng.integers(2, 50))
        distinct = np.round(rng.normal(size=(int(rng.integers(1, n + 1)), int(rng.integers(1, 4)))), trial % 2)
        x = distinct[rng.integers(0, distinct.shape[0], n)]
        if trial % 3 == 0:
            x = -x  # -0.0 and 0.0 are one point
        k = int(rng.integers(1, n + 2))
        q = distinct[rng.integers(0, distinct.shape[0], 6)] + 0.5 * (trial % 2)
        for queries in (None, q):
            kk = min(k, n - 1 if queries is None else n)
            if kk < 1:
                continue
            idx, used = nearest_neighbors(x, queries, k, backend=backend)
            assert used == backend
            np.testing.assert_array_equal(idx, _exact_ranking(x, queries, kk), err_msg=f"trial {trial}")


def test_a_tie_among_many_copies_is_searched_once_per_distinct_point(monkeypatch):
    # 5,000 rows of 40 distinct points: each row has ~125 copies at distance 0, so settling its K-th place took the
    # tree search to 320 candidates per row (40,000 such rows took 12 s against 0.3 s for 20,000 distinct ones)
    from sklearn.neighbors import NearestNeighbors

    from dvclean.valuation.knn import nearest_neighbors

    asked: list[tuple[int, int]] = []
    real = NearestNeighbors.kneighbors

    def spy(self, X=None, n_neighbors=None, return_distance=True):
        asked.append((X.shape[0], n_neighbors))
        return real(self, X, n_neighbors=n_neighbors, return_distance=return_distance)

    monkeypatch.setattr(NearestNeighbors, "kneighbors", spy)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))[rng.integers(0, 40, 5000)]
    idx, _ = nearest_neighbors(x, None, 5, backend="kdtree")
    assert sum(rows * width for rows, width in asked) <= 40 * 40  # was 5,000 rows x 320 candidates
    np.testing.assert_array_equal(idx, _exact_ranking(x, None, 5))
    # every copy lists the lowest-numbered other copies of itself: the exact path's ties by row number
    first = np.flatnonzero((x == x[0]).all(axis=1))
    assert idx[0].tolist() == first[1:6].tolist() and idx[first[1]].tolist() == [first[0], *first[2:6]]
