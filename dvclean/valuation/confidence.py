"""Out-of-fold confidence: the cross-validated probability of a row's given label.

Northcutt, Jiang & Chuang, "Confident Learning: Estimating Uncertainty in Dataset
Labels", Journal of Artificial Intelligence Research 70, 2021.

Confident Learning starts from *out-of-sample* predicted probabilities: the rows are
split into F stratified folds, a classifier (XGBoost by default) is trained on F-1
folds and predicts the held-out fold, so every row's probabilities come from a model
that never saw it. The value of a row is ``p_oof(given label | x)``, its
"self-confidence": low values are rows the model believes carry another label. It is
not a semivalue, but it is the signal cleanlab ranks label issues by, and a strong
ingredient of the flag rule (:mod:`dvclean.flags`).

The fold count is lowered to the smallest class size when a class has fewer rows
than folds (every training fold must contain every class).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import ValuationError
from ..table import ValuationData
from ._base import ValuationResult, check_data, check_settings
from ._crossfit import fold_seeds, stratified_folds
from ._models import _compact, _proba, _Remapped, fit_quietly, make_model
from ._parallel import thread_map

__all__ = ["ConfidenceSettings", "OOFConfidence", "oof_predict", "oof_proba"]

ProgressFn = Callable[[str, int, int], None]


def _effective_folds(y: np.ndarray, n_folds: int) -> int:
    counts = np.bincount(y)
    counts = counts[counts > 0]
    return int(max(2, min(n_folds, counts.min())))


def oof_proba(
    x: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    *,
    model: str = "xgboost",
    n_folds: int = 5,
    seed: int = 0,
    progress: ProgressFn | None = None,
    n_jobs: int = 1,
) -> np.ndarray:
    """Out-of-fold class probabilities of every row.

    Parameters
    ----------
    x : ndarray of shape (n, d)
    y : ndarray of shape (n,)
        Integer class codes ``0..n_classes-1``.
    n_classes : int
    model : str
        Model name for :func:`dvclean.valuation._models.make_model`.
    n_folds : int
        Stratified folds (lowered to the smallest class size, at least 2).
    seed : int
    n_jobs : int
        Folds fitted at once, on threads (each fit on one native thread); the
        probabilities do not depend on it.

    Returns
    -------
    ndarray of shape (n, n_classes)
        Row ``i`` comes from the model trained on the folds that do not hold ``i``.

    Examples
    --------
    >>> x = np.r_[np.zeros((6, 1)), np.ones((6, 1))]
    >>> p = oof_proba(x, np.r_[np.zeros(6, int), np.ones(6, int)], 2, model="logreg", n_folds=3)
    >>> bool((p.argmax(1) == np.r_[np.zeros(6), np.ones(6)]).all())
    True
    """
    n = x.shape[0]
    if n < 4:
        raise ValuationError("out-of-fold probabilities need at least 4 labelled rows")
    k = _effective_folds(y, n_folds)
    key = _oof_key(x, y, n_classes, model, k, seed)
    last = _LAST_OOF  # (read once: another thread may replace it)
    if key is not None and last is not None and last[0] == key:  # the same fits again (-m confidence, its flags)
        if progress:
            progress("out-of-fold model", k, k)
        return last[1].copy()
    folds = stratified_folds(y, k, seed)
    seeds = fold_seeds(seed, k)
    out = np.zeros((n, n_classes))

    def fit_fold(f: int) -> np.ndarray:
        test = folds == f
        ytr = y[~test]
        present = np.unique(ytr)
        m = fit_quietly(make_model(model, seed=seeds[f], n_classes=present.size), x[~test], _compact(ytr))
        return _proba(_Remapped(m, present), x[test], n_classes)

    if progress:  # (a bar's clock starts at its first report)
        progress("out-of-fold model", 0, k)
    done = None if progress is None else (lambda f: progress("out-of-fold model", f + 1, k))
    for f, proba in enumerate(thread_map(fit_fold, k, n_jobs, on_done=done)):
        out[folds == f] = proba
    _remember_oof(key, out)
    return out


#: The last :func:`oof_proba` result and what it was computed from: ``-m confidence`` and the mislabel flags' model
#: signal are the same fits (same rows, model, folds and seed), made once. The probabilities do not depend on
#: ``n_jobs``.
_LAST_OOF: tuple[tuple[Any, ...], np.ndarray] | None = None


def _oof_key(x: np.ndarray, y: np.ndarray, n_classes: int, model: str, folds: int, seed: int) -> tuple[Any, ...] | None:
    """What the probabilities are a function of; None (nothing kept) for a result too large to keep, a model
    given by a dotted class path (it may be redefined between calls), or ``x`` not a numeric array."""
    import hashlib

    from ._models import MODELS

    if (model not in MODELS or not isinstance(x, np.ndarray) or x.dtype.kind not in "biuf"
            or x.shape[0] * max(1, n_classes) > OOF_KEPT_MAX):
        return None

    digest = hashlib.sha256(np.ascontiguousarray(x).view(np.uint8).ravel()).hexdigest()
    labels = hashlib.sha256(np.ascontiguousarray(y, dtype=np.int64).view(np.uint8).ravel()).hexdigest()
    return (str(model), int(folds), int(seed), int(n_classes), x.shape, str(x.dtype), digest, labels)


#: The most probabilities (rows x classes) :func:`oof_proba` keeps for a repeat call (80 MB).
OOF_KEPT_MAX = 10_000_000


def _remember_oof(key: tuple[Any, ...] | None, out: np.ndarray) -> None:
    global _LAST_OOF
    if key is not None:
        _LAST_OOF = (key, out.copy())


def oof_predict(
    x: np.ndarray,
    y: np.ndarray,
    *,
    model: str = "xgboost",
    n_folds: int = 5,
    seed: int = 0,
    progress: ProgressFn | None = None,
    train_mask: np.ndarray | None = None,
    n_jobs: int = 1,
) -> np.ndarray:
    """Out-of-fold predictions of a regression target (the regression twin of :func:`oof_proba`).

    The rows are split into ``n_folds`` folds stratified on the target's rank
    (:func:`~dvclean.valuation._crossfit.target_folds`); the regressor
    (:func:`~dvclean.valuation._models.make_regressor`, XGBoost by default) trained
    on the other folds predicts each fold. With ``train_mask``, only those rows of
    the other folds are trained on (every row is still predicted). ``n_jobs`` folds
    are fitted at once, on threads; the predictions do not depend on it.

    Examples
    --------
    >>> x = np.arange(20.0)[:, None]
    >>> p = oof_predict(x, 2 * x[:, 0], model="linear", n_folds=4)
    >>> bool(np.abs(p - 2 * x[:, 0]).max() < 2)
    True
    """
    from ._crossfit import target_folds
    from ._models import make_regressor

    n = x.shape[0]
    if n < 4:
        raise ValuationError("out-of-fold predictions need at least 4 labelled rows")
    k = int(max(2, min(n_folds, n // 2)))
    folds = target_folds(y, k, seed)
    seeds = fold_seeds(seed, k)
    out = np.zeros(n)

    def fit_fold(f: int) -> np.ndarray:
        test = folds == f
        train = ~test if train_mask is None else ~test & train_mask
        m = fit_quietly(make_regressor(model, seed=seeds[f]), x[train], y[train])
        return np.asarray(m.predict(x[test]), dtype=np.float64).ravel()

    if progress:  # (a bar's clock starts at its first report)
        progress("out-of-fold model", 0, k)
    done = None if progress is None else (lambda f: progress("out-of-fold model", f + 1, k))
    for f, pred in enumerate(thread_map(fit_fold, k, n_jobs, on_done=done)):
        out[folds == f] = pred
    return out


@dataclass(frozen=True)
class ConfidenceSettings:
    """Settings of :class:`OOFConfidence` (mirrors :class:`dvclean.config.ConfidenceConfig`)."""

    model: str = "xgboost"
    n_folds: int = 5
    n_jobs: int = 1


@dataclass(frozen=True)
class OOFConfidence:
    """Valuer: out-of-fold probability of the given label (cleanlab's self-confidence).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.r_[rng.normal(0, 1, (30, 2)), rng.normal(4, 1, (30, 2))]
    >>> y = np.r_[np.zeros(30, int), np.ones(30, int)]
    >>> y[0] = 1                                     # a wrong label
    >>> data = ValuationData(x=x, y=y, rows=np.arange(60), classes=np.array([0, 1]))
    >>> r = OOFConfidence(ConfidenceSettings(model="logreg")).value(data, seed=0)
    >>> int(np.argmin(r.values))
    0
    """

    settings: ConfidenceSettings = ConfidenceSettings()
    name: ClassVar[str] = "confidence"
    citation: ClassVar[str] = (
        "Northcutt, Jiang & Chuang, Confident Learning: Estimating Uncertainty in Dataset Labels, JAIR 70, 2021"
    )

    def __post_init__(self) -> None:
        """Refuse settings of the wrong type (a dict, another method's config) when the valuer is built."""
        check_settings(self, settings=ConfidenceSettings)

    def value(self, data: ValuationData, *, seed: int = 0, progress: ProgressFn | None = None) -> ValuationResult:
        """Value every player by its out-of-fold given-label probability."""
        check_data(self, data, seed)
        t0 = time.perf_counter()
        s = self.settings
        proba = oof_proba(data.x, data.y, len(data.classes), model=s.model, n_folds=s.n_folds, seed=seed,
                          progress=progress, n_jobs=s.n_jobs)
        values = proba[np.arange(data.n_players), data.y]
        return ValuationResult(
            method=self.name,
            values=values,
            stderr=None,
            status="exact",
            params={"model": s.model, "n_folds": s.n_folds},
            seed=seed,
            diagnostics={"seconds": round(time.perf_counter() - t0, 4), "folds": _effective_folds(data.y, s.n_folds)},
        )
