"""Session 56: Data-OOB's trees (classification and regression) grown by scikit-learn's builder without the
estimator's per-fit checks."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from dvclean.valuation import oob
from dvclean.valuation.oob import _grow, _grown_predict, _max_features, _tree_parts, data_oob


@pytest.mark.parametrize("max_features", ["sqrt", "log2", 0.6, 1.0, None, 2])
def test_grown_trees_equal_the_estimators_on_varied_problems(max_features):
    rng = np.random.default_rng(7)
    for trial in range(6):
        n, d = int(rng.integers(5, 120)), int(rng.integers(2, 9))
        x = rng.normal(size=(n, d)).astype(np.float32)
        x[:, 0] = np.round(x[:, 0])  # ties
        y = rng.choice([0, 2, 5, 9], size=n, p=[0.5, 0.3, 0.15, 0.05])
        w = rng.integers(1, 5, n).astype(np.float64)
        parts = _tree_parts(max_features, d)
        assert parts is not None  # (this scikit-learn: the fast path is the one used)
        grown = _grow(parts, x, y, w, trial, _max_features(max_features, d))
        model = DecisionTreeClassifier(max_features=max_features, random_state=trial).fit(x, y, sample_weight=w)
        for f in ("children_left", "children_right", "feature", "threshold", "value"):
            assert np.array_equal(getattr(grown[0], f), getattr(model.tree_, f)), f
        q = rng.normal(size=(40, d)).astype(np.float32)
        assert np.array_equal(_grown_predict(grown, q), model.predict(q))


@pytest.mark.parametrize("max_features", ["sqrt", 1.0, 0.5])
def test_grown_regression_trees_equal_the_estimators_on_bootstrap_samples(max_features):
    rng = np.random.default_rng(11)
    for trial in range(6):
        n, d = int(rng.integers(5, 120)), int(rng.integers(1, 9))
        x = rng.normal(size=(n, d)).astype(np.float32)
        x[:, 0] = np.round(x[:, 0])  # ties
        y = np.round(3 * x[:, 0] + rng.normal(size=n), 1)
        bag = rng.integers(0, n, n)  # (repeated rows, as Data-OOB's regression trees are fitted)
        parts = _tree_parts(max_features, d, "regression")
        assert parts is not None
        grown = _grow(parts, x[bag], y[bag], None, trial, _max_features(max_features, d), "regression")
        model = DecisionTreeRegressor(max_features=max_features, random_state=trial).fit(x[bag], y[bag])
        for f in ("children_left", "children_right", "feature", "threshold", "value"):
            assert np.array_equal(getattr(grown[0], f), getattr(model.tree_, f)), f
        q = rng.normal(size=(40, d)).astype(np.float32)
        assert np.array_equal(_grown_predict(grown, q), model.predict(q))


def test_data_oob_is_the_same_with_and_without_the_builder(monkeypatch):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 6))
    y = (x[:, 0] + rng.normal(size=200) > 0).astype(np.int64)
    y[:7] = 2
    fast = data_oob(x, y, n_estimators=40, seed=5)
    monkeypatch.setattr(oob, "_tree_parts", lambda *a: None)  # (another scikit-learn: its estimator)
    slow = data_oob(x, y, n_estimators=40, seed=5)
    for f in ("values", "stderr", "n_oob", "votes"):
        assert np.array_equal(getattr(fast, f), getattr(slow, f), equal_nan=True), f
    target = x[:, 1] * 2 + rng.normal(size=200)
    monkeypatch.undo()
    fast = data_oob(x, target, n_estimators=30, seed=5, task="regression")
    monkeypatch.setattr(oob, "_tree_parts", lambda *a: None)
    slow = data_oob(x, target, n_estimators=30, seed=5, task="regression")
    for f in ("values", "stderr", "n_oob", "prediction"):
        assert np.array_equal(getattr(fast, f), getattr(slow, f), equal_nan=True), f


def test_a_builder_that_grows_other_trees_is_not_used(monkeypatch):
    _tree_parts.cache_clear()
    real = oob._grow

    def off(parts, x32, y, weight, seed, n_features, task):  # (a builder whose trees differ: another seed)
        return real(parts, x32, y, weight, seed + 1, n_features, task)

    monkeypatch.setattr(oob, "_grow", off)
    try:
        assert _tree_parts("sqrt", 4) is None and _tree_parts("sqrt", 4, "regression") is None
    finally:
        _tree_parts.cache_clear()


def test_settings_and_masks_the_estimator_refuses_are_refused_as_before():
    from sklearn.utils._param_validation import InvalidParameterError

    from dvclean.errors import ValuationError

    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 6))
    y = (x[:, 0] > 0).astype(np.int64)
    for bad in ("auto", [1], 0, 1.5):  # (QA round 100: "auto" gave a bare TypeError, a list an unhashable-key one)
        with pytest.raises(InvalidParameterError, match="max_features"):
            data_oob(x, y, n_estimators=5, max_features=bad)
    with pytest.raises(ValuationError, match="train_mask selects no row"):
        data_oob(x, y, n_estimators=5, train_mask=np.zeros(100, dtype=bool))
