"""Models, metrics and the utility function shared by the model-based valuers.

A *utility* maps a set of player indices to the validation score of a model
trained on those players (Ghorbani & Zou 2019, "Data Shapley"). Conventions:

* the empty set and subsets that do not contain at least two classes are not
  fitted: they get the paper's "random score" convention — for accuracy the rate
  of the subset's single class in the validation labels (the majority-class rate
  for the empty set), 0.5 for AUC, the matching constant-prediction score for the
  other metrics — and are counted as ``n_degenerate``;
* a model fit that raises is counted in ``n_failures`` (with the first message
  kept) and scored like a degenerate subset; it is never silently a zero;
* every fit runs with one native thread (BLAS/OpenMP), so parallel workers do not
  oversubscribe the cores.
"""

from __future__ import annotations

import contextlib
import importlib
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ConfigError

__all__ = ["MODELS", "METRICS", "make_model", "score_model", "Utility", "constant_score"]

MODELS = ("logreg", "knn", "xgboost", "hgb")
METRICS = ("accuracy", "auc", "f1", "logloss")


def make_model(name: str, *, seed: int = 0, n_classes: int = 2) -> Any:
    """Build an unfitted classifier by short name or dotted path.

    Parameters
    ----------
    name : str
        ``logreg``, ``knn``, ``xgboost``, ``hgb`` or a dotted path to any
        scikit-learn-compatible classifier class (``sklearn.svm.SVC``).
    seed : int
        Passed as ``random_state`` where the model takes one.
    n_classes : int

    Examples
    --------
    >>> type(make_model("logreg")).__name__
    'LogisticRegression'
    """
    if name == "logreg":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(max_iter=1000, random_state=seed)
    if name == "knn":
        from sklearn.neighbors import KNeighborsClassifier

        return KNeighborsClassifier(n_neighbors=5)
    if name == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(max_iter=100, random_state=seed)
    if name == "xgboost":
        from xgboost import XGBClassifier

        return XGBClassifier(
            n_estimators=100, max_depth=4, learning_rate=0.1, n_jobs=1, random_state=seed, verbosity=0,
            tree_method="hist",
        )
    if "." in name:
        module, _, cls = name.rpartition(".")
        try:
            klass = getattr(importlib.import_module(module), cls)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"cannot import model {name!r} ({exc}); give a dotted path to a classifier class") from exc
        try:
            model = klass()
        except TypeError as exc:
            raise ConfigError(f"model {name!r} cannot be built without arguments ({exc})") from exc
        if hasattr(model, "random_state"):
            try:
                model.set_params(random_state=seed)
            except Exception:  # noqa: BLE001 - a model without settable random_state is fine
                pass
        if not (hasattr(model, "fit") and hasattr(model, "predict")):
            raise ConfigError(f"model {name!r} has no fit/predict; give a scikit-learn classifier")
        return model
    raise ConfigError(f"unknown model {name!r}; use one of {', '.join(MODELS)} or a dotted class path")


def constant_score(metric: str, y_valid: np.ndarray, predicted_class: int | None, n_classes: int) -> float:
    """Score of a model that always predicts one class (``None``: the majority class of ``y_valid``)."""
    counts = np.bincount(y_valid, minlength=n_classes)
    cls = int(np.argmax(counts)) if predicted_class is None else predicted_class
    if metric == "accuracy":
        return float(counts[cls] / max(1, y_valid.shape[0]))
    if metric == "auc":
        return 0.5
    if metric == "f1":
        from sklearn.metrics import f1_score

        pred = np.full(y_valid.shape[0], cls)
        avg = "binary" if n_classes == 2 else "macro"
        return float(f1_score(y_valid, pred, average=avg, zero_division=0))
    if metric == "logloss":
        # negative log-loss of the class prior of the predicted class (1 - 1e-3 on it)
        p = np.full((y_valid.shape[0], n_classes), 1e-3 / max(1, n_classes - 1))
        p[:, cls] = 1 - 1e-3
        return float(np.mean(np.log(p[np.arange(y_valid.shape[0]), y_valid])))
    raise ConfigError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")


def score_model(model: Any, metric: str, x: np.ndarray, y: np.ndarray, n_classes: int) -> float:
    """Score a fitted classifier; higher is better for every metric (log-loss is negated)."""
    if metric == "accuracy":
        return float(np.mean(model.predict(x) == y))
    if metric == "f1":
        from sklearn.metrics import f1_score

        avg = "binary" if n_classes == 2 else "macro"
        return float(f1_score(y, model.predict(x), average=avg, zero_division=0))
    proba = _proba(model, x, n_classes)
    if metric == "auc":
        from sklearn.metrics import roc_auc_score

        if np.unique(y).size < 2:
            return 0.5
        if n_classes == 2:
            return float(roc_auc_score(y, proba[:, 1]))
        return float(roc_auc_score(y, proba, multi_class="ovr", labels=np.arange(n_classes)))
    if metric == "logloss":
        p = np.clip(proba[np.arange(y.shape[0]), y], 1e-15, 1.0)
        return float(np.mean(np.log(p)))
    raise ConfigError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")


def _proba(model: Any, x: np.ndarray, n_classes: int) -> np.ndarray:
    """Class probabilities over all ``n_classes`` (columns for classes unseen in training are 0)."""
    if hasattr(model, "predict_proba"):
        p = model.predict_proba(x)
        classes = np.asarray(getattr(model, "classes_", np.arange(p.shape[1])), dtype=np.int64)
    else:
        pred = model.predict(x)
        classes = np.arange(n_classes)
        p = np.eye(n_classes)[pred]
    out = np.zeros((x.shape[0], n_classes))
    out[:, classes] = p
    return out


#: Depth of enclosing :func:`single_thread` blocks. Entering ``threadpool_limits``
#: costs milliseconds (it scans the loaded libraries), as much as a small fit, so a
#: loop of fits inside one ``single_thread()`` block skips the per-fit limit.
_single_thread_depth = 0


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Limit native (BLAS/OpenMP) threads to one for a whole block of fits."""
    global _single_thread_depth
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        _single_thread_depth += 1
        try:
            yield
        finally:
            _single_thread_depth -= 1


def fit_quietly(model: Any, x: np.ndarray, y: np.ndarray) -> Any:
    """Fit with convergence warnings silenced and one native thread."""
    from threadpoolctl import threadpool_limits

    limit = threadpool_limits(1) if _single_thread_depth == 0 else contextlib.nullcontext()
    with warnings.catch_warnings(), limit:
        warnings.simplefilter("ignore")
        model.fit(x, y)
    return model


@dataclass
class Utility:
    """``U(indices)``: validation score of a model trained on the given players.

    Parameters
    ----------
    model_factory : callable
        ``model_factory()`` returns a fresh unfitted classifier.
    metric : str
        One of :data:`METRICS`; higher is better.
    x_train, y_train : ndarray
        Players (``y`` as integer codes ``0..n_classes-1``).
    x_valid, y_valid : ndarray
        Validation points.
    n_classes : int

    Attributes
    ----------
    n_calls, n_fits, n_degenerate, n_failures : int
        Counters reported in the valuation diagnostics.
    first_failure : str or None
        Message of the first fit that raised.
    """

    model_factory: Callable[[], Any]
    metric: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    n_classes: int
    n_calls: int = 0
    n_fits: int = 0
    n_degenerate: int = 0
    n_failures: int = 0
    first_failure: str | None = None
    _cache: dict[bytes, float] = field(default_factory=dict, repr=False)
    _build: Callable[[], Any] | None = field(default=None, repr=False)

    def new_model(self) -> Any:
        """A fresh unfitted model: ``model_factory()``, or its faster exact equivalent.

        Plain L2 logistic regression is fitted by
        :class:`~dvclean.valuation._fastlogreg.NewtonLogisticRegression` (the same
        strictly convex objective, solved to a tighter tolerance, 3-5x faster per
        cold fit than L-BFGS); every other model is ``model_factory()`` itself.
        """
        if self._build is None:
            from ._fastlogreg import fast_equivalent

            self._build = fast_equivalent(self.model_factory()) or self.model_factory
        return self._build()

    def empty_score(self) -> float:
        """U(empty set): the majority-class convention."""
        return constant_score(self.metric, self.y_valid, None, self.n_classes)

    def __call__(self, indices: np.ndarray, model: Any = None) -> float:
        """Score of a model trained on ``x_train[indices]``.

        ``model`` (optional) is fitted instead of a fresh ``model_factory()`` (TMC
        passes a warm-started model reused along a permutation).
        """
        self.n_calls += 1
        indices = np.asarray(indices, dtype=np.int64)
        if indices.size == 0:
            self.n_degenerate += 1
            return self.empty_score()
        y = self.y_train[indices]
        present = np.unique(y)
        if present.size < 2:
            self.n_degenerate += 1
            return constant_score(self.metric, self.y_valid, int(present[0]), self.n_classes)
        try:
            model = fit_quietly(self.new_model() if model is None else model, self.x_train[indices], _compact(y))
            self.n_fits += 1
            return score_model(_Remapped(model, present), self.metric, self.x_valid, self.y_valid, self.n_classes)
        except Exception as exc:  # noqa: BLE001 - counted and reported, never silent
            self.n_failures += 1
            if self.first_failure is None:
                self.first_failure = f"{type(exc).__name__}: {exc}"
            counts = np.bincount(y, minlength=self.n_classes)
            return constant_score(self.metric, self.y_valid, int(np.argmax(counts)), self.n_classes)

    def diagnostics(self) -> dict[str, Any]:
        """Counters as a JSON-able dict."""
        return {
            "utility_calls": self.n_calls,
            "model_fits": self.n_fits,
            "degenerate_subsets": self.n_degenerate,
            "fit_failures": self.n_failures,
            "first_failure": self.first_failure,
        }


def _compact(y: np.ndarray) -> np.ndarray:
    """Map the classes present to 0..c-1 (xgboost requires consecutive codes)."""
    _, inv = np.unique(y, return_inverse=True)
    return inv


class _Remapped:
    """Wraps a model fitted on compacted codes so it predicts the original codes."""

    def __init__(self, model: Any, present: np.ndarray) -> None:
        self.model = model
        self.classes_ = present

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.classes_[np.asarray(self.model.predict(x), dtype=np.int64)]

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        if hasattr(self.model, "predict_proba"):
            return np.asarray(self.model.predict_proba(x))
        pred = np.asarray(self.model.predict(x), dtype=np.int64)  # hard predictions as 0/1 probabilities
        return np.eye(self.classes_.shape[0])[pred]
