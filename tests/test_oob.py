"""Data-OOB (Kwon & Zou 2023) against a direct loop over the same bags."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

import dvclean
from dvclean.config import OOBConfig, ScoreConfig
from dvclean.errors import ConfigError
from dvclean.table import ValuationData
from dvclean.valuation import REGISTRY, make_valuer
from dvclean.valuation.oob import bag_seeds, bootstrap_indices, data_oob, make_tree


def blobs(n: int, seed: int, flip: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(0, 1, (n, 4)) + 3.0 * np.eye(3, 4)[y]
    flipped = rng.random(n) < flip
    y_noisy = np.where(flipped, (y + 1) % 3, y)
    return x, y_noisy, flipped


def test_equals_direct_loop_with_same_bags():
    x, y, _ = blobs(30, 0, flip=0.1)
    b = 25
    out = data_oob(x, y, n_classes=3, n_estimators=b, seed=7)
    seeds = bag_seeds(7, b)
    total = np.zeros(30)
    count = np.zeros(30)
    votes = np.zeros((30, 3))
    for s in seeds:
        bag = bootstrap_indices(30, s)
        tree = make_tree("classification", "sqrt", s).fit(x[bag], y[bag])
        for i in range(30):
            if i not in set(bag.tolist()):
                pred = int(tree.predict(x[i : i + 1])[0])
                total[i] += pred == y[i]
                count[i] += 1
                votes[i, pred] += 1
    seen = count > 0
    np.testing.assert_allclose(out.values[seen], total[seen] / count[seen])
    np.testing.assert_array_equal(out.n_oob, count)
    np.testing.assert_allclose(out.votes[seen], votes[seen] / count[seen, None])


def test_weighted_fit_on_the_drawn_rows_equals_the_fit_on_the_bootstrap_sample():
    # data_oob fits a classification tree on each drawn row once, weighted by its number of draws; with discrete
    # features (many equal rows, some with conflicting labels: ties everywhere) the trees must still be the ones
    # fitted on the bootstrap sample with its repeats, vote for vote
    rng = np.random.default_rng(4)
    n = 400
    x = rng.integers(0, 3, (n, 5)).astype(np.float64)
    y = np.where(rng.random(n) < 0.3, rng.integers(0, 3, n), (x[:, 0] + x[:, 1]) % 3).astype(np.int64)
    out = data_oob(x, y, n_classes=3, n_estimators=15, seed=11, max_features=0.6)
    votes, count = np.zeros((n, 3)), np.zeros(n)
    for s in bag_seeds(11, 15):
        bag = bootstrap_indices(n, s)
        oob = np.bincount(bag, minlength=n) == 0
        pred = make_tree("classification", 0.6, s).fit(x[bag], y[bag]).predict(x[oob]).astype(np.int64)
        votes[np.flatnonzero(oob), pred] += 1
        count[oob] += 1
    np.testing.assert_array_equal(out.n_oob, count)
    np.testing.assert_array_equal(out.votes, votes / count[:, None])


def test_regression_equals_direct_loop():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(25, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + rng.normal(0, 0.1, 25)
    out = data_oob(x, y, n_estimators=20, seed=3, task="regression", max_features=1.0)
    total = np.zeros(25)
    count = np.zeros(25)
    for s in bag_seeds(3, 20):
        bag = bootstrap_indices(25, s)
        tree = make_tree("regression", 1.0, s).fit(x[bag], y[bag])
        oob = np.setdiff1d(np.arange(25), bag)
        total[oob] += -((tree.predict(x[oob]) - y[oob]) ** 2)
        count[oob] += 1
    seen = count > 0
    np.testing.assert_allclose(out.values[seen], total[seen] / count[seen])


def test_deterministic_and_thread_independent():
    x, y, _ = blobs(80, 2)
    a = data_oob(x, y, n_estimators=40, seed=5)
    b = data_oob(x, y, n_estimators=40, seed=5, n_jobs=2)
    c = data_oob(x, y, n_estimators=40, seed=6)
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.array_equal(a.values, c.values)


def test_flipped_rows_have_low_values():
    x, y, flipped = blobs(300, 3, flip=0.1)
    out = data_oob(x, y, n_estimators=100, seed=0)
    assert roc_auc_score(flipped, -out.values) > 0.9
    assert np.all((out.values >= 0) & (out.values <= 1)) and np.all(out.stderr >= 0)


def test_registered_and_runs_through_score():
    assert "oob" in REGISTRY and "Kwon" in REGISTRY["oob"].citation
    x, y, _ = blobs(60, 4)
    data = ValuationData(x=x, y=y, rows=np.arange(60), classes=np.arange(3))
    cfg = ScoreConfig(methods=("oob",), oob=OOBConfig(n_estimators=30))
    res = make_valuer("oob", cfg).value(data, seed=0)
    assert res.method == "oob" and res.values.shape == (60,) and res.stderr is not None
    df = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "label": y})
    r = dvclean.score(df, label="label", config=cfg)
    assert r.frame.get_column("value").null_count() == 0


def test_bad_config():
    with pytest.raises(ConfigError, match="n_estimators"):
        OOBConfig(n_estimators=3)


def test_tiny_data_with_bags_that_leave_no_row_out():
    x = np.array([[0.0], [1.0]])
    y = np.array([0, 1])
    out = data_oob(x, y, n_estimators=30, seed=0)  # about half the bags draw both rows
    assert np.all(np.isfinite(out.values)) and out.votes.shape == (2, 2)
