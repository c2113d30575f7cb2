"""Warm-started Newton solver for binary L2 logistic regression (TMC's inner loop).

TMC Data Shapley (Ghorbani & Zou 2019) refits the model after every player added
along a permutation, so a TMC run is tens of thousands of fits of one model on
prefixes that differ by one row. scikit-learn's L-BFGS pays 2.3 ms per fit for
that on 1,000 rows x 67 features even from a warm start (10-12 quasi-Newton
iterations and Python-level input validation), 5 ms cold.

:class:`NewtonLogisticRegression` minimises exactly scikit-learn's objective for
``LogisticRegression(C=C)`` with the default L2 penalty and an unpenalised
intercept,

    f(w, b) = sum_i [log(1 + exp(eta_i)) - y_i * eta_i] + ||w||^2 / (2C),  eta = X w + b,

which is strictly convex, so every solver that converges reaches the same optimum.
It uses Newton's method with a *chord* refinement for warm starts: the Cholesky
factor of the Hessian of the previous fit (one row fewer) is reused as long as
each step shrinks the gradient at least twentyfold, and is recomputed otherwise
(always on a cold start). Steps are damped by an Armijo backtracking line search.
It stops when the largest entry of the summed gradient is below ``tol * n_rows``
(``tol=1e-8``); scikit-learn's default stops at ``1e-4`` on the *mean* gradient,
so this optimum is four orders of magnitude tighter. Measured on the TMC
benchmark (``benchmarks/tmc_convergence.py``, ``benchmarks/RESULTS_TMC.md``):
0.41 ms per warm fit, 5.6x less TMC wall time for the same AUROC trajectory
(values equal up to the solvers' tolerance).

Three classes or more are handed to ``fallback``, so the class works as a drop-in for any
label set. For scikit-learn's default solver that is :class:`MultinomialLBFGS`: scikit-learn's
own multinomial problem and L-BFGS-B call (same objective, start, options and warm start), with
the loss and gradient in numpy instead of scikit-learn's estimator machinery, whose input checks
and label encoding took about half of each refit's time. The loss and gradient equal
scikit-learn's to rounding (4e-16 relative), so on well-conditioned fits the iterates are
scikit-learn's (digits, wine: the same iteration counts and values); a slow fit (hundreds of
iterations, a tiny or huge ``C``) amplifies the rounding and may end elsewhere within the
solver's tolerance, neither better nor worse. ``benchmarks/multiclass_logreg.py`` measures it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from scipy.special import expit

__all__ = ["MultinomialLBFGS", "NewtonLogisticRegression", "fast_equivalent"]


class NewtonLogisticRegression:
    """Binary L2-penalised logistic regression fitted by warm-started Newton iterations.

    Parameters
    ----------
    C : float
        Inverse regularisation strength, as in scikit-learn.
    tol : float
        Stop when ``max |gradient| <= tol * n_rows`` (the gradient of the summed loss).
    max_iter : int
        Newton iterations at most (each with at most 30 halvings of the step).
    fallback : callable, optional
        ``fallback()`` builds the model used when the labels are not exactly two
        classes (default: a warm-starting scikit-learn ``LogisticRegression(C)``).

    Notes
    -----
    ``fit`` always warm-starts from the previous fit when the feature count is
    unchanged; a fresh instance is a cold start from zero.
    """

    chord = 0.05

    def __init__(self, C: float = 1.0, tol: float = 1e-8, max_iter: int = 100,
                 fallback: Callable[[], Any] | None = None) -> None:
        self.C = float(C)
        self.tol = float(tol)
        self.max_iter = int(max_iter)
        self.fallback = fallback
        self.theta_: np.ndarray | None = None
        self._factor: tuple[np.ndarray, bool] | None = None
        self._other: Any = None
        self.classes_ = np.arange(2)
        self.n_iter_ = 0
        self.n_hessians_ = 0

    # -- fitting -----------------------------------------------------------------
    def fit(self, x: np.ndarray, y: np.ndarray) -> NewtonLogisticRegression:
        """Fit on ``x`` (rows x features) and labels ``y``; returns ``self``."""
        x = np.asarray(x, dtype=np.float64)
        classes, yc = np.unique(np.asarray(y), return_inverse=True)
        self.classes_ = classes
        if classes.shape[0] != 2:
            if self._other is None:
                self._other = self.fallback() if self.fallback is not None else _sklearn_warm(self.C)
            self._other.fit(x, yc)
            return self
        self._other = None
        m, d = x.shape
        z = np.empty((m, d + 1))
        z[:, :d] = x
        z[:, d] = 1.0
        t = yc.astype(np.float64)
        reg = np.full(d + 1, 1.0 / self.C)
        reg[d] = 0.0
        warm = self.theta_ is not None and self.theta_.shape[0] == d + 1
        theta = self.theta_.copy() if warm else np.zeros(d + 1)
        factor = self._factor if warm else None
        eta = z @ theta
        f = _objective(eta, t, theta, reg)
        prev_g = np.inf
        gtol = self.tol * max(m, 1)
        it = 0
        for it in range(1, self.max_iter + 1):  # noqa: B007 - read after the loop
            p = expit(eta)
            g = z.T @ (p - t) + reg * theta
            g_max = float(np.max(np.abs(g)))
            if g_max <= gtol:
                break
            if factor is None or g_max > self.chord * prev_g:
                s = p * (1.0 - p)
                h = (z.T * s) @ z
                h[np.diag_indices_from(h)] += reg
                try:
                    factor = cho_factor(h, lower=True, check_finite=False)
                except LinAlgError:  # only the unpenalised intercept can be flat: ridge it slightly
                    h[d, d] += 1e-10 * m + 1e-12
                    factor = cho_factor(h, lower=True, check_finite=False)
                self.n_hessians_ += 1
            prev_g = g_max
            step = cho_solve(factor, g, check_finite=False)
            dz = z @ step
            slope = float(g @ step)
            a = 1.0
            for _ in range(30):
                theta_new = theta - a * step
                eta_new = eta - a * dz
                f_new = _objective(eta_new, t, theta_new, reg)
                if f_new <= f - 1e-4 * a * slope:
                    break
                a *= 0.5
            else:  # no decrease at all: the point is optimal to rounding
                break
            theta, eta, f = theta_new, eta_new, f_new
        self.theta_ = theta
        self._factor = factor
        self.n_iter_ = it
        return self

    # -- prediction --------------------------------------------------------------
    @property
    def coef_(self) -> np.ndarray:
        assert self.theta_ is not None
        return self.theta_[None, :-1]

    @property
    def intercept_(self) -> np.ndarray:
        assert self.theta_ is not None
        return self.theta_[-1:]

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        assert self.theta_ is not None, "fit first"
        return np.asarray(x, dtype=np.float64) @ self.theta_[:-1] + self.theta_[-1]

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self._other is not None:
            return self.classes_[np.asarray(self._other.predict(x), dtype=np.int64)]
        return self.classes_[(self.decision_function(x) > 0).astype(np.int64)]

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        if self._other is not None:
            return np.asarray(self._other.predict_proba(x))
        p = expit(self.decision_function(x))
        return np.column_stack([1.0 - p, p])


class MultinomialLBFGS:
    """Multinomial L2 logistic regression by scikit-learn's L-BFGS-B call, warm-started, without its overhead.

    Minimises scikit-learn's objective for ``LogisticRegression(C=C)`` (solver ``lbfgs``) with three or more
    classes, the mean multinomial log loss plus ``||W||^2 / (2 C n)`` (intercepts unpenalised), with its options
    (``maxls=50``, ``gtol=tol``, ``ftol=64 eps``). A refit starts from the previous coefficients when the
    classes and features are as many (``warm_start=True``); otherwise from zero.

    Parameters
    ----------
    C, tol, max_iter
        As in scikit-learn's ``LogisticRegression``.
    """

    def __init__(self, C: float = 1.0, tol: float = 1e-4, max_iter: int = 100) -> None:
        self.C = float(C)
        self.tol = float(tol)
        self.max_iter = int(max_iter)
        self.w_: np.ndarray | None = None  # (classes, features + 1): coefficients, then the intercept
        self.classes_ = np.arange(0)
        self.n_iter_ = 0

    def fit(self, x: np.ndarray, y: np.ndarray) -> MultinomialLBFGS:
        """Fit on ``x`` and labels ``y`` (any values: their sorted distinct values are the classes)."""
        from scipy import optimize

        x = np.ascontiguousarray(x, dtype=np.float64)
        classes, yc = np.unique(np.asarray(y), return_inverse=True)
        self.classes_ = classes
        m, d = x.shape
        k = classes.shape[0]
        onehot = np.zeros((m, k))
        onehot[np.arange(m), yc] = 1.0
        lam = 1.0 / (self.C * m)

        def loss_gradient(w: np.ndarray) -> tuple[float, np.ndarray]:
            weights = w.reshape((k, d + 1), order="F")  # (scikit-learn's layout of the parameter vector)
            coef = weights[:, :d]
            eta = x @ coef.T + weights[:, d]
            top = eta.max(axis=1, keepdims=True)
            p = np.exp(eta - top)
            total = p.sum(axis=1, keepdims=True)
            loss = (float(np.sum(np.log(total)) + top.sum()) - float(np.einsum("ij,ij->", eta, onehot))) / m
            loss += 0.5 * lam * float(np.sum(coef * coef))
            p /= total
            p -= onehot
            p /= m
            grad = np.empty((k, d + 1), order="F")
            grad[:, :d] = p.T @ x + lam * coef
            grad[:, d] = p.sum(axis=0)
            return loss, grad.ravel(order="F")

        warm = self.w_ is not None and self.w_.shape == (k, d + 1)
        w0 = self.w_.ravel(order="F") if warm else np.zeros(k * (d + 1))  # type: ignore[union-attr]
        res = optimize.minimize(loss_gradient, w0, method="L-BFGS-B", jac=True,
                                options={"maxiter": self.max_iter, "maxls": 50, "gtol": self.tol,
                                         "ftol": 64 * np.finfo(float).eps})
        self.w_ = np.asarray(res.x).reshape((k, d + 1), order="F").copy()
        self.n_iter_ = int(res.nit)
        return self

    @property
    def coef_(self) -> np.ndarray:
        assert self.w_ is not None, "fit first"
        return self.w_[:, :-1]

    @property
    def intercept_(self) -> np.ndarray:
        assert self.w_ is not None, "fit first"
        return self.w_[:, -1]

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=np.float64) @ self.coef_.T + self.intercept_

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.classes_[np.argmax(self.decision_function(x), axis=1)]

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        e = self.decision_function(x)
        e -= e.max(axis=1, keepdims=True)
        np.exp(e, out=e)
        e /= e.sum(axis=1, keepdims=True)
        return e


def _objective(eta: np.ndarray, t: np.ndarray, theta: np.ndarray, reg: np.ndarray) -> float:
    return float(np.sum(np.logaddexp(0.0, eta) - t * eta) + 0.5 * np.dot(reg * theta, theta))


def _sklearn_warm(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=1000, warm_start=True)


def fast_equivalent(model: Any) -> Callable[[], NewtonLogisticRegression] | None:
    """A factory of :class:`NewtonLogisticRegression` with ``model``'s optimum, or ``None``.

    Only for exactly scikit-learn's ``LogisticRegression`` with the L2 penalty, an
    unpenalised fitted intercept and no class or sample weights — the settings whose
    objective this solver minimises (``liblinear`` penalises the intercept and is
    left alone).
    """
    from sklearn.linear_model import LogisticRegression

    if type(model) is not LogisticRegression:
        return None
    p = model.get_params()
    l1 = p.get("l1_ratio")
    if (p.get("solver") == "liblinear" or p.get("dual") or not p.get("fit_intercept", True)
            or p.get("class_weight") is not None or l1 not in (None, 0, 0.0)
            or p.get("penalty", "l2") not in ("l2", "deprecated")
            or not (np.isfinite(p["C"]) and p["C"] > 0)):
        return None
    params = {k: v for k, v in p.items() if k != "warm_start"}
    # partials of classes, not closures: a utility holding this factory pickles to workers
    fallback: Callable[[], Any] = functools.partial(LogisticRegression, **params, warm_start=True)
    if p.get("solver", "lbfgs") == "lbfgs" and p.get("multi_class", "auto") in ("auto", "multinomial", "deprecated"):
        fallback = functools.partial(MultinomialLBFGS, C=float(p["C"]), tol=float(p.get("tol", 1e-4)),
                                     max_iter=int(p.get("max_iter", 100)))
    return functools.partial(NewtonLogisticRegression, C=float(p["C"]), fallback=fallback)
