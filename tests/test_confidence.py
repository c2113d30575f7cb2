"""Out-of-fold confidence: equals a direct cross-validation loop; finds flipped labels."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from dvclean.config import ConfidenceConfig, ScoreConfig
from dvclean.table import ValuationData
from dvclean.valuation import REGISTRY, make_valuer
from dvclean.valuation._crossfit import fold_seeds, stratified_folds
from dvclean.valuation.confidence import oof_proba


def noisy(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(0, 1, (n, 3)) + 2.5 * y[:, None]
    flipped = rng.random(n) < 0.1
    return x, np.where(flipped, 1 - y, y), flipped


def test_equals_direct_cross_validation_loop():
    x, y, _ = noisy(60, 0)
    p = oof_proba(x, y, 2, model="logreg", n_folds=4, seed=3)
    folds = stratified_folds(y, 4, 3)
    seeds = fold_seeds(3, 4)
    for f in range(4):
        test = folds == f
        m = LogisticRegression(max_iter=1000, random_state=seeds[f]).fit(x[~test], y[~test])
        np.testing.assert_allclose(p[test], m.predict_proba(x[test]), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_folds_lowered_to_smallest_class():
    x, y, _ = noisy(40, 1)
    y = y.copy()
    y[:] = 0
    y[:3] = 1  # class 1 has 3 rows: 3 folds, every training fold still holds class 1
    p = oof_proba(x, y, 2, model="logreg", n_folds=5, seed=0)
    assert p.shape == (40, 2) and np.all(np.isfinite(p))


def test_valuer_finds_flipped_labels_with_xgboost():
    x, y, flipped = noisy(400, 2)
    data = ValuationData(x=x, y=y, rows=np.arange(400), classes=np.array([0, 1]))
    res = make_valuer("confidence", ScoreConfig(confidence=ConfidenceConfig())).value(data, seed=0)
    assert res.method == "confidence" and np.all((res.values >= 0) & (res.values <= 1))
    assert roc_auc_score(flipped, -res.values) > 0.9
    again = make_valuer("confidence", ScoreConfig()).value(data, seed=0)
    np.testing.assert_array_equal(res.values, again.values)
    assert "Northcutt" in REGISTRY["confidence"].citation
