"""Session 55: the HNSW search reports its index build as a progress step of its own."""

from __future__ import annotations

import numpy as np

from dvclean.config import KNNConfig
from dvclean.table import ValuationData
from dvclean.valuation.knn import KNNShapley, nearest_neighbors


def test_the_hnsw_index_build_is_a_progress_step_before_any_query_is_answered():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 4))
    y = (x[:, 0] > 0).astype(np.int64)
    events: list[tuple[str, int, int]] = []
    cfg = KNNConfig(k=3, algorithm="approx", neighbors="hnsw")
    res = KNNShapley(cfg).value(ValuationData(x=x, y=y, rows=np.arange(600), classes=np.array([0, 1])), seed=0,
                                progress=lambda step, done, total: events.append((step, done, total)))
    assert res.diagnostics["neighbors"] == "hnsw"
    index = [e for e in events if e[0] == "knn search index"]
    assert index == [("knn search index", 0, 1), ("knn search index", 1, 1)]
    built = events.index(("knn search index", 1, 1))
    queries = [i for i, e in enumerate(events) if e[0] == "knn neighbours"]
    # the neighbours' bar starts (0/600, its clock with it) once the index is built, and ends at 600/600
    assert queries and min(queries) > built and events[min(queries)] == ("knn neighbours", 0, 600)
    assert events[queries[-1]][1:] == (600, 600)
    assert events.index(("knn search index", 0, 1)) == min(i for i, e in enumerate(events) if e[0].startswith("knn"))


def test_the_exact_searches_start_the_neighbours_bar_as_their_queries_start():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 3))
    seen: list[tuple[int, int]] = []
    nearest_neighbors(x, None, 4, backend="kdtree", on_block=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, 300) and seen[-1] == (300, 300)


def test_native_limits_applies_and_restores_the_limit_and_rescans_after_an_import():
    import sys

    import threadpoolctl

    from dvclean.valuation import _models

    def threads():
        return sorted(i["num_threads"] for i in threadpoolctl.threadpool_info())

    before = threads()
    other = 1 if set(before) != {1} else 2  # (a limit other than the one in force: OMP_NUM_THREADS=1 in make test)
    with _models.native_limits(other):
        assert set(threads()) == {other}
    assert threads() == before
    made = _models._controller
    with _models.native_limits(1):
        pass
    assert _models._controller is made  # no import since: the same controller
    sys.modules["dvclean_test_qa55_marker"] = sys  # (an import, as far as the count of modules goes)
    try:
        with _models.native_limits(1):
            pass
        assert _models._controller is not made
    finally:
        del sys.modules["dvclean_test_qa55_marker"]


def test_the_index_step_is_the_hnsw_searchs_alone():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 3))
    for backend, calls in (("hnsw", [(0, 1), (1, 1)]), ("kdtree", []), ("brute", [])):
        seen: list[tuple[int, int]] = []
        idx, used = nearest_neighbors(x, None, 4, backend=backend, on_index=lambda d, t, out=seen: out.append((d, t)))
        assert used == backend and idx.shape == (200, 4) and seen == calls


def _checked_votes(x, y, n_classes, n_estimators, seed):
    """Data-OOB's votes from trees fitted the plain way (scikit-learn's checked fit on float64 rows, each bootstrap
    draw a row of its own)."""
    from dvclean.valuation.oob import bag_seeds, bootstrap_indices, make_tree

    votes = np.zeros((x.shape[0], n_classes))
    for s in bag_seeds(seed, n_estimators):
        idx = bootstrap_indices(x.shape[0], s)
        oob = np.bincount(idx, minlength=x.shape[0]) == 0
        tree = make_tree("classification", "sqrt", s).fit(x[idx], y[idx])
        votes[np.flatnonzero(oob), tree.predict(x[oob])] += 1
    return votes / np.maximum(votes.sum(axis=1, keepdims=True), 1)


def test_data_oob_trees_are_the_ones_a_checked_fit_grows():
    from dvclean.valuation.oob import data_oob

    rng = np.random.default_rng(2)
    x = rng.normal(size=(150, 5))
    x[:, 0] = np.round(x[:, 0], 1)  # ties among split thresholds
    y = (x[:, 1] + rng.normal(size=150) > 0).astype(np.int64)
    y[:10] = 2
    got = data_oob(x, y, n_estimators=25, seed=3)
    assert np.array_equal(got.votes, _checked_votes(x, y, 3, 25, 3))
    missing = x.copy()
    missing[::9, 2] = np.nan  # (the checked fit, which handles missing values, is kept for such data)
    assert np.array_equal(data_oob(missing, y, n_estimators=25, seed=3).votes, _checked_votes(missing, y, 3, 25, 3))


def test_synthetic_zeros_carry_no_sign():
    import math

    import pandas as pd
    import polars as pl

    from dvclean.augment._sdv import from_pandas

    out = from_pandas(pd.DataFrame({"a": [-0.0, 0.0, -1.5, float("nan")]}), {"a": pl.Float64})
    got = out.get_column("a").to_list()
    assert [math.copysign(1.0, v) for v in got[:2]] == [1.0, 1.0] and got[2] == -1.5 and got[3] is None
    assert out.write_csv() == "a\n0.0\n0.0\n-1.5\n\n"
