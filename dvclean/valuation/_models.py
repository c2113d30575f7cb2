"""Models, metrics and the utility function shared by the model-based valuers.

A *utility* maps a set of player indices to the validation score of a model
trained on those players (Ghorbani & Zou 2019, "Data Shapley"). Conventions:

* the empty set, and every subset that does not yet hold each class of the validation
  labels (of those the players have at all), is not fitted: it scores U(empty set), the
  paper's "random score" — for accuracy the majority-class rate of the validation labels,
  0.5 for AUC, the matching constant-prediction score for the other metrics — as in the
  authors' code, where the score stays put until the permutation's prefix holds every
  test class (algorithms.md §1; ``DShap.py``, ``one_iteration``). These are counted as
  ``n_degenerate``. (Scoring a one-class subset as "always predict its class" instead
  charged every minority-class row, at the front of a permutation, the majority rate
  minus its own class's: Beta(16,1), which weighs small subsets most, ranked clean
  minority rows lowest.);
* a model fit that raises is counted in ``n_failures`` (with the first message
  kept) and scored like a degenerate subset; it is never silently a zero;
* every fit runs with one native thread (BLAS/OpenMP), so parallel workers do not
  oversubscribe the cores.
"""

from __future__ import annotations

import contextlib
import importlib
import re
import sys
import threading
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
        return _import_model(name, seed, "classifier")
    if name == "linear":
        raise ConfigError("--model linear is the linear regression of a regression target; for class labels use one of "
                          f"{', '.join(MODELS)} or a dotted class path (logreg is the linear model for classes)")
    raise ConfigError(f"unknown model {name!r}; use one of {', '.join(MODELS)} or a dotted class path")


def _import_model(name: str, seed: int, kind: str) -> Any:
    """An instance of the scikit-learn-compatible ``kind`` class at dotted path ``name``, seeded where it can be."""
    module, _, cls = name.rpartition(".")
    try:
        klass = getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot import model {name!r} ({exc}); give a dotted path to a {kind} class") from exc
    # only a class is ever called: a dotted path to a function (os.system, os.abort) must not run
    example = f"e.g. sklearn.ensemble.RandomForest{kind.capitalize()}"
    if not isinstance(klass, type):
        raise ConfigError(
            f"model {name!r} is a {type(klass).__name__}, not a class; give a dotted path to a "
            f"scikit-learn-compatible {kind} class ({example})"
        )
    if not (callable(getattr(klass, "fit", None)) and callable(getattr(klass, "predict", None))):
        raise ConfigError(f"model {name!r} has no fit/predict; give a scikit-learn-compatible {kind} class ({example})")
    try:
        model = klass()
    except TypeError as exc:
        missing = re.search(r"missing \d+ required (?:positional |keyword-only )?arguments?: (.+)$", str(exc))
        needs = f" (it needs {missing.group(1)})" if missing else ""
        raise ConfigError(
            f"model {name!r} cannot be built without arguments{needs}; give a class whose defaults make a working "
            f"{kind} ({example})"
        ) from exc
    kind_of = _estimator_type(model)
    if kind_of is not None and kind_of != kind:
        need = (f"a label valued as classes needs a classifier ({example}; for a numeric target use --task regression, ScoreConfig(task='regression') in Python)"
                if kind == "classifier" else f"a regression target needs a regressor ({example})")
        raise ConfigError(f"model {name!r} is a {kind_of}, not a {kind}: {need}")
    if hasattr(model, "random_state"):
        try:
            model.set_params(random_state=seed)
        except Exception:  # noqa: BLE001 - a model without settable random_state is fine
            pass
    return model


def _estimator_type(model: Any) -> str | None:
    """``classifier``, ``regressor``, ``clusterer``, ... as scikit-learn's tags declare it; None when the class
    declares nothing (a plain class with fit/predict is taken at its word)."""
    import warnings

    try:
        from sklearn.utils import get_tags

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kind = get_tags(model).estimator_type
    except Exception:  # noqa: BLE001 - not a scikit-learn estimator: no tags
        kind = getattr(model, "_estimator_type", None)
    return kind if isinstance(kind, str) else None


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
        # negative log-loss of a prediction of the one class seen, with the classes not seen sharing
        # ABSENT_MASS, as for a fitted model that saw only some classes (_proba)
        p = np.full((y_valid.shape[0], n_classes), ABSENT_MASS / max(1, n_classes - 1))
        p[:, cls] = 1 - ABSENT_MASS
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


#: Probability that a model gives, together, the classes absent from its training rows (log-loss
#: needs them non-zero): the same for a constant prediction (:func:`constant_score`) and a fitted
#: model, so adding the first row of a class never looks like a loss of 30 nats a validation row.
ABSENT_MASS = 1e-3


def _proba(model: Any, x: np.ndarray, n_classes: int) -> np.ndarray:
    """Class probabilities over all ``n_classes``; classes unseen in training share :data:`ABSENT_MASS`."""
    if hasattr(model, "predict_proba"):
        p = model.predict_proba(x)
        classes = np.asarray(getattr(model, "classes_", np.arange(p.shape[1])), dtype=np.int64)
    else:
        pred = model.predict(x)
        classes = np.arange(n_classes)
        p = np.eye(n_classes)[pred]
    out = np.zeros((x.shape[0], n_classes))
    absent = np.setdiff1d(np.arange(n_classes), classes)
    if absent.size:
        out[:, absent] = ABSENT_MASS / absent.size
        p = p * (1 - ABSENT_MASS)
    out[:, classes] = p
    return out


#: The threadpoolctl controller :func:`native_limits` reuses, and the number of imported modules it was made at.
_controller: Any = None
_controller_modules = -1
_controller_lock = threading.Lock()


def native_limits(limits: int, user_api: str | None = None) -> Any:
    """``threadpoolctl.threadpool_limits(limits, user_api)`` (a context manager), its controller reused while no
    module has been imported since it was made: ``threadpool_limits`` scans every loaded library on each call (6 ms;
    16 calls made 12% of a 300-row ``score``). The native libraries it limits come with imports (numpy's and
    scipy's OpenBLAS, the OpenMP runtimes of scikit-learn, XGBoost, faiss and torch; numba's threading layers are
    extension modules too), so an import makes a new scan. (Not a count of the loaded objects through
    ``dl_iterate_phdr``: its Python callback waits for the interpreter lock while holding the loader's, and a thread
    importing an extension module holds the one while waiting for the other.)"""
    global _controller, _controller_modules
    from threadpoolctl import ThreadpoolController

    modules = len(sys.modules)
    with _controller_lock:
        if _controller is None or modules != _controller_modules:
            _controller, _controller_modules = ThreadpoolController(), modules
        controller = _controller
    return controller.limit(limits=limits, user_api=user_api)


#: Depth of enclosing :func:`single_thread` blocks: a loop of fits inside one skips the per-fit limit (each limit
#: sets and restores every library's threads; a fresh scan, after an import, costs milliseconds, as much as a
#: small fit).
_single_thread_depth = 0


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Limit native (BLAS/OpenMP) threads to one for a whole block of fits."""
    global _single_thread_depth
    with native_limits(1):
        _single_thread_depth += 1
        try:
            yield
        finally:
            _single_thread_depth -= 1


#: Depth of enclosing :func:`quiet_fits` blocks: inside one, warnings are already ignored and
#: native threads limited for the whole process, so :func:`fit_quietly` touches neither.
_quiet_depth = 0


@contextlib.contextmanager
def quiet_fits() -> Iterator[None]:
    """One native thread and warnings ignored for a whole block of fits, also on other threads.

    ``warnings.catch_warnings`` and ``threadpool_limits`` change process-wide state and are
    not safe to enter from several threads at once, so a block that fits models on a thread
    pool enters this once, in the thread that owns the pool, and the workers'
    :func:`fit_quietly` calls leave both alone.
    """
    global _quiet_depth
    with single_thread(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _quiet_depth += 1
        try:
            yield
        finally:
            _quiet_depth -= 1


def fit_quietly(model: Any, x: np.ndarray, y: np.ndarray) -> Any:
    """Fit with convergence warnings silenced and one native thread."""
    if _quiet_depth:
        model.fit(x, y)
        return model
    limit = native_limits(1) if _single_thread_depth == 0 else contextlib.nullcontext()
    with warnings.catch_warnings(), limit:
        warnings.simplefilter("ignore")
        model.fit(x, y)
    return model


def _at_most_k_rows(model: Any, rows: int) -> Any:
    """``model`` with K lowered to ``rows`` when it is a K-nearest-neighbours model given fewer rows than K: it votes
    (or averages) among all of them, as KNN-Shapley's utility does, rather than failing on every prefix of a
    permutation shorter than K."""
    k = getattr(model, "n_neighbors", None)
    if isinstance(k, int) and not isinstance(k, bool) and rows < k:
        from sklearn.base import clone

        return clone(model).set_params(n_neighbors=int(rows))
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
    #: Whether a subset must hold every class of the validation rows that the players have before a model is fitted
    #: (TMC's convention, Ghorbani & Zou's code: the score stays U(empty set) until then). False (``loo``,
    #: ``banzhaf``): a subset of two classes or more is fitted on the classes it has, as the model trained on it
    #: would be; under the convention, taking out one row of a 2-row class scored the fold as the empty set, and
    #: label typos that made such a class were the most valuable rows (0.55 against at most 0.034 on wine).
    every_class: bool = True
    _cache: dict[bytes, float] = field(default_factory=dict, repr=False)
    _build: Callable[[], Any] | None = field(default=None, repr=False)
    _needed: np.ndarray | None = field(default=None, repr=False)

    def holds_every_class(self, present: np.ndarray) -> bool:
        """Whether a subset whose classes are ``present`` holds every class of the validation labels that the
        players have: before that, the paper does not fit a model (the score stays U(empty set))."""
        if self._needed is None:
            self._needed = np.intersect1d(np.unique(self.y_valid), np.unique(self.y_train))
        return bool(np.isin(self._needed, present).all())

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
        if present.size < 2 or (self.every_class and not self.holds_every_class(present)):
            self.n_degenerate += 1
            return self.empty_score()
        model = _at_most_k_rows(self.new_model() if model is None else model, indices.size)
        try:
            model = fit_quietly(model, self.x_train[indices], _compact(y))
            score = score_model(_Remapped(model, present), self.metric, self.x_valid, self.y_valid, self.n_classes)
            self.n_fits += 1  # (after the score: a model that fits but cannot predict is one failure, not a fit too)
            return score
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


# -- regression targets (issue 6, item 5) ----------------------------------------------------------------------------
#
# Regression utilities score a regressor on the validation targets, which dvclean standardises
# (dvclean.table: ``(y - mean) / std`` over the labelled rows). Conventions:
#
# * the empty set predicts the constant 0, i.e. the mean target of the labelled rows (the
#   regression analogue of the majority-class "random score"); it is not fitted and counts as
#   degenerate;
# * a fit that raises (e.g. ``knn`` on fewer than 5 rows) is counted in ``n_failures`` and scored
#   as the constant prediction of its subset's mean target;
# * ``r2`` is the coefficient of determination on the validation rows (sklearn's ``r2_score``);
#   ``neg_mse`` is minus the mean squared error in standardised units (so minus the MSE divided by
#   the target's variance);
# * R² divides by the spread of the validation targets, so it is undefined where they are one
#   value (:func:`flat_targets`). Standardised copies of one value can differ by an ulp: the exact
#   ``ss_tot == 0`` test missed them, and a zero-inflated target (26 zeros of 30) gave values of
#   -9.5e31. A ``--valid`` file whose targets are flat (or a single row) is refused
#   (:func:`utility_builder`); a cross-fitting fold whose validation rows happen to be flat (26 zeros
#   of 30 in 5 folds leave one fold nothing but zeros: only 4 rows can spread over 5 folds) is dvclean's
#   own split, not the user's data, so it is not refused: its R² divides by the variance of all
#   the targets (1 in standardised units), the quantity a fold's own spread estimates, and the
#   pipeline notes which folds it was (``flat_validation_folds`` in the diagnostics).

#: Regression model names (``logreg``, the classification default, means ``linear``).
REGRESSION_MODELS = ("linear", "knn", "xgboost", "hgb")
#: Regression metrics; ``accuracy`` (the classification default) means ``r2``.
REGRESSION_METRICS = ("r2", "neg_mse")
_CLASSIFICATION_ONLY_METRICS = ("auc", "f1", "logloss")


def regression_model_metric(model: str, metric: str) -> tuple[str, str]:
    """Map the ``--model`` / ``--metric`` settings to their regression meaning.

    ``logreg`` (the default model) becomes ``linear`` (ridge regression) and
    ``accuracy`` (the default metric) becomes ``r2``; ``auc``, ``f1`` and ``logloss``
    are refused.

    Examples
    --------
    >>> regression_model_metric("logreg", "accuracy")
    ('linear', 'r2')
    """
    if metric in _CLASSIFICATION_ONLY_METRICS:
        raise ConfigError(
            f"--metric {metric} scores class predictions; a regression target is scored with "
            f"{' or '.join(REGRESSION_METRICS)}"
        )
    return ("linear" if model == "logreg" else model), ("r2" if metric == "accuracy" else metric)


def make_regressor(name: str, *, seed: int = 0) -> Any:
    """Build an unfitted regressor by short name or dotted path (the regression twin of :func:`make_model`).

    Parameters
    ----------
    name : str
        ``linear`` (ridge regression, alpha 1; ``logreg`` is accepted as an alias),
        ``knn`` (5 nearest neighbours), ``xgboost`` (100 trees of depth 4, one
        thread), ``hgb`` or a dotted path to any scikit-learn-compatible regressor
        class (``sklearn.svm.SVR``).
    seed : int
        Passed as ``random_state`` where the model takes one.

    Examples
    --------
    >>> type(make_regressor("linear")).__name__
    'Ridge'
    """
    if name in ("linear", "logreg"):
        from sklearn.linear_model import Ridge

        return Ridge(alpha=1.0)
    if name == "knn":
        from sklearn.neighbors import KNeighborsRegressor

        return KNeighborsRegressor(n_neighbors=5)
    if name == "hgb":
        from sklearn.ensemble import HistGradientBoostingRegressor

        return HistGradientBoostingRegressor(max_iter=100, random_state=seed)
    if name == "xgboost":
        from xgboost import XGBRegressor

        return XGBRegressor(
            n_estimators=100, max_depth=4, learning_rate=0.1, n_jobs=1, random_state=seed, verbosity=0,
            tree_method="hist",
        )
    if "." in name:
        return _import_model(name, seed, "regressor")
    raise ConfigError(f"unknown regression model {name!r}; use one of {', '.join(REGRESSION_MODELS)} or a dotted class path")


#: Spread (max - min) of validation targets, relative to their scale, at or below which they count as one
#: value for R²: standardising one value gives copies an ulp (2e-16 relative) apart, and a target of mean 1e6
#: and std 1 loses up to 1e-10 to the subtraction; a real spread of a billionth of the scale measures nothing.
FLAT_TARGETS_RTOL = 1e-9


def flat_targets(y: np.ndarray) -> bool:
    """Whether standardised targets ``y`` are (numerically) one value, or fewer than 2: R² is undefined on them.

    The scale is the larger of 1 (the spread of standardised targets) and their largest magnitude.

    Examples
    --------
    >>> flat_targets(np.array([-0.31511276, -0.31511276 + 5e-17])), flat_targets(np.array([0.0, 0.1]))
    (True, False)
    """
    y = np.asarray(y, dtype=np.float64).ravel()
    if y.size < 2:
        return True
    return bool(np.ptp(y) <= FLAT_TARGETS_RTOL * max(1.0, float(np.abs(y).max())))


def regression_score(metric: str, y_true: np.ndarray, pred: np.ndarray, *, ss_tot: float | None = None) -> float:
    """``r2`` or ``neg_mse`` of predictions (higher is better).

    ``ss_tot`` (``r2`` only) replaces the validation targets' own sum of squared deviations: a
    cross-fitting fold whose targets are flat divides by ``len(y_true)`` times the variance of all the
    targets instead. Without it, flat targets (:func:`flat_targets`) raise: R² is undefined on them.

    Examples
    --------
    >>> regression_score("neg_mse", np.array([0.0, 2.0]), np.array([1.0, 1.0]))
    -1.0
    """
    pred = np.asarray(pred, dtype=np.float64).ravel()
    if metric == "neg_mse":
        return float(-np.mean((pred - y_true) ** 2))
    if metric == "r2":
        if ss_tot is None:
            if flat_targets(y_true):
                raise ValueError("R² is undefined on validation targets that are one value (or a single row)")
            ss_tot = float(np.sum((y_true - y_true.mean()) ** 2))
        ss_res = float(np.sum((y_true - pred) ** 2))
        return 1.0 - ss_res / ss_tot
    raise ConfigError(f"unknown regression metric {metric!r}; use one of {', '.join(REGRESSION_METRICS)}")


@dataclass
class RegressionUtility(Utility):
    """``U(indices)`` for a regression target: validation ``r2`` / ``neg_mse`` of a regressor trained on the players.

    Same fields and counters as :class:`Utility` (``n_classes`` is unused, 0); ``y``
    holds standardised targets. The empty set predicts 0 (the mean target); a fit
    that raises predicts the mean target of its subset. ``ss_tot`` (``r2`` only), when
    set, is the denominator of R² (see :func:`regression_score`); ``flat_validation``
    says the fold's validation targets were flat and it was set for them.

    Examples
    --------
    >>> x = np.arange(8.0)[:, None]
    >>> u = RegressionUtility(lambda: make_regressor("linear"), "r2", x, x[:, 0], x, x[:, 0], 0)
    >>> round(u(np.arange(8)), 3), round(u.empty_score(), 3)
    (0.999, -2.333)
    """

    ss_tot: float | None = None
    flat_validation: bool = False

    def empty_score(self) -> float:
        """U(empty set): the score of predicting 0, the mean target."""
        return regression_score(self.metric, self.y_valid, np.zeros(self.y_valid.shape[0]), ss_tot=self.ss_tot)

    def __call__(self, indices: np.ndarray, model: Any = None) -> float:
        """Score of a regressor trained on ``x_train[indices]``."""
        self.n_calls += 1
        indices = np.asarray(indices, dtype=np.int64)
        if indices.size == 0:
            self.n_degenerate += 1
            return self.empty_score()
        y = self.y_train[indices]
        model = _at_most_k_rows(self.model_factory() if model is None else model, indices.size)
        try:
            fitted = fit_quietly(model, self.x_train[indices], y)
            score = regression_score(self.metric, self.y_valid, fitted.predict(self.x_valid), ss_tot=self.ss_tot)
            self.n_fits += 1
            return score
        except Exception as exc:  # noqa: BLE001 - counted and reported, never silent
            self.n_failures += 1
            if self.first_failure is None:
                self.first_failure = f"{type(exc).__name__}: {exc}"
            return regression_score(self.metric, self.y_valid, np.full(self.y_valid.shape[0], float(y.mean())),
                                    ss_tot=self.ss_tot)


def fold_regression_utility(
    xp: np.ndarray, yp: np.ndarray, xv: np.ndarray, yv: np.ndarray, fold_seed: int, model: str, metric: str,
) -> RegressionUtility:
    """The regression utility of one cross-fitting fold (``model`` seeded with the fold seed).

    With ``r2`` and flat validation targets (:func:`flat_targets`), R² divides by the variance of all
    the fold's targets, players and validation rows together (the whole target's, about 1 in standardised
    units), instead of the validation rows' own, which is 0; ``flat_validation`` is then True. Flat
    players and validation rows together (every target one value) are refused.
    """
    import functools

    factory = functools.partial(make_regressor, model, seed=fold_seed)
    if metric != "r2" or not flat_targets(yv):
        return RegressionUtility(factory, metric, xp, yp, xv, yv, 0)
    every = np.concatenate([np.asarray(yp, dtype=np.float64), np.asarray(yv, dtype=np.float64)])
    if flat_targets(every):
        raise ConfigError("--metric r2 divides by the spread of the target, and every target is one value; use "
                          "--metric neg_mse, or a target that varies")
    return RegressionUtility(factory, metric, xp, yp, xv, yv, 0, ss_tot=float(yv.shape[0] * np.var(every)),
                             flat_validation=True)


def _target_text(data: Any, y: np.ndarray) -> str:
    """The first of standardised targets ``y`` in the label column's units, as the summaries print a number."""
    to_units = getattr(data, "target_values", None)
    value = float(to_units(y[:1])[0]) if callable(to_units) else float(y[0])
    return f"{value:g}"


def utility_builder(data: Any, model: str, metric: str) -> tuple[Callable[..., Utility], str, str]:
    """How the retraining valuers build one fold's utility for ``data``'s task.

    Checks ``--model`` and ``--metric`` before any work (a bad one fails here) and
    returns ``(build, model, metric)`` with the names as used (regression maps
    ``logreg``/``accuracy`` to ``linear``/``r2``, :func:`regression_model_metric`);
    ``build(x_players, y_players, x_valid, y_valid, fold_seed)`` returns a
    :class:`Utility` (:class:`RegressionUtility` for a regression target) whose
    model is seeded with the fold seed.
    """
    import functools

    if getattr(data, "task", "classification") == "regression":
        model, metric = regression_model_metric(model, metric)
        if metric not in REGRESSION_METRICS:
            raise ConfigError(f"unknown metric {metric!r}; a regression target is scored with {' or '.join(REGRESSION_METRICS)}")
        make_regressor(model, seed=0)
        if metric == "r2" and data.y_valid is not None and flat_targets(data.y_valid):
            # (the user's own validation set: unlike a cross-fitting fold, no other spread stands for its own)
            yv = np.asarray(data.y_valid, dtype=np.float64)
            what = ("has a single row" if yv.size == 1 else "has no row" if yv.size == 0 else
                    f"has {yv.size} rows whose targets are all {_target_text(data, yv)}")
            raise ConfigError(
                f"--metric r2 divides by the spread of the validation targets, and the --valid file {what}: R² is "
                "undefined there (every value would be 0, or rounding noise); use --metric neg_mse, or a --valid file "
                "whose targets vary"
            )

        def build_regression(xp: np.ndarray, yp: np.ndarray, xv: np.ndarray, yv: np.ndarray, fold_seed: int) -> Utility:
            return fold_regression_utility(xp, yp, xv, yv, fold_seed, model, metric)

        return build_regression, model, metric
    if metric in REGRESSION_METRICS:
        raise ConfigError(f"--metric {metric} scores a regression target; class labels are scored with {', '.join(METRICS)}")
    n_classes = len(data.classes)
    probe = make_model(model, seed=0, n_classes=n_classes)
    if metric in ("auc", "logloss") and not hasattr(probe, "predict_proba"):
        raise ConfigError(
            f"--metric {metric} scores class probabilities, and --model {model} ({type(probe).__name__}) has no "
            "predict_proba; use --metric accuracy or f1, or a model that gives probabilities"
        )
    if metric == "auc" and data.y_valid is not None:
        missing = np.setdiff1d(np.arange(n_classes), np.asarray(data.y_valid, dtype=np.int64))
        if missing.size:
            names = ", ".join(repr(data.classes[i].item() if hasattr(data.classes[i], "item") else data.classes[i])
                              for i in missing[:5])
            raise ConfigError(
                f"--metric auc needs every class among the validation rows, and the --valid file has no row of "
                f"class {names}{' ...' if missing.size > 5 else ''}; add such rows or use --metric accuracy, f1 "
                "or logloss"
            )

    if metric == "f1" and n_classes == 2 and data.y_valid is not None and not np.any(np.asarray(data.y_valid) == 1):
        # (classes are coded by size: 1 is the smaller class, F1's positive one; without it every F1 is 0)
        positive = data.classes[1].item() if hasattr(data.classes[1], "item") else data.classes[1]
        raise ConfigError(
            f"--metric f1 of two classes is the F1 of the smaller class, {positive!r}, and the --valid file has no row "
            "of it: every subset would score 0 and every value would be 0; add such rows or use --metric accuracy or "
            "logloss"
        )

    def build(xp: np.ndarray, yp: np.ndarray, xv: np.ndarray, yv: np.ndarray, fold_seed: int) -> Utility:
        factory = functools.partial(make_model, model, seed=fold_seed, n_classes=n_classes)
        return Utility(factory, metric, xp, yp, xv, yv, n_classes)

    return build, model, metric
