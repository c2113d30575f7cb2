"""The warm Newton solver minimises scikit-learn's L2 logistic-regression objective."""

from __future__ import annotations

import functools
import pickle

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from dvclean.valuation._fastlogreg import NewtonLogisticRegression, fast_equivalent
from dvclean.valuation._models import Utility, make_model


def objective(model, x, y, c):  # noqa: ANN001, ANN201 - sklearn's objective, unscaled
    eta = x @ model.coef_.ravel() + model.intercept_[0]
    return float(np.sum(np.logaddexp(0, eta) - y * eta) + 0.5 / c * model.coef_.ravel() @ model.coef_.ravel())


@pytest.mark.parametrize(("m", "d", "sep", "c"), [(30, 3, 1.0, 1.0), (200, 10, 3.0, 0.1), (400, 40, 0.5, 10.0),
                                                  (12, 40, 5.0, 1.0), (50, 2, 50.0, 1.0)])
def test_same_optimum_as_scikit_learn(m, d, sep, c):
    rng = np.random.default_rng(m + d)
    x = rng.normal(size=(m, d))
    y = (sep * x[:, 0] + rng.normal(size=m) > 0).astype(int)
    ref = LogisticRegression(C=c, tol=1e-12, max_iter=100_000).fit(x, y)
    fast = NewtonLogisticRegression(C=c).fit(x, y)
    np.testing.assert_allclose(fast.coef_, ref.coef_, atol=1e-5)
    np.testing.assert_allclose(fast.intercept_, ref.intercept_, atol=1e-5)
    # never a worse optimum than scikit-learn's default tolerance reaches
    default = LogisticRegression(C=c, max_iter=1000).fit(x, y)
    assert objective(fast, x, y, c) <= objective(default, x, y, c) + 1e-9
    np.testing.assert_allclose(fast.predict_proba(x), ref.predict_proba(x), atol=1e-5)
    assert np.array_equal(fast.predict(x), ref.predict(x))


def test_warm_start_reaches_the_cold_optimum_along_a_growing_prefix():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 8))
    y = (x[:, 0] - x[:, 1] + rng.normal(size=300) > 0).astype(int)
    warm = NewtonLogisticRegression()
    for k in range(10, 301, 7):
        warm.fit(x[:k], y[:k])
        cold = NewtonLogisticRegression().fit(x[:k], y[:k])
        np.testing.assert_allclose(warm.theta_, cold.theta_, atol=1e-7)
    assert warm.n_hessians_ < 3 * len(range(10, 301, 7))  # the chord steps reuse factors


def test_string_labels_and_more_than_two_classes_fall_back_to_the_multinomial_solver():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(90, 3))
    y3 = np.repeat([0, 1, 2], 30)
    x[:, 0] += y3
    fast = NewtonLogisticRegression().fit(x, y3)
    ref = LogisticRegression(max_iter=1000).fit(x, y3)
    assert np.array_equal(fast.predict(x), ref.predict(x))
    assert fast.predict_proba(x).shape == (90, 3)
    labels = np.where(y3[:60] == 0, "no", "yes")
    two = NewtonLogisticRegression().fit(x[:60], labels)
    assert set(two.predict(x[:60])) <= {"no", "yes"}


def test_only_plain_l2_logistic_regression_is_replaced():
    assert fast_equivalent(LogisticRegression()) is not None
    for other in (LogisticRegression(solver="liblinear"), LogisticRegression(class_weight="balanced"),
                  LogisticRegression(fit_intercept=False), LogisticRegression(l1_ratio=1.0, solver="saga"),
                  make_model("knn")):
        assert fast_equivalent(other) is None
    assert fast_equivalent(LogisticRegression(C=0.5))().C == 0.5


def test_a_utility_with_the_fast_model_pickles_and_agrees_with_scikit_learn_fits():
    rng = np.random.default_rng(3)
    x, xv = rng.normal(size=(80, 4)), rng.normal(size=(200, 4))
    y, yv = (x[:, 0] > 0).astype(int), (xv[:, 0] > 0).astype(int)
    u = Utility(functools.partial(make_model, "logreg"), "accuracy", x, y, xv, yv, 2)
    subsets = [rng.choice(80, k, replace=False) for k in (5, 20, 60)]
    fast = [u(s) for s in subsets]
    assert isinstance(u.new_model(), NewtonLogisticRegression)
    ref = [float(np.mean(LogisticRegression(max_iter=1000).fit(x[s], y[s]).predict(xv) == yv)) for s in subsets]
    assert np.abs(np.subtract(fast, ref)).max() <= 2 / 200  # predictions differ only at the boundary
    u2 = pickle.loads(pickle.dumps(u))
    assert [u2(s) for s in subsets] == fast


def _multiclass(seed: int, m: int = 150, d: int = 6, k: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, m)
    x = rng.normal(size=(m, d))
    x[:, :k] += 1.5 * np.eye(k)[y][:, : min(k, d)]
    return x, y


@pytest.mark.parametrize(("k", "c"), [(3, 1.0), (4, 0.1), (6, 10.0)])
def test_multinomial_lbfgs_follows_scikit_learns_iterates(k, c):
    from dvclean.valuation._fastlogreg import MultinomialLBFGS

    x, y = _multiclass(k, k=k)
    ref = LogisticRegression(C=c, max_iter=1000, warm_start=True)
    ours = MultinomialLBFGS(C=c, max_iter=1000)
    order = np.random.default_rng(0).permutation(y.size)
    first = next(i for i in range(y.size) if np.unique(y[order[:i]]).size == k)
    for i in range(first, y.size, 7):  # a growing prefix, warm-started, as TMC refits it
        rows = order[:i]
        ref.fit(x[rows], y[rows])
        ours.fit(x[rows], y[rows])
        assert ours.n_iter_ == ref.n_iter_[0]
        np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
        np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-6)
        np.testing.assert_allclose(ours.predict_proba(x), ref.predict_proba(x), atol=1e-6)
        assert np.array_equal(ours.predict(x), ref.predict(x))


def test_multinomial_lbfgs_reaches_the_optimum_and_replaces_only_lbfgs():
    from dvclean.valuation._fastlogreg import MultinomialLBFGS

    x, y = _multiclass(9, k=5)
    tight = LogisticRegression(C=0.5, tol=1e-12, max_iter=100_000).fit(x, y)
    ours = MultinomialLBFGS(C=0.5, tol=1e-12, max_iter=100_000).fit(x, np.array(list("abcde"))[y])
    np.testing.assert_allclose(ours.coef_, tight.coef_, atol=1e-5)
    assert set(ours.predict(x)) <= set("abcde")
    assert isinstance(fast_equivalent(LogisticRegression())().fit(x, y)._other, MultinomialLBFGS)
    other = fast_equivalent(LogisticRegression(solver="newton-cg"))().fit(x, y)._other
    assert type(other) is LogisticRegression and other.solver == "newton-cg"
