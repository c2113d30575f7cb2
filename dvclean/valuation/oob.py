"""Data-OOB: out-of-bag estimate of each row's value from a bagged ensemble.

Kwon & Zou, "Data-OOB: Out-of-bag Estimate as a Simple and Efficient Data Value",
ICML 2023.

B decision trees are fitted on bootstrap samples (a random forest: scikit-learn
``DecisionTreeClassifier(max_features="sqrt")`` on ``n`` rows drawn with
replacement). A row's value is the mean, over the trees whose bootstrap sample did
not contain it, of ``T(y_i, f_b(x_i))``: ``1[f_b(x_i) = y_i]`` for classification and
``-(f_b(x_i) - y_i)^2`` for regression. No validation set is needed; with
``--valid`` the values are the same (the method never uses it).

Bootstrap sample ``b`` is drawn by ``numpy.random.default_rng(s_b).integers(0, n, n)``
with ``s_b`` the b-th seed spawned from the run seed, and tree ``b`` gets ``s_b`` as its
``random_state``: the result depends only on the seed, not on the number of threads.
The standard error is the sampling error of the out-of-bag mean. Besides the values,
:func:`data_oob` returns the out-of-bag class votes (classification) or the mean
out-of-bag prediction (regression), which the flag rule uses.
"""

from __future__ import annotations

import functools
import numbers
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import ValuationError
from ..table import ValuationData, on_target_grid
from ._base import ValuationResult, check_data
from ._crossfit import fold_seeds
from ._parallel import thread_map

__all__ = ["DataOOB", "OOBOutput", "bag_seeds", "bootstrap_indices", "data_oob"]

ProgressFn = Callable[[str, int, int], None]


def bag_seeds(seed: int, n_estimators: int) -> list[int]:
    """Seed of each bag (bootstrap draw and tree), spawned from ``seed``."""
    return fold_seeds(seed, n_estimators)


def bootstrap_indices(n: int, bag_seed: int, size: int | None = None) -> np.ndarray:
    """Row indices of one bootstrap sample (``n`` draws with replacement, or ``size``)."""
    return np.random.default_rng(bag_seed).integers(0, n, n if size is None else size)


def make_tree(task: str, max_features: str | float, seed: int) -> Any:
    """The weak learner: a fully grown decision tree (random-forest style)."""
    if task == "regression":
        from sklearn.tree import DecisionTreeRegressor

        return DecisionTreeRegressor(max_features=max_features, random_state=seed)
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(max_features=max_features, random_state=seed)


def _max_features(max_features: str | float | None, d: int) -> int:
    """The number of features each split tries, as scikit-learn's trees count it for ``d`` features."""
    if max_features == "sqrt":
        return max(1, int(np.sqrt(d)))
    if max_features == "log2":
        return max(1, int(np.log2(d)))
    if max_features is None:
        return d
    if isinstance(max_features, numbers.Integral):
        return int(max_features)
    return max(1, int(max_features * d)) if max_features > 0 else 0  # type: ignore[operator]


def _grow(parts: tuple[Any, ...], x32: np.ndarray, y: np.ndarray, weight: np.ndarray | None, seed: int,
          n_features: int, task: str = "classification") -> tuple[Any, np.ndarray | None]:
    """The tree ``make_tree(task, max_features, seed).fit(x32, y, sample_weight=weight, check_input=False)`` grows
    (its ``tree_``), with its classes (None for regression), built by scikit-learn's own builder without the
    estimator's per-fit checks: the criterion (Gini; squared error), splitter, random state and builder settings
    that ``BaseDecisionTree._fit`` sets up for it, so the same tree. Of 200 classification fits of 300 rows the
    checks (parameter validation, ``type_of_target``, the weights' ``check_array``) were 60% of the time."""
    criteria, criteria_reg, splitters, builder, tree_type = parts
    if task == "regression":
        classes = None
        n_classes = np.array([1], dtype=np.intp)
        criterion = criteria_reg["squared_error"](1, x32.shape[0])
        target = np.ascontiguousarray(np.reshape(y, (-1, 1)), dtype=np.float64)
    else:
        classes, codes = np.unique(y, return_inverse=True)
        n_classes = np.array([classes.size], dtype=np.intp)
        criterion = criteria["gini"](1, n_classes)
        target = np.ascontiguousarray(codes.reshape(-1, 1), dtype=np.float64)
    min_weight_leaf = 0.0  # (min_weight_fraction_leaf 0 times the weights' sum)
    splitter = splitters["best"](criterion, n_features, 1, min_weight_leaf, np.random.RandomState(seed), None)
    tree = tree_type(x32.shape[1], n_classes, 1)
    builder(splitter, 2, 1, min_weight_leaf, np.iinfo(np.int32).max, 0.0).build(tree, x32, target, weight, None)
    return tree, classes


def _grown_predict(grown: tuple[Any, np.ndarray | None], x32: np.ndarray) -> np.ndarray:
    """What a tree from :func:`_grow` predicts for each row of ``x32`` (the estimator's ``predict``): a class, or
    the regression tree's value."""
    tree, classes = grown
    if classes is None:
        return tree.predict(x32)[:, 0]
    return classes.take(np.argmax(tree.predict(x32), axis=1), axis=0)


@functools.lru_cache(maxsize=64)
def _tree_parts(max_features: str | float | None, d: int, task: str = "classification") -> tuple[Any, ...] | None:
    """scikit-learn's tree-building classes for :func:`_grow`, or None where this scikit-learn does not have them
    or grows another tree with them than its estimator (:func:`make_tree`) does. Checked once for each setting on a
    small problem with ties (and, for classes, weights and codes that are not 0..k-1; for regression, repeated rows
    as in a bootstrap sample): the trees' nodes and predictions must be equal; the estimator is used otherwise."""
    try:
        from sklearn.tree._classes import CRITERIA_CLF, CRITERIA_REG, DENSE_SPLITTERS
        from sklearn.tree._tree import DepthFirstTreeBuilder, Tree

        parts = (CRITERIA_CLF, CRITERIA_REG, DENSE_SPLITTERS, DepthFirstTreeBuilder, Tree)
        rng = np.random.default_rng(0)
        x = np.round(rng.normal(size=(60, d)), 1).astype(np.float32)
        weight: np.ndarray | None = None
        if task == "regression":
            x = x[rng.integers(0, 60, 60)]
            y = np.round(x[:, 0] + rng.normal(size=60), 2)
        else:
            y = rng.integers(0, 3, 60)
            y[y == 1] = 3  # (codes 0, 2, 3: not 0..k-1)
            weight = rng.integers(1, 4, 60).astype(np.float64)
        n_features = _max_features(max_features, d)
        for seed in (0, 1):
            grown = _grow(parts, x, y, weight, seed, n_features, task)
            model = make_tree(task, max_features, seed).fit(x, y, sample_weight=weight, check_input=False)
            a, b = grown[0], model.tree_
            same = (model.max_features_ == n_features and a.node_count == b.node_count
                    and all(np.array_equal(getattr(a, f), getattr(b, f))
                            for f in ("children_left", "children_right", "feature", "threshold", "value"))
                    and np.array_equal(_grown_predict(grown, x), model.predict(x, check_input=False)))
            if not same:
                return None
        return parts
    except Exception:  # noqa: BLE001 - another scikit-learn's internals: its estimator is used
        return None


@dataclass(frozen=True)
class OOBOutput:
    """What :func:`data_oob` computes.

    Attributes
    ----------
    values : ndarray of shape (n,)
        Mean out-of-bag score of each row.
    stderr : ndarray of shape (n,)
        Standard error of that mean over the row's out-of-bag trees; NaN for a row out of bag in fewer than two.
    n_oob : ndarray of shape (n,)
        Number of trees for which the row was out of bag.
    votes : ndarray of shape (n, n_classes) or None
        Classification: fraction of the out-of-bag trees predicting each class.
    prediction : ndarray of shape (n,) or None
        Regression: mean out-of-bag prediction.
    """

    values: np.ndarray
    stderr: np.ndarray
    n_oob: np.ndarray
    votes: np.ndarray | None
    prediction: np.ndarray | None


def data_oob(
    x: np.ndarray,
    y: np.ndarray,
    *,
    n_classes: int | None = None,
    n_estimators: int = 800,
    seed: int = 0,
    task: str = "classification",
    max_features: str | float = "sqrt",
    n_jobs: int = 1,
    progress: ProgressFn | None = None,
    train_mask: np.ndarray | None = None,
    max_samples: int | None = None,
) -> OOBOutput:
    """Data-OOB values of every row.

    Parameters
    ----------
    x : ndarray of shape (n, d)
    y : ndarray of shape (n,)
        Class codes (classification) or targets (regression).
    n_classes : int, optional
        Number of classes (default ``y.max() + 1``).
    n_estimators : int
        Number of bags B.
    seed : int
    task : {"classification", "regression"}
    max_features : str or float
    n_jobs : int
        Threads that fit trees; the result does not depend on it.
    train_mask : ndarray of bool, optional
        Only these rows are drawn into the bootstrap samples; the others are out of
        bag for every tree (the outlying-target rule's second pass, :mod:`dvclean.flags`).
    max_samples : int, optional
        Draws per bootstrap sample where fewer than the rows they are drawn from (default: as many, the paper's
        bootstrap). The flag rule's forest draws at most :attr:`~dvclean.config.MislabelConfig.oob_max_samples`:
        a tree then costs what one on that many rows costs, and each row is out of bag in more trees.

    Returns
    -------
    OOBOutput

    Examples
    --------
    >>> x = np.r_[np.zeros((10, 1)), np.ones((10, 1))]
    >>> y = np.r_[np.zeros(10, int), np.ones(10, int)]
    >>> y[0] = 1
    >>> out = data_oob(x, y, n_estimators=50)
    >>> int(np.argmin(out.values))
    0
    """
    n = x.shape[0]
    if n < 2:
        raise ValuationError("Data-OOB needs at least two labelled rows")
    regression = task == "regression"
    if not regression:
        y = np.asarray(y, dtype=np.int64)
        n_classes = int(n_classes if n_classes is not None else y.max() + 1)
    seeds = bag_seeds(seed, n_estimators)

    allowed = None if train_mask is None else np.flatnonzero(train_mask)
    if allowed is not None and not allowed.size:
        raise ValuationError("Data-OOB's train_mask selects no row to draw the bootstrap samples from; give at least one")
    # scikit-learn's trees split float32 coordinates: converted once here rather than in every fit, whose checks
    # (and its missing-value mask, needed only where a value is missing) are skipped on finite data; the trees are
    # the same (scikit-learn makes the same float32 copy itself), and 200 fits of 300 rows took 20% less time
    with np.errstate(over="ignore"):  # (a value past float32's range: the checked fit refuses it, by name)
        x32 = np.ascontiguousarray(x, dtype=np.float32)
    checked = not bool(np.isfinite(x32).all())
    if checked:
        x32 = x
    # trees on finite data: grown by scikit-learn's builder without the estimator's checks (a max_features it would
    # refuse fails its check there, and the estimator refuses it by name)
    parts = None
    if not checked and (max_features is None or isinstance(max_features, (str, numbers.Real))):
        parts = _tree_parts(max_features, x.shape[1], task)
    n_features = _max_features(max_features, x.shape[1]) if parts is not None else 0

    if max_samples is not None and (not isinstance(max_samples, numbers.Integral) or isinstance(max_samples, bool)
                                    or max_samples < 1):
        raise ValuationError(f"Data-OOB's max_samples must be None or an int >= 1, not {max_samples!r}")
    pool = n if allowed is None else allowed.size
    size = None if max_samples is None or max_samples >= pool else int(max_samples)

    def fit_predict(b: int) -> tuple[np.ndarray, np.ndarray]:
        idx = (bootstrap_indices(n, seeds[b], size) if allowed is None
               else allowed[bootstrap_indices(allowed.size, seeds[b], size)])
        drawn_count = np.bincount(idx, minlength=n)
        if regression:
            rows, weight = idx, None
        else:
            # each drawn row once, weighted by its number of draws: the same tree as on the bootstrap sample with its
            # repeats (class counts are whole numbers either way, so every split's Gini gain is the same number), on
            # about 63% of the rows (1.4x faster at 100k rows). A regression tree is not: its impurity sums targets in
            # another order, a node of one repeated row can then try a split the other way round, and the draws of
            # its random features go out of step.
            rows = np.flatnonzero(drawn_count)
            weight = drawn_count[rows].astype(np.float64)
        if parts is not None:
            grown = _grow(parts, x32[rows], y[rows], weight, seeds[b], n_features, task)
        else:
            tree = make_tree(task, max_features, seeds[b])
            tree.fit(x32[rows], y[rows], sample_weight=weight, check_input=checked)
        oob = drawn_count == 0
        if not oob.any():  # every row was drawn (tiny n): this tree has no out-of-bag row
            return oob, np.empty(0, dtype=np.float64 if regression else np.int64)
        if parts is not None:
            return oob, _grown_predict(grown, x32[oob])
        return oob, tree.predict(x32[oob], check_input=checked)

    total = np.zeros(n)
    sq = np.zeros(n)
    count = np.zeros(n)
    votes = np.zeros((n, n_classes)) if not regression and n_classes else None
    pred_sum = np.zeros(n) if regression else None
    if progress:  # the bar (and its clock) starts with the first tree, not when the first 50 are done
        progress("data-oob trees", 0, n_estimators)
    for b, (oob, pred) in enumerate(thread_map(fit_predict, n_estimators, n_jobs)):
        rows = np.flatnonzero(oob)
        if regression:
            assert pred_sum is not None
            score = -((pred - y[rows]) ** 2)
            pred_sum[rows] += pred
        else:
            assert votes is not None
            pred = np.asarray(pred, dtype=np.int64)
            score = (pred == y[rows]).astype(np.float64)
            votes[rows, pred] += 1
        total[rows] += score
        sq[rows] += score * score
        count[rows] += 1
        if progress and ((b + 1) % 50 == 0 or b + 1 == n_estimators):
            progress("data-oob trees", b + 1, n_estimators)
    seen = count > 0
    values = np.full(n, np.nan)
    values[seen] = total[seen] / count[seen]
    if not seen.all():
        # a row in every bootstrap sample (only with very few trees): the mean of the others
        values[~seen] = np.nanmean(values) if seen.any() else 0.0
    safe = np.maximum(count, 1)
    var = np.maximum(sq / safe - (total / safe) ** 2, 0.0)
    # a row out of bag in fewer than two trees has no spread to measure: no estimate (NaN), not a certain 0
    stderr = np.where(count >= 2, np.sqrt(var / np.maximum(count - 1, 1)), np.nan)
    if votes is not None:
        votes = votes / safe[:, None]
        if not seen.all():
            votes[~seen] = np.bincount(y, minlength=n_classes) / n
    prediction = None
    if pred_sum is not None:
        prediction = np.where(seen, pred_sum / safe, float(np.mean(y)))
    return OOBOutput(values=values, stderr=stderr, n_oob=count.astype(np.int64), votes=votes, prediction=prediction)


@dataclass(frozen=True)
class DataOOB:
    """Data-OOB valuer (Kwon & Zou 2023).

    Parameters
    ----------
    n_estimators : int
    max_features : str or float
    n_jobs : int
    task : {"classification", "regression"}
    """

    n_estimators: int = 800
    max_features: str | float = "sqrt"
    n_jobs: int = 1
    task: str = "classification"
    name: ClassVar[str] = "oob"
    citation: ClassVar[str] = (
        "Kwon & Zou, Data-OOB: Out-of-bag Estimate as a Simple and Efficient Data Value, ICML 2023"
    )

    def __post_init__(self) -> None:
        """Refuse settings the forest cannot take when the valuer is built (as :class:`~dvclean.config.OOBConfig`)."""
        from ..config import check_param, one_of, plain_numbers

        plain_numbers(self)  # (numpy numbers as Python's, before they are checked)

        def whole(v: Any) -> bool:
            return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))

        check_param(self, "n_estimators", self.n_estimators, whole(self.n_estimators) and self.n_estimators >= 1,
                    "an int >= 1")
        check_param(self, "max_features", self.max_features,
                    self.max_features in ("sqrt", "log2") or (isinstance(self.max_features, numbers.Real)
                                                              and not isinstance(self.max_features, (bool, np.bool_))
                                                              and 0 < self.max_features <= 1),
                    "'sqrt', 'log2' or a float in (0, 1]")
        if isinstance(self.max_features, numbers.Integral):  # a share: 1 is every feature (scikit-learn: one feature)
            object.__setattr__(self, "max_features", float(self.max_features))
        check_param(self, "n_jobs", self.n_jobs, whole(self.n_jobs) and self.n_jobs >= 1, "an int >= 1")
        check_param(self, "task", self.task, self.task in ("classification", "regression"),
                    one_of(("classification", "regression")))

    def value(self, data: ValuationData, *, seed: int = 0, progress: ProgressFn | None = None) -> ValuationResult:
        """Value every player by its out-of-bag correctness (or negative squared error)."""
        check_data(self, data, seed)
        t0 = time.perf_counter()
        task = "regression" if "regression" in (self.task, getattr(data, "task", None)) else "classification"
        n_classes = None if task == "regression" else len(data.classes)
        # (standardised targets on a fine grid: the same trees in any units of the target, table.on_target_grid)
        y = on_target_grid(data.y) if getattr(data, "task", None) == "regression" else data.y
        out = data_oob(
            data.x, y, n_classes=n_classes, n_estimators=self.n_estimators, seed=seed, task=task,
            max_features=self.max_features, n_jobs=self.n_jobs, progress=progress,
        )
        return ValuationResult(
            method=self.name,
            values=out.values,
            stderr=out.stderr,
            status="approximate",
            params={"n_estimators": self.n_estimators, "max_features": self.max_features, "task": task},
            seed=seed,
            diagnostics={
                "seconds": round(time.perf_counter() - t0, 4),
                "min_oob_trees": int(out.n_oob.min()),
                "mean_oob_trees": float(out.n_oob.mean()),
            },
        )
