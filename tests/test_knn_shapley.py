"""KNN-Shapley against brute-force Shapley (all subsets), axioms and the truncated bound."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dvclean.config import KNNConfig
from dvclean.table import ValuationData
from dvclean.valuation.knn import KNNShapley, knn_shapley_exact, knn_shapley_truncated, nearest_neighbors


def knn_utility(order: list[int], subset: set[int], y: np.ndarray, y_t: int, k: int) -> float:
    """U(S) = (1/K) #matches among the min(K,|S|) nearest of x_t in S (order: players by distance)."""
    chosen = [j for j in order if j in subset][:k]
    return sum(1.0 for j in chosen if y[j] == y_t) / k


def brute_shapley(players: list[int], order: list[int], y: np.ndarray, y_t: int, k: int) -> dict[int, float]:
    n = len(players)
    out = {}
    for i in players:
        others = [p for p in players if p != i]
        total = 0.0
        for size in range(n):
            w = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for s in itertools.combinations(others, size):
                s_set = set(s)
                total += w * (knn_utility(order, s_set | {i}, y, y_t, k) - knn_utility(order, s_set, y, y_t, k))
        out[i] = total
    return out


def brute_values(x, y, k, x_valid=None, y_valid=None):
    n = x.shape[0]
    if x_valid is None:
        phi = np.zeros(n)
        for t in range(n):
            players = [j for j in range(n) if j != t]
            d = ((x[players] - x[t]) ** 2).sum(axis=1)
            order = [players[j] for j in np.argsort(d, kind="stable")]
            for i, v in brute_shapley(players, order, y, y[t], k).items():
                phi[i] += v
        return phi / n
    phi = np.zeros(n)
    for t in range(x_valid.shape[0]):
        d = ((x - x_valid[t]) ** 2).sum(axis=1)
        order = list(np.argsort(d, kind="stable"))
        for i, v in brute_shapley(list(range(n)), order, y, y_valid[t], k).items():
            phi[i] += v
    return phi / x_valid.shape[0]


CASES = [(n, k, c, seed) for seed, (n, k, c) in enumerate(
    [(4, 1, 2), (5, 2, 2), (6, 3, 3), (7, 1, 3), (8, 2, 2), (8, 5, 4), (9, 3, 2), (9, 9, 3), (6, 6, 2)]
)]


@pytest.mark.parametrize(("n", "k", "n_classes", "seed"), CASES)
def test_exact_equals_brute_force_leave_self_out(n, k, n_classes, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = rng.integers(0, n_classes, size=n)
    k = min(k, n - 1)
    values, _ = knn_shapley_exact(x, y, k)
    np.testing.assert_allclose(values, brute_values(x, y, k), atol=1e-9, rtol=0)


@pytest.mark.parametrize(("n", "k", "n_classes", "seed"), CASES)
def test_exact_equals_brute_force_with_validation_set(n, k, n_classes, seed):
    rng = np.random.default_rng(100 + seed)
    x = rng.normal(size=(n, 2))
    y = rng.integers(0, n_classes, size=n)
    xv = rng.normal(size=(4, 2))
    yv = rng.integers(0, n_classes, size=4)
    values, _ = knn_shapley_exact(x, y, k, x_valid=xv, y_valid=yv)
    np.testing.assert_allclose(values, brute_values(x, y, k, xv, yv), atol=1e-9, rtol=0)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_efficiency_per_validation_point(engine):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 4))
    y = rng.integers(0, 3, size=300)
    xv = rng.normal(size=(1, 4))
    yv = np.array([1])
    k = 5
    values, _ = knn_shapley_exact(x, y, k, x_valid=xv, y_valid=yv, engine=engine)
    nearest = np.argsort(((x - xv[0]) ** 2).sum(axis=1))[:k]
    u_all = (y[nearest] == yv[0]).sum() / k
    assert values.sum() == pytest.approx(u_all - 0.0, abs=1e-12)


def test_efficiency_leave_self_out_is_loo_knn_utility():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(200, 3))
    y = rng.integers(0, 2, size=200)
    k = 4
    values, neighbors = knn_shapley_exact(x, y, k)
    loo = np.mean([(y[neighbors[t]] == y[t]).sum() / k for t in range(200)])
    assert values.sum() == pytest.approx(loo, abs=1e-12)


def test_numba_kernel_matches_numpy_path():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(1500, 6))
    y = rng.integers(0, 3, size=1500)
    a, na = knn_shapley_exact(x, y, 5, engine="numpy", chunk_size=200)
    b, nb = knn_shapley_exact(x, y, 5, engine="numba", chunk_size=333)
    np.testing.assert_allclose(a, b, atol=1e-13, rtol=0)
    np.testing.assert_array_equal(na, nb)
    xv = rng.normal(size=(50, 6))
    yv = rng.integers(0, 3, size=50)
    a, _ = knn_shapley_exact(x, y, 3, x_valid=xv, y_valid=yv, engine="numpy")
    b, _ = knn_shapley_exact(x, y, 3, x_valid=xv, y_valid=yv, engine="numba")
    np.testing.assert_allclose(a, b, atol=1e-13, rtol=0)


def test_chunking_does_not_change_values():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(400, 3))
    y = rng.integers(0, 2, size=400)
    a, _ = knn_shapley_exact(x, y, 5, chunk_size=7)
    b, _ = knn_shapley_exact(x, y, 5, chunk_size=400)
    np.testing.assert_allclose(a, b, atol=1e-15)


def test_truncated_within_eps_of_exact_n2000():
    rng = np.random.default_rng(7)
    n = 2000
    centers = rng.normal(scale=2.0, size=(2, 5))
    y = rng.integers(0, 2, size=n)
    x = centers[y] + rng.normal(size=(n, 5))
    y[rng.choice(n, 200, replace=False)] ^= 1
    k = 5
    exact, _ = knn_shapley_exact(x, y, k)
    for eps in (0.2, 0.1, 0.05):
        kstar = KNNConfig(k=k, eps=eps).k_star
        idx, backend = nearest_neighbors(x, None, kstar, backend="brute")
        approx = knn_shapley_truncated(y, y, idx, k, n - 1)
        err = np.abs(approx - exact).max()
        assert err <= eps, (eps, err)
        assert err > 0  # truncation really happened


def test_truncated_per_validation_point_bound():
    # the bound holds per validation point, not only on average
    rng = np.random.default_rng(8)
    x = rng.normal(size=(300, 2))
    y = rng.integers(0, 2, size=300)
    for t in range(20):
        xv, yv = x[t : t + 1] + 0.01, y[t : t + 1]
        exact, _ = knn_shapley_exact(x, y, 3, x_valid=xv, y_valid=yv)
        idx, _ = nearest_neighbors(x, xv, 10, backend="brute")
        approx = knn_shapley_truncated(y, yv, idx, 3, 300)
        assert np.abs(approx - exact).max() <= 0.1


def test_truncated_with_all_neighbours_is_exact():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(30, 2))
    y = rng.integers(0, 2, size=30)
    exact, _ = knn_shapley_exact(x, y, 3)
    idx, _ = nearest_neighbors(x, None, 29, backend="brute")
    np.testing.assert_allclose(knn_shapley_truncated(y, y, idx, 3, 29), exact, atol=1e-12)


def test_null_player_gets_zero():
    # a far-away player whose label no validation point has never changes any utility
    x = np.array([[0.0], [0.1], [0.2], [0.3], [100.0]])
    y = np.array([0, 0, 1, 0, 1])
    xv = np.array([[0.05], [0.25]])
    yv = np.array([0, 0])
    values, _ = knn_shapley_exact(x, y, 2, x_valid=xv, y_valid=yv)
    assert values[4] == 0.0
    assert values[2] < 0 or values[2] == 0.0


def test_identical_rows_get_equal_values():
    # rows 0 and 2 are identical with identical labels; a tie with the other-label row 1 is broken by
    # row order, which alone would give them different values
    x = np.array([[0.0], [0.0], [0.0], [1.0], [1.1], [3.0]])
    y = np.array([0, 1, 0, 0, 1, 1])
    data = ValuationData(x=x, y=y, rows=np.arange(6), classes=np.array([0, 1]))
    r = KNNShapley(KNNConfig(k=1)).value(data)
    assert r.values[0] == pytest.approx(r.values[2], abs=1e-15)
    raw, _ = knn_shapley_exact(x, y, 1)
    assert r.values[0] == pytest.approx((raw[0] + raw[2]) / 2, abs=1e-15)
    assert r.values.sum() == pytest.approx(raw.sum(), abs=1e-12)  # efficiency is kept


@given(
    n=st.integers(3, 25),
    k=st.integers(1, 6),
    n_classes=st.integers(2, 4),
    seed=st.integers(0, 10_000),
)
def test_properties_efficiency_bounds_and_permutation(n, k, n_classes, seed):
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=(n, 2)), 1)  # rounding creates ties on purpose
    y = rng.integers(0, n_classes, size=n)
    k = min(k, n - 1)
    data = ValuationData(x=x, y=y, rows=np.arange(n), classes=np.arange(n_classes))
    r = KNNShapley(KNNConfig(k=k)).value(data)
    # each validation point's game is bounded by [0, 1] and a row's own term is 0
    assert np.all(np.abs(r.values) <= 1.0 + 1e-12)
    _, nb = knn_shapley_exact(x, y, k)
    assert r.values.sum() == pytest.approx(r.diagnostics["efficiency_sum"], abs=1e-12)
    assert r.values.sum() >= -1e-12
    # permuting rows permutes values (equal rows are interchangeable players)
    perm = rng.permutation(n)
    rp = KNNShapley(KNNConfig(k=k)).value(
        ValuationData(x=x[perm], y=y[perm], rows=np.arange(n), classes=np.arange(n_classes))
    )
    key = np.column_stack([x, y])
    distinct_ties = len({tuple(row) for row in key}) == n and len({tuple(row) for row in np.round(x, 6)}) == n
    if distinct_ties:
        d = ((x[:, None] - x[None]) ** 2).sum(-1)
        tie_free = all(len(set(np.round(row, 9))) == n for row in d)
        if tie_free:
            np.testing.assert_allclose(rp.values, r.values[perm], atol=1e-12)


@given(seed=st.integers(0, 10_000), scale=st.floats(0.1, 100.0))
def test_invariant_to_feature_rescaling_after_standardisation(seed, scale):
    import polars as pl

    from dvclean.table import FeatureEncoder

    rng = np.random.default_rng(seed)
    n = 30
    a = rng.normal(size=n)
    b = rng.normal(size=n)
    y = rng.integers(0, 2, size=n)
    f1 = pl.DataFrame({"a": a, "b": b})
    f2 = pl.DataFrame({"a": a * scale, "b": b})
    x1 = FeatureEncoder().fit_transform(f1, ["a", "b"])
    x2 = FeatureEncoder().fit_transform(f2, ["a", "b"])
    v1, _ = knn_shapley_exact(x1, y, 3)
    v2, _ = knn_shapley_exact(x2, y, 3)
    np.testing.assert_allclose(v1, v2, atol=1e-9)


def test_k_larger_than_rows_is_refused():
    from dvclean.errors import ValuationError

    data = ValuationData(x=np.zeros((4, 1)) + np.arange(4)[:, None], y=np.array([0, 1, 0, 1]), rows=np.arange(4),
                         classes=np.array([0, 1]))
    with pytest.raises(ValuationError, match="K=5 is larger"):
        KNNShapley(KNNConfig(k=5)).value(data)
