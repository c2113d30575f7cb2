"""Three-arm holdout comparison of ``dvclean augment`` (Ferracci et al., §4 step 6).

Stratified train / valuation / holdout split (80/10/10 by default). Hard rows come from
the train split only, valued against the valuation split. Three arms, each scored with
the paper's XGBoost (depth 4, lr 0.05, subsample 0.8, colsample 0.6, early stopping on
the valuation split) on the holdout:

* ``baseline``: the train rows;
* ``non_targeted``: train + n rows from a generator fitted on all train rows;
* ``targeted``: train + n rows from a generator fitted on the target (hard) rows.

Each of ``repeats`` repetitions uses a new XGBoost seed and a new synthetic draw of both
generators (a generator is fitted once, as in the paper's n_retry draws). Differences to
the baseline are paired by repetition.

Which rows land in the holdout moves a holdout AUC more than any seed does (0.79 to 0.97
over six split seeds on 1,000 rows of sample_data/adult_2000.csv, 0.88 to 0.90 over three
seeds on one split), so a one-split interval covers both: the spread over the repetitions
(a t-interval) and the holdout rows' sampling error, from a paired bootstrap of the
holdout rows (:func:`holdout_resampled_metrics`: every model scored on the same
:data:`HOLDOUT_RESAMPLES` resamples; the half-widths add in quadrature,
:func:`holdout_ci`). Without the bootstrap, repetitions that agree gave a zero-width
interval and a firm verdict from one holdout. The training rows stay fixed; with
``splits`` > 1 the whole comparison (valuation, both generators, every repetition) is
repeated on new stratified splits and each interval is Nadeau & Bengio's (2003) corrected
resampled t-interval over the splits' means, which covers the training rows too.

Either way the verdict floors each paired difference's half-width at the change one holdout row
makes to the metric (:func:`metric_resolution`, from the holdout's class sizes): three split
means that agree gave ± 0.003 around a macro-F1 difference of -0.02, less than the 0.05 one
misclassified row of an 18-row holdout makes, and a difference of less than one row's worth
is not one the holdout can resolve.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from ..errors import AugmentError, ConfigError, DataValidationError
from ..table import (
    MOSTLY_NUMERIC,
    FeatureEncoder,
    Table,
    class_text,
    label_codes,
    read_text_dates,
    text_date_format,
)
from .config import AugmentConfig, parse_n_synthetic, parse_target

__all__ = [
    "HOLDOUT_RESAMPLES", "EvaluationPlan", "align_holdout", "below_resolution", "evaluate_holdout", "holdout_ci", "holdout_resampled_metrics", "mean_ci", "metric_resolution", "min_class_rows", "outcome", "plan_evaluation", "resampled_ci", "resolution_note", "split_indices",
    "split_seeds", "verdict", "xgb_params",
]

log = logging.getLogger(__name__)


class _split_notes_unlogged:
    """While the evaluation values a split's training rows against its valuation rows, the scoring's notes are not
    logged: they name the split ``<DataFrame> (--valid)`` and give advice for a ``--valid`` option the caller never
    passed (the command line never printed them; a library caller saw them on stderr)."""

    @staticmethod
    def _keep(record: logging.LogRecord) -> bool:
        return not getattr(record, "dvclean_note", False)

    def __enter__(self) -> None:
        logging.getLogger("dvclean.pipeline").addFilter(self._keep)

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("dvclean.pipeline").removeFilter(self._keep)

ARMS = ("baseline", "non_targeted", "targeted")

#: A class with fewer holdout rows than this (but some) gets a note: its metric terms move in large steps.
FEW_HOLDOUT_ROWS = 5


def xgb_params(n_classes: int, cfg: AugmentConfig, seed: int) -> dict[str, Any]:
    """The paper's XGBoost configuration (config/xgboost.json) with early stopping on the valuation split's log-loss.

    The paper stops a binary model on validation Gini (AUC). A ranking metric saturates: on a small valuation split
    the AUC reaches 1.0 within a few rounds and no later round beats it, so the kept model was the one of round 2-7
    (breast-cancer's valuation split, holdout AUC 0.96 where 2,000-round models reach 0.99-1.0). Log-loss, a
    proper score, keeps improving while the probabilities sharpen; multi-class models already stopped on it. The
    holdout is still scored with AUC and Gini.
    """
    params: dict[str, Any] = {
        "n_estimators": cfg.xgb_max_rounds,
        "max_depth": 4,
        "learning_rate": 0.05,
        "subsample": 0.8,
        "colsample_bytree": 0.6,
        "tree_method": "hist",
        "early_stopping_rounds": cfg.xgb_early_stopping,
        "n_jobs": cfg.xgb_threads,
        "random_state": seed,
    }
    if n_classes == 2:
        params.update(objective="binary:logistic", eval_metric="logloss")
    else:
        params.update(objective="multi:softprob", eval_metric="mlogloss")
    return params


def mean_ci(values: Sequence[float]) -> dict[str, float | None]:
    """Mean and the half-width of the 95% t-interval (None with fewer than two values)."""
    from scipy import stats

    a = np.asarray(values, dtype=np.float64)
    mean = float(a.mean()) if a.size else math.nan
    if a.size < 2:
        return {"mean": mean, "ci95": None}
    half = float(stats.t.ppf(0.975, a.size - 1) * a.std(ddof=1) / math.sqrt(a.size))
    return {"mean": mean, "ci95": half}


#: Rows of each class the evaluation's training split keeps: the split is valued with KNN-Shapley,
#: which compares each row with the other rows of its class (a class of one row cannot be valued).
MIN_TRAIN_ROWS = 2


def min_class_rows(n_classes: int, with_holdout: bool) -> int:
    """Fewest labelled rows of a class that ``--evaluate`` accepts.

    Every class keeps :data:`MIN_TRAIN_ROWS` training rows. A binary label also needs a
    valuation row of each class (XGBoost's early stopping weighs both classes' log-loss there)
    and, without a holdout file, a holdout row of each (the holdout AUC); a multi-class
    label's rare class may be absent from them (macro-F1 is averaged over the classes present).
    """
    if n_classes != 2:
        return MIN_TRAIN_ROWS
    return MIN_TRAIN_ROWS + 1 + (0 if with_holdout else 1)


def split_indices(
    y: np.ndarray, fractions: tuple[float, float, float], seed: int, with_holdout: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stratified (train, valuation, holdout) row indices; holdout empty when a file is given.

    scikit-learn's stratified split, as long as it keeps :data:`MIN_TRAIN_ROWS` (2) train rows of
    every class, gives every class with at least 3 rows a holdout row and every class with at
    least 4 rows (3 with a holdout file) a valuation row; otherwise (rare classes) :func:`_class_split`.
    """
    from sklearn.model_selection import train_test_split

    idx = np.arange(y.shape[0])
    tr, va, ho = fractions
    try:
        if with_holdout:
            train, valid = train_test_split(idx, test_size=va / (tr + va), stratify=y, random_state=seed)
            hold = np.array([], dtype=np.int64)
        else:
            train, rest = train_test_split(idx, test_size=va + ho, stratify=y, random_state=seed)
            valid, hold = train_test_split(rest, test_size=ho / (va + ho), stratify=y[rest], random_state=seed)
    except ValueError:  # a class too small for it
        return _class_split(y, fractions, seed, with_holdout)
    codes, counts = np.unique(y, return_counts=True)
    n_train = dict(zip(*np.unique(y[train], return_counts=True), strict=True))
    in_valid, in_hold = set(y[valid].tolist()), set(y[hold].tolist())
    valid_from = 3 if with_holdout else MIN_TRAIN_ROWS + 2
    for c, k in zip(codes.tolist(), counts.tolist(), strict=True):
        if (n_train.get(c, 0) < min(k, MIN_TRAIN_ROWS) or (k >= valid_from and c not in in_valid)
                or (not with_holdout and k >= MIN_TRAIN_ROWS + 1 and c not in in_hold)):
            return _class_split(y, fractions, seed, with_holdout)
    return np.sort(train), np.sort(valid), np.sort(hold)


def _allocate(counts: np.ndarray, total: int) -> np.ndarray:
    """Split ``total`` rows over the classes in proportion to ``counts`` (largest remainders, ties by class order)."""
    exact = total * counts / max(1, int(counts.sum()))
    base = np.floor(exact).astype(np.int64)
    extra = int(total - base.sum())
    if extra > 0:
        base[np.argsort(-(exact - base), kind="stable")[:extra]] += 1
    return base


def _class_split(
    y: np.ndarray, fractions: tuple[float, float, float], seed: int, with_holdout: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class split for rare classes: each class's rows are shuffled (``seed``) and shared out
    in proportion (largest remainders), with minimums that keep every class usable:
    :data:`MIN_TRAIN_ROWS` (2) train rows always (a class of 2 rows stays in the training split),
    one holdout row for every class with at least 3 rows, one valuation row for every class with
    at least 4 (3 when the holdout is a file)."""
    rng = np.random.default_rng(seed)
    tr, va, ho = fractions
    n = int(y.shape[0])
    codes, counts = np.unique(y, return_counts=True)
    f_valid, f_hold = (va / (tr + va), 0.0) if with_holdout else (va, ho)
    n_valid = _allocate(counts, int(round(f_valid * n)))
    n_hold = _allocate(counts, int(round(f_hold * n)))
    keep = np.minimum(counts, MIN_TRAIN_ROWS)
    if not with_holdout:
        n_hold = np.where(counts >= MIN_TRAIN_ROWS + 1, np.maximum(n_hold, 1), 0)
    valid_from = 3 if with_holdout else MIN_TRAIN_ROWS + 2
    n_valid = np.where(counts >= valid_from, np.maximum(n_valid, 1), n_valid)
    n_valid = np.maximum(np.minimum(n_valid, counts - n_hold - keep), 0)  # MIN_TRAIN_ROWS train rows at least
    n_hold = np.maximum(np.minimum(n_hold, counts - n_valid - keep), 0)
    parts: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] = ([], [], [])
    for code, h, v in zip(codes.tolist(), n_hold.tolist(), n_valid.tolist(), strict=True):
        rows = rng.permutation(np.flatnonzero(y == code))
        parts[2].append(rows[:h])
        parts[1].append(rows[h : h + v])
        parts[0].append(rows[h + v :])
    train, valid, hold = (np.sort(np.concatenate(p)).astype(np.int64) if p else np.array([], dtype=np.int64) for p in parts)
    if valid.size == 0 or (not with_holdout and hold.size == 0):
        raise AugmentError(
            f"--evaluate cannot split {n} labelled rows into stratified train/valuation/holdout parts "
            f"({round(tr * 100)}/{round(va * 100)}/{round(ho * 100)}) that keep {MIN_TRAIN_ROWS} training rows of "
            "every class: add data or drop --evaluate"
        )
    return train, valid, hold


def _class_name(classes: Sequence[Any] | None, code: int) -> str:
    return repr(classes[code]) if classes is not None and 0 <= code < len(classes) else str(code)


def _metrics(y: np.ndarray, proba: np.ndarray, n_classes: int) -> dict[str, float]:
    """Binary: AUC and Gini; multi-class: macro-F1 over the classes present in ``y`` and log-loss."""
    from sklearn.metrics import f1_score, log_loss, roc_auc_score

    if n_classes == 2:
        p1 = proba[:, 1] if proba.ndim == 2 else proba
        auc = float(roc_auc_score(y, p1))
        return {"auc": auc, "gini": 2 * auc - 1}
    pred = proba.argmax(axis=1)
    return {
        # a class the holdout lacks would score F1 = 0 whatever the model does: average over the present ones
        "macro_f1": float(f1_score(y, pred, average="macro", labels=np.unique(y), zero_division=0)),
        "log_loss": float(log_loss(y, np.clip(proba, 1e-15, 1), labels=np.arange(n_classes))),
    }


def _fit_score(
    x: np.ndarray, y: np.ndarray, xv: np.ndarray, yv: np.ndarray, xh: np.ndarray, yh: np.ndarray,
    n_classes: int, cfg: AugmentConfig, seed: int,
) -> tuple[dict[str, float], int, np.ndarray]:
    """Fit the paper's XGBoost; return the holdout metrics, the boosting rounds used and the holdout probabilities."""
    from xgboost import XGBClassifier

    model = XGBClassifier(**xgb_params(n_classes, cfg, seed))
    model.fit(x, y, eval_set=[(xv, yv)], verbose=False)
    best = getattr(model, "best_iteration", None)
    proba = model.predict_proba(xh, iteration_range=(0, best + 1) if best is not None else None)
    return _metrics(yh, proba, n_classes), int(best + 1 if best is not None else cfg.xgb_max_rounds), proba


#: Resamples of the holdout rows behind a one-split interval (:func:`holdout_resampled_metrics`).
HOLDOUT_RESAMPLES = 1000


def _weighted_auc(y: np.ndarray, score: np.ndarray, w: np.ndarray) -> np.ndarray:
    """AUC of ``score`` for ``y == 1`` under each row of case weights ``w`` (resamples x rows); ties count 1/2.

    A resample without both classes gets NaN.
    """
    order = np.argsort(score, kind="mergesort")
    s = score[order]
    pos = (y[order] == 1).astype(np.float64)
    ww = w[:, order].astype(np.float64)
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])  # groups of tied scores
    wp = np.add.reduceat(ww * pos, starts, axis=1)
    wn = np.add.reduceat(ww * (1.0 - pos), starts, axis=1)
    below = np.cumsum(wn, axis=1) - wn
    num = (wp * (below + 0.5 * wn)).sum(axis=1)
    den = wp.sum(axis=1) * wn.sum(axis=1)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _weighted_macro_f1(y: np.ndarray, pred: np.ndarray, w: np.ndarray, n_classes: int) -> np.ndarray:
    """Macro-F1 under each row of case weights ``w``, averaged over the classes each resample holds (as :func:`_metrics`)."""
    ww = w.astype(np.float64)
    total = np.zeros(w.shape[0])
    present = np.zeros(w.shape[0])
    for c in range(n_classes):
        t, p = y == c, pred == c
        tp, fp, fn = ww @ (t & p), ww @ (~t & p), ww @ (t & ~p)
        here = (ww @ t) > 0
        den = 2 * tp + fp + fn
        total += np.where(here & (den > 0), 2 * tp / np.where(den > 0, den, 1.0), 0.0)
        present += here
    return total / np.maximum(present, 1)


def holdout_resampled_metrics(
    y: np.ndarray, probas: Sequence[np.ndarray], n_classes: int, seed: int, resamples: int = HOLDOUT_RESAMPLES,
) -> dict[str, np.ndarray]:
    """Each metric of :func:`_metrics` on ``resamples`` bootstrap resamples of the holdout rows.

    ``probas`` are holdout probabilities (one array per fitted model). Every model is scored on
    the same resamples (multinomial case weights drawn from ``seed``), so differences between
    models stay paired row by row. Returns ``{metric: array (models x resamples)}``; a binary
    resample without both classes has NaN AUC.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5EED_B007]))
    n = y.shape[0]
    out: dict[str, list[np.ndarray]] = {}
    chunk = max(1, min(resamples, 2_000_000 // max(1, n)))  # bound the weight matrix to ~16 MB
    weights = [rng.multinomial(n, np.full(n, 1.0 / n), size=min(chunk, resamples - start))
               for start in range(0, resamples, chunk)]
    for proba in probas:
        if n_classes == 2:
            p1 = proba[:, 1] if proba.ndim == 2 else proba
            auc = np.concatenate([_weighted_auc(y, p1, w) for w in weights])
            per_model = {"auc": auc, "gini": 2 * auc - 1}
        else:
            pred = proba.argmax(axis=1)
            loss = -np.log(np.clip(proba[np.arange(n), y], 1e-15, 1))
            per_model = {
                "macro_f1": np.concatenate([_weighted_macro_f1(y, pred, w, n_classes) for w in weights]),
                "log_loss": np.concatenate([(w @ loss) / w.sum(axis=1) for w in weights]),
            }
        for name, values in per_model.items():
            out.setdefault(name, []).append(values)
    return {name: np.vstack(rows) for name, rows in out.items()}


def holdout_ci(values: Sequence[float], resampled: np.ndarray) -> dict[str, float | None]:
    """Mean over the repetitions and a 95% half-width that adds the holdout rows' sampling error.

    ``values`` are one statistic per repetition on the fixed holdout; ``resampled`` (repetitions x
    resamples) the same statistic on bootstrap resamples of the holdout rows. The variance of the
    mean is the repetitions' (``s^2 / R``, from the model seeds and synthetic draws) plus the
    bootstrap variance of the repetitions' mean (which rows the holdout happens to hold); the
    half-width is ``sqrt(t_half^2 + (1.96 sd_boot)^2)``, and with one repetition the bootstrap
    part alone. ``None`` when neither part exists. The two parts are kept as
    ``ci95_repetitions`` and ``ci95_holdout_rows``: when the second dominates, more
    ``--repeats`` will not narrow the interval, a larger holdout or ``--splits`` will.
    """
    base = mean_ci(values)
    r = np.atleast_2d(np.asarray(resampled, dtype=np.float64))
    boot = r[:, np.isfinite(r).all(axis=0)].mean(axis=0)  # a resample without both classes has no AUC
    if boot.size < 2:
        return base
    boot_half = 1.959963984540054 * float(boot.std(ddof=1))
    rep_half = base["ci95"]
    return {
        "mean": base["mean"], "ci95": float(math.hypot(rep_half or 0.0, boot_half)),
        "ci95_repetitions": rep_half, "ci95_holdout_rows": boot_half,
    }


@dataclass(frozen=True)
class EvaluationPlan:
    """The evaluation's rows, fixed before any valuation (so a split that cannot work fails fast).

    ``rows`` are the table rows used (labelled, not synthetic); ``train``, ``valid`` and
    ``hold`` index into them. ``hold_frame`` / ``y_hold`` are the holdout rows and codes
    (from the split or the ``--holdout`` file).
    """

    rows: np.ndarray
    codes: np.ndarray
    classes: list[Any]
    train: np.ndarray
    valid: np.ndarray
    hold: np.ndarray
    hold_frame: pl.DataFrame
    y_hold: np.ndarray
    holdout_source: str
    class_counts: dict[str, dict[str, int]]
    notes: tuple[str, ...] = field(default=())
    holdout_class_rows: tuple[int, ...] = field(default=())  # holdout rows of each class (by code)
    #: the order the arms score a --holdout file's rows in (fixed by their contents; None: as they stand, a split's
    #: rows, already in such an order): :meth:`ordered_holdout`
    hold_order: np.ndarray | None = field(default=None, compare=False)

    def ordered_holdout(self) -> tuple[pl.DataFrame, np.ndarray]:
        """The holdout rows and their codes in the order the arms score them (:attr:`hold_order`)."""
        if self.hold_order is None:
            return self.hold_frame, self.y_hold
        return self.hold_frame[self.hold_order], self.y_hold[self.hold_order]


def _counts(y: np.ndarray, classes: Sequence[Any]) -> dict[str, int]:
    got = np.bincount(y, minlength=len(classes)) if y.size else np.zeros(len(classes), dtype=np.int64)
    return {class_text(c): int(k) for c, k in zip(classes, got.tolist(), strict=True)}


def _source_name(table: Table) -> str:
    return table.source.path if table.source is not None else "data"


def _holdout_name(info: Any) -> str:
    """``--holdout FILE`` and how it was read (for messages about its columns)."""
    if info is None or getattr(info, "format", None) in (None, "polars", "pandas"):
        return "--holdout"
    how = f"read as {str(info.format).upper()}"
    if info.format == "csv":
        how += f" with separator {info.separator!r}" if info.separator else ""
        how += f" and encoding {info.encoding}" if getattr(info, "encoding", None) else ""
    return f"--holdout {info.path} ({how})"


def _kind(col: pl.Series) -> str:
    """What a column holds, as the evaluation's encoder values it: ``number``, ``text``, ``boolean``,
    ``date``, ``datetime``, ``duration``, ``time``, ``empty`` or the dtype's name.

    A text column is ``number`` when at least :data:`~dvclean.table.MOSTLY_NUMERIC` (95%) of its
    cells are numbers once stripped of spaces (:meth:`FeatureEncoder._text_numbers`' rule).
    """
    dt = col.dtype
    if dt == pl.Null or col.null_count() == col.len():
        return "empty"
    if dt == pl.Boolean:
        return "boolean"
    if dt == pl.Date:
        return "date"
    if isinstance(dt, pl.Datetime):
        return "datetime"
    if isinstance(dt, pl.Duration):
        return "duration"
    if dt == pl.Time:
        return "time"
    if dt.is_numeric():
        return "number"
    if dt == pl.String:
        text = col.drop_nulls()
        bad = int(text.str.strip_chars().cast(pl.Float64, strict=False).null_count())
        return "number" if bad <= (1 - MOSTLY_NUMERIC) * text.len() else "text"
    if dt == pl.Categorical or isinstance(dt, (pl.Categorical, pl.Enum)):
        return "text"
    return str(dt)


def _first_ten(items: list[str]) -> str:
    """The first ten of ``items`` joined, and how many more there are (``'a', 'b' and 3 more``)."""
    return ", ".join(items[:10]) + (f" and {len(items) - 10} more" if len(items) > 10 else "")


def _like_data(name: str, data: pl.Series, hold: pl.Series, where: str) -> tuple[pl.Series | None, str | None, str | None]:
    """``hold`` in a form the encoder fitted on ``data`` values correctly: (column, note, problem).

    Same kinds are cast to the data's dtype where that is exact (integers written as floats,
    another time unit or zone); a text holdout column of numbers is parsed (stray cells become
    missing, as in the data, with a note); numbers in a text column are read as their text.
    Kinds the encoder cannot compare (text where the data has numbers or dates, ...) are a problem.
    """
    dk, hk = _kind(data), _kind(hold)
    ddt, hdt = data.dtype, hold.dtype
    if dk == "empty" or (ddt == hdt and (hdt != pl.String or hk in (dk, "empty"))):
        return hold, None, None
    if hk == "empty":
        return pl.Series(name, [None] * hold.len(), dtype=ddt), None, None
    if dk == "text":  # the encoder compares the text of the values (numbers, booleans and dates included)
        if hk in ("date", "datetime") and text_date_format(data) is not None:
            return hold, None, None  # dates the data writes as text: the encoder reads typed ones as they are
        return hold.cast(pl.String), None, None
    if dk == "number" and hk == "number":
        if ddt == pl.String:  # the data's numbers are text: the holdout's are compared (or parsed) alike
            return hold.cast(pl.String), None, None
        note = None
        if hdt == pl.String:
            parsed = hold.str.strip_chars().cast(pl.Float64, strict=False)
            bad_mask = parsed.is_null() & hold.is_not_null()
            if bad_mask.any():
                examples = ", ".join(repr(v) for v in hold.filter(bad_mask).unique(maintain_order=True).head(3).to_list())
                note = (
                    f"{where}: column {name!r} holds numbers as text with {int(bad_mask.sum())} "
                    f"cell{'s' if int(bad_mask.sum()) != 1 else ''} that {'are' if int(bad_mask.sum()) != 1 else 'is'} "
                    f"not a number ({examples}); they are read as missing"
                )
            hold = parsed
        if ddt.is_integer() and hold.dtype.is_float():
            vals = hold.drop_nulls().drop_nans().to_numpy()
            if vals.size and not np.all(vals == np.round(vals)):
                return hold, note, None  # a float holdout of an integer column: valued as numbers
        try:
            return hold.cast(ddt, strict=True), note, None
        except Exception:
            return hold.cast(pl.Float64), note, None
    if dk == hk == "boolean":
        return hold, None, None
    if dk in ("date", "datetime") and hdt == pl.String:
        # dates written as text (a Parquet file saved from a CSV read without date parsing), as the CSV reader
        # reads them: then compared as the data's dates are; a cell that is no date is named
        looks = hold.filter(hold.str.contains(r"^\s*[0-9]"))
        fmt = text_date_format(looks) if looks.len() else None
        if fmt is not None:
            parsed = read_text_dates(hold, fmt)
            if parsed.null_count() == hold.null_count():
                return _like_data(name, data, parsed, where)
            at = int((parsed.is_null() & hold.is_not_null()).arg_true()[0])
            return None, None, (
                f"{where}: column {name!r} holds dates as text ({hdt}), as the data's {name!r} holds dates ({ddt}), "
                f"but {hold[at]!r} at row {at} is not a date in its spelling ({looks[0]!r}); correct or blank that "
                "cell"
            )
    if dk == "boolean" and hdt == pl.String:
        low = hold.str.strip_chars().str.to_lowercase()
        if low.drop_nulls().is_in(["true", "false"]).all():
            return (low == "true").alias(name), None, None
    if {dk, hk} <= {"date", "datetime"}:
        tz_d = ddt.time_zone if isinstance(ddt, pl.Datetime) else None
        tz_h = hdt.time_zone if isinstance(hdt, pl.Datetime) else None
        if dk == hk == "datetime" and (tz_d is None) != (tz_h is None):
            return None, None, (
                f"{where}: column {name!r} holds datetimes {f'in {tz_h}' if tz_h else 'without a time zone'} "
                f"({hdt}) but the data's {f'are in {tz_d}' if tz_d else 'have no time zone'} ({ddt}); "
                "write both with or both without a time zone"
            )
        if tz_d and tz_h and tz_d != tz_h:
            hold = hold.dt.convert_time_zone(tz_d)
        return hold.cast(ddt), None, None
    if dk == hk and dk in ("duration", "time"):
        return hold.cast(ddt), None, None
    example = ""
    sample = hold.drop_nulls()
    if hk == "text" and dk == "number":
        sample = sample.filter(sample.str.strip_chars().cast(pl.Float64, strict=False).is_null())
    marker = ""
    if sample.len():
        first = sample[0]
        example = f", e.g. {first!r}" if isinstance(first, str) else f", e.g. {first}"
        if hk == "text" and dk == "number" and isinstance(first, str) and first.strip() and "," not in first:
            # (the data's few such cells were read as missing; the file's many made the column text)
            from ..table import with_default_nulls

            marker = (f"; if {first.strip()!r} means missing, a CSV reads it so with --null-values "
                      f"{shlex.quote(','.join(with_default_nulls([first.strip()])))}")
    return None, None, (
        f"{where}: column {name!r} holds {_KIND_WORDS.get(hk, hk)} ({hdt}{example}) but the data's {name!r} holds "
        f"{_KIND_WORDS.get(dk, dk)} ({ddt}); write the "
        f"{'validation file' if '--valid' in where else 'holdout'}'s column like the data's{marker}"
    )


_KIND_WORDS = {"number": "numbers", "boolean": "booleans", "date": "dates", "datetime": "datetimes",
               "duration": "durations", "time": "times of day"}


def align_holdout(table: Table, holdout: pl.DataFrame, where: str = "--holdout") -> tuple[pl.DataFrame, list[str]]:
    """The holdout's feature columns in the data's types (see :func:`_like_data`), or every mismatch refused.

    Raises :class:`DataValidationError` naming each column whose type the evaluation's encoder could
    not compare with the data's (text where the data has numbers, dates, ...), with both types.
    """
    problems: list[str] = []
    notes: list[str] = []
    cols: list[pl.Series] = []
    for name in table.features:
        col, note, problem = _like_data(name, table.frame.get_column(name), holdout.get_column(name), where)
        if problem is not None:
            problems.append(problem)
        elif col is not None:
            cols.append(col.alias(name))
        if note is not None:
            notes.append(note)
    if problems:
        raise DataValidationError(problems)
    return (holdout.with_columns(cols) if cols else holdout), notes


def _model_columns(frame: pl.DataFrame, table: Table) -> list[str]:
    """The feature columns the evaluation's models see (those :class:`~dvclean.table.FeatureEncoder` keeps on
    ``frame``) and the label: the columns on which two rows are the same row to the models."""
    from ..table import FeatureEncoder

    dropped = set(FeatureEncoder().fit(frame, table.features).dropped_)
    return [c for c in table.features if c not in dropped] + [table.label]


def _copies_in(seen_frame: pl.DataFrame, hold: pl.DataFrame, cols: Sequence[str], table: Table) -> tuple[int, str]:
    """How many rows of ``hold`` equal a row of ``seen_frame`` on ``cols``, and the phrase saying what "equal" means."""
    from ..check import row_hashes

    seen = set(row_hashes(seen_frame.select(cols), np.arange(seen_frame.height)))
    count = sum(h in seen for h in row_hashes(hold.select(cols), np.arange(hold.height)))
    ignored = [c for c in table.features if c not in cols]
    shown = ", ".join(map(repr, ignored[:5])) + (f" and {len(ignored) - 5} more" if len(ignored) > 5 else "")
    return count, "same label and values of the columns the models use" + (
        f"; not {shown}, which they ignore" if ignored else "")


def plan_evaluation(
    table: Table, cfg: AugmentConfig, *, holdout: pl.DataFrame | None = None, seed: int | None = None,
    holdout_info: Any = None,
) -> EvaluationPlan:
    """Check the ``--holdout`` file and split the labelled real rows (see :func:`split_indices`).

    ``seed`` (default ``cfg.seed``) seeds the split; ``holdout_info`` (the holdout file's
    :class:`~dvclean.io.SourceInfo`) names it in messages. Refused here, before any row is
    valued: a class with fewer rows than :func:`min_class_rows`, a holdout whose columns or
    column types differ from the data's (:func:`align_holdout`), a ``k`` larger than the
    training split and a ctgan/copulagan ``batch_size`` larger than the rows its generators
    can train on in that split.
    """
    from ..pipeline import canonical_order
    from .core import PROVENANCE, check_batch_bound, synthetic_rows

    notes: list[str] = []
    src = _source_name(table)
    synthetic = synthetic_rows(table)
    col = table.frame.get_column(table.label)
    real_classes = label_codes(col.filter(pl.Series(~synthetic)))[1] if synthetic.any() else None
    codes, classes, missing = label_codes(col, real_classes)  # the classes of the real rows
    rows = np.flatnonzero(~missing & ~synthetic)
    if synthetic.any():
        notes.append(
            f"the evaluation uses the {rows.size} labelled real rows only: the {int(synthetic.sum())} rows with "
            f"{PROVENANCE} true are left out of every split"
        )
    y_all = codes[rows]
    frame = table.frame[rows]
    n_classes = len(classes)
    if n_classes < 2 or np.unique(y_all).size < 2:
        raise AugmentError(f"{src}: --evaluate needs at least two classes among the labelled rows")
    need = min_class_rows(n_classes, holdout is not None)
    counts = np.bincount(y_all, minlength=n_classes)
    short = [int(c) for c in np.flatnonzero(counts < need)]
    if short:
        code = short[0]
        others = f" (and {len(short) - 1} other class{'es' if len(short) > 2 else ''})" if len(short) > 1 else ""
        if n_classes == 2:
            why = (
                f"{MIN_TRAIN_ROWS} in the training split, which is valued by comparing each row with rows of its own "
                "class, one in the valuation split for the model's early stopping"
                + ("" if holdout is not None else " and one in the holdout for the AUC")
            )
            alt = "" if holdout is not None else "pass --holdout FILE, "
        else:
            why = f"{MIN_TRAIN_ROWS} in the training split, which is valued by comparing each row with rows of its own class"
            alt = ""
        raise AugmentError(
            f"{src}: --evaluate: class {_class_name(classes, code)} of {table.label!r} has {int(counts[code])} labelled "
            f"real row{'' if counts[code] == 1 else 's'}{others}; the evaluation needs at least {need} rows of each "
            f"class ({why}): add rows of that class, {alt}or drop --evaluate"
        )
    hold_name = _holdout_name(holdout_info)
    hold_order = None
    if holdout is not None:
        lacking = [c for c in (*table.features, table.label) if c not in holdout.columns]
        if lacking:
            raise DataValidationError(
                f"{hold_name} lacks the columns {', '.join(map(repr, lacking[:10]))}; it needs the data's feature and "
                "label columns"
            )
        if PROVENANCE in holdout.columns and PROVENANCE not in (table.label, table.id_column):
            made = holdout.get_column(PROVENANCE).cast(pl.Boolean, strict=False).fill_null(False)
            if made.any():  # an earlier augment's rows would score the arms on generator output
                notes.append(f"{hold_name}: its {int(made.sum())} rows with {PROVENANCE} true (synthetic rows of an "
                             "earlier `dvclean augment`) are left out of the holdout, as they are of the data's splits")
                holdout = holdout.filter(~made)
        holdout, type_notes = align_holdout(table, holdout, hold_name)
        notes.extend(type_notes)
        hlabel = holdout.get_column(table.label)
        if col.dtype == pl.String and hlabel.dtype != pl.String and hlabel.dtype.is_numeric():
            hlabel = hlabel.cast(pl.String)  # classes are compared as the data's text
        elif col.dtype.is_numeric() and hlabel.dtype == pl.String:
            # a CSV holdout's labels are read as text; the data's (a Parquet or JSON file's) are numbers
            as_number = hlabel.str.strip_chars().cast(col.dtype, strict=False)
            if as_number.null_count() == hlabel.null_count():
                hlabel = as_number
        hcodes, _, hmissing = label_codes(hlabel, classes)
        if ((hcodes < 0) & ~hmissing).any():
            bad = hlabel[int(np.flatnonzero((hcodes < 0) & ~hmissing)[0])]
            raise DataValidationError(f"{hold_name} has the label {bad!r}, which is not a class of the data")
        keep = np.flatnonzero(~hmissing)
        if keep.size == 0:  # (refused before any row is valued: the metrics need holdout rows)
            raise DataValidationError(f"{hold_name} has no labelled real rows (its {table.label!r} column is empty in "
                                      "every row): fill in the holdout's labels, or drop --holdout to split the data")
        if keep.size < holdout.height:  # (said: else the table's "holdout (27 rows)" of a 30-row file is unexplained)
            blank = holdout.height - keep.size
            notes.append(
                f"{hold_name}: {blank} of its {holdout.height} rows have no label in {table.label!r} and are left out "
                f"of the holdout, which scores the other {keep.size}; fill in their labels to score them too"
            )
        hold_frame, y_hold = holdout[keep], hcodes[keep]
        # the arms score the holdout rows in an order fixed by their contents (as the data's split): the holdout
        # bootstrap resamples rows by position, so shuffling the --holdout file moved the intervals
        hold_order = canonical_order(hold_frame, [c for c in table.features if c in hold_frame.columns],
                                     label=table.label)
        if n_classes == 2 and np.unique(y_hold).size < 2:
            only = ", ".join(_class_name(classes, int(c)) for c in np.unique(y_hold)) or "no labelled row"
            raise DataValidationError(
                f"{hold_name} holds only {only}; the holdout AUC needs rows of both classes of {table.label!r}"
            )
        overlap, same = _copies_in(table.frame, hold_frame, _model_columns(frame, table), table)
        if overlap:
            notes.append(
                f"--holdout: {overlap} of its {hold_frame.height} labelled rows also appear in the data ({same}), so "
                "the models were trained on them (or, for those in the valuation split, their boosting rounds chosen "
                "on them) and the holdout scores are optimistic: remove those rows from the holdout or the data"
            )
    # the split is dealt over the rows in an order fixed by their content (as the valuation's), so sorting or
    # shuffling the file does not change which rows train, value and test, nor does adding a constant column
    varying = [c for c in table.features if c in frame.columns and frame.get_column(c).n_unique() > 1]
    perm = canonical_order(frame, varying, label=table.label)
    tr, va, ho = (perm[part] for part in split_indices(y_all[perm], cfg.split, cfg.seed if seed is None else seed,
                                                         holdout is not None))
    if holdout is None:
        hold_frame, y_hold = frame[ho], y_all[ho]
        cols = _model_columns(frame, table)
        copies, same = _copies_in(frame[tr], hold_frame, cols, table)
        # the valuation split picks the hard rows and the boosting rounds (early stopping): copies there tune the
        # models to the holdout rows as surely as copies in the training split train them on them
        in_valuation = _copies_in(frame[va], hold_frame, cols, table)[0]
        if copies or in_valuation:
            where = " and ".join(part for part in (
                f"{copies} in the training split" if copies else "",
                f"{in_valuation} in the valuation split (which picks the boosting rounds)" if in_valuation else "",
            ) if part)
            notes.append(
                f"holdout rows have exact copies in the data the models learn from ({same}): {where}, of "
                f"{hold_frame.height} holdout rows; the data repeats rows, so the holdout scores are optimistic for "
                "them; remove the repeated rows first, or pass --holdout FILE"
            )
    absent = [classes[c] for c in range(n_classes) if c not in set(y_hold.tolist())]
    if absent:
        shown = _first_ten([repr(c) for c in absent])
        why = (
            f"too few labelled rows: every class keeps {MIN_TRAIN_ROWS} rows in the training split"
            if holdout is None else "the --holdout file has none"
        )
        notes.append(
            f"class{'es' if len(absent) > 1 else ''} {shown} of {table.label!r} "
            f"{'are' if len(absent) > 1 else 'is'} absent from the holdout ({why}): "
            f"macro-F1 is averaged over the {n_classes - len(absent)} classes present"
        )
    held = np.bincount(y_hold, minlength=n_classes)
    if cfg.splits == 1 and (thin := thin_holdout_note([held], classes, holdout_file=holdout is not None)):
        notes.append(thin)  # (with --splits, evaluate_holdout notes the smallest counts over every split's holdout)
    no_valid = [classes[c] for c in range(n_classes) if c not in set(y_all[va].tolist())]
    if no_valid:  # (a binary label's classes each have a valuation row: min_class_rows)
        shown = _first_ten([repr(c) for c in no_valid])
        many = len(no_valid) > 1
        notes.append(
            f"class{'es' if many else ''} {shown} of {table.label!r} {'are' if many else 'is'} absent from the "
            f"valuation split (too few labelled rows: a class gets a valuation row from "
            f"{3 if holdout is not None else MIN_TRAIN_ROWS + 2} rows on): the valuation of the training split and the "
            f"models' early stopping see no row of {'them' if many else 'it'}"
        )
    n_train = int(tr.size)
    split_of = f"--evaluate's training split ({n_train} of the {rows.size} labelled real rows of {src})"
    if cfg.k > n_train:
        raise ConfigError(
            f"--k {cfg.k} is larger than the {n_train} rows of {split_of}, which --evaluate values with K nearest "
            f"neighbours among them; use --k {max(1, n_train)} or fewer, or drop --evaluate"
        )
    in_train = np.zeros(table.n_rows, dtype=bool)
    in_train[rows[tr]] = True
    check_batch_bound(cfg, parse_target(cfg.target), table, in_train, where=f", in --evaluate's training split of {n_train} rows",
                      arm="the targeted generator of --evaluate")
    class_counts = {
        "train": _counts(y_all[tr], classes),
        "valuation": _counts(y_all[va], classes),
        "holdout": _counts(y_hold, classes),
    }
    return EvaluationPlan(
        rows=rows, codes=codes, classes=list(classes), train=tr, valid=va, hold=ho, hold_frame=hold_frame,
        y_hold=y_hold, holdout_source="file" if holdout is not None else "split", class_counts=class_counts,
        notes=tuple(notes), holdout_class_rows=tuple(int(h) for h in held), hold_order=hold_order,
    )


def thin_valuation_note(valuation: dict[str, int], arms: dict[str, Any], primary: str, max_rounds: int) -> str | None:
    """The note on a valuation split with fewer than :data:`FEW_HOLDOUT_ROWS` rows of a class it holds at all, or
    None. XGBoost's early stopping scores each boosting round on that split, so a few rows of a class can stop the
    models after a handful of rounds (``arms``: the arms' ``boosting_rounds``) and leave intervals wider than the
    metric's range (an AUC of 0.888 ± 0.391).

    >>> arms = {"baseline": {"boosting_rounds": [1, 1, 3], "auc": {"mean": 0.9, "ci95": 0.3}}}
    >>> thin_valuation_note({"no": 200, "yes": 4}, arms, "auc", 2000)[:97]
    "the valuation split has fewer than 5 rows of class 'yes' (4 rows); the models' early stopping sco"
    >>> thin_valuation_note({"no": 200, "yes": 40}, arms, "auc", 2000) is None
    True
    """
    thin = [(c, k) for c, k in valuation.items() if 0 < k < FEW_HOLDOUT_ROWS]
    if not thin:
        return None
    rounds = sorted(b for entry in arms.values() for b in entry.get("boosting_rounds", ()))
    median = float(np.median(rounds)) if rounds else None
    low, high = (0.0, 1.0) if primary in ("auc", "macro_f1", "accuracy") else (-math.inf, math.inf)

    def past_range(stat: Any) -> bool:
        if not isinstance(stat, dict) or stat.get("ci95") is None or stat.get("mean") is None:
            return False
        mean, ci = float(stat["mean"]), float(stat["ci95"])
        return math.isfinite(mean) and math.isfinite(ci) and not low <= mean - ci <= mean + ci <= high

    past = [arm for arm, entry in arms.items() if past_range(entry.get(primary))]
    short = median is not None and median < SHORT_ROUNDS
    if not (short or past):  # (the models trained on: the few rows did not cut them short)
        return None
    many = len(thin) > 1
    shown = _first_ten([f"{c!r} ({k} row{'' if k == 1 else 's'})" for c, k in thin])
    return (
        f"the valuation split has fewer than {FEW_HOLDOUT_ROWS} rows of class{'es' if many else ''} {shown}; the "
        "models' early stopping scores every boosting round on it"
        + (f", and they stopped after a median of {median:g} of up to {max_rounds} rounds" if short else "")
        + (f"; the {primary} intervals of {', '.join(past)} pass the metric's range [0, 1]" if past else "")
        + "; add labelled rows of " + ("those classes" if many else "that class") + " to steady the comparison"
    )


#: :func:`thin_valuation_note`: a median of fewer boosting rounds than this, on a valuation split with few rows of
#: a class, is early stopping cut short by those rows (the models' learning rate 0.05 needs far more).
#: :func:`short_rounds_note` says so whatever the class counts.
SHORT_ROUNDS = 20


def short_rounds_note(arms: dict[str, Any], valuation_rows: int, max_rounds: int) -> str | None:
    """The note on models that early stopping kept at a median of fewer than :data:`SHORT_ROUNDS` boosting rounds,
    or None. At the learning rate of 0.05 such a model has barely moved from the class shares: the valuation
    split's log-loss got no better after those rounds, because the features say little about the label there or the
    split (``valuation_rows``) is too small to tell. The arms' differences then measure that noise.

    >>> arms = {"baseline": {"boosting_rounds": [3, 4, 6]}, "targeted": {"boosting_rounds": [2, 5, 4]}}
    >>> short_rounds_note(arms, 40, 2000).split(":")[0]
    'the models stopped after a median of 4 of up to 2000 boosting rounds'
    >>> short_rounds_note({"baseline": {"boosting_rounds": [150, 90]}}, 40, 2000) is None
    True
    """
    rounds = [b for entry in arms.values() for b in entry.get("boosting_rounds", ())]
    if not rounds or (median := float(np.median(rounds))) >= SHORT_ROUNDS:
        return None
    return (
        f"the models stopped after a median of {median:g} of up to {max_rounds} boosting rounds: the valuation "
        f"split's log-loss ({valuation_rows} rows) got no better after them, so at the learning rate of 0.05 they "
        "barely left the class shares; the features say little about the label there, or the split is too small to "
        "tell, and the arms' differences measure that noise; add labelled rows (or features that predict the label)"
    )


def thin_holdout_note(
    held: Sequence[Sequence[int] | np.ndarray], classes: Sequence[Any], *, holdout_file: bool = False,
) -> str | None:
    """The note on classes with fewer than :data:`FEW_HOLDOUT_ROWS` holdout rows; None when there is none.

    ``held`` holds each split's holdout rows per class (one entry without ``--splits``); with several splits a
    class's count is its smallest over them, and the wording says that their interval (over the splits) does cover
    which rows were held out, where one split's (repetitions, a bootstrap of its holdout rows) does not.
    """
    counts = np.asarray([np.asarray(h, dtype=np.int64) for h in held])
    smallest, largest = counts.min(axis=0), counts.max(axis=0)
    thin = [(classes[c], int(smallest[c])) for c in range(len(classes))
            if largest[c] > 0 and smallest[c] < FEW_HOLDOUT_ROWS]
    if not thin:
        return None
    many = len(thin) > 1
    them, those = ("them", "those classes") if many else ("it", "that class")
    shown = _first_ten([f"{c!r} ({k} row{'' if k == 1 else 's'})" for c, k in thin])
    steps = "the metrics' terms for such a class move in large steps"
    if counts.shape[0] == 1:
        more = (f"pass a --holdout FILE with more rows of {those}" if holdout_file else
                f"pass a --holdout FILE with more rows of {those}, or --splits 5 to repeat the evaluation on other "
                "holdout rows")
        return (
            f"the holdout has fewer than {FEW_HOLDOUT_ROWS} rows of class{'es' if many else ''} {shown}: {steps}, and "
            "the intervals (repetitions or a bootstrap of these rows) do not include which rows were held out, so a "
            f"difference between the arms says little about {them}; {more}"
        )
    n = counts.shape[0]
    return (
        f"the holdouts of the {n} splits have fewer than {FEW_HOLDOUT_ROWS} rows of class{'es' if many else ''} "
        f"{shown} (the smallest count over the {n} splits): {steps} in each split; the interval over the splits "
        "covers which rows were held out, but each split scores the arms on those few rows, so a difference between "
        f"the arms says little about {them}; add labelled rows of {those} (a --holdout FILE fixes the holdout, so it "
        "cannot be combined with --splits)"
    )


def split_seeds(cfg: AugmentConfig) -> list[int]:
    """The seed of each evaluation split: ``seed``, ``seed + 1``, ... (``cfg.splits`` of them)."""
    return [(cfg.seed + s) % 2**32 for s in range(cfg.splits)]


def resampled_ci(split_means: Sequence[float], test_over_train: float) -> dict[str, float | None]:
    """Mean and 95% half-width over repeated random splits, Nadeau & Bengio's corrected resampled t.

    The splits share most of their training rows, so their scores are correlated and the
    plain t-interval over them is too narrow; Nadeau & Bengio (2003, *Inference for the
    generalization error*, Machine Learning 52) inflate the variance of the mean from
    ``s^2 / S`` to ``(1/S + n_test/n_train) s^2``.
    """
    from scipy import stats

    a = np.asarray(split_means, dtype=np.float64)
    mean = float(a.mean()) if a.size else math.nan
    if a.size < 2:
        return {"mean": mean, "ci95": None}
    var = (1.0 / a.size + test_over_train) * float(a.var(ddof=1))
    return {"mean": mean, "ci95": float(stats.t.ppf(0.975, a.size - 1) * math.sqrt(var))}


@dataclass
class _SplitRun:
    """One split's three arms: metrics per repetition, boosting rounds, what the generators saw."""

    seed: int
    plan: EvaluationPlan
    train_rows: int
    per_arm: dict[str, list[dict[str, float]]]
    rounds: dict[str, list[int]]
    probas: dict[str, list[np.ndarray]]  # holdout probabilities per repetition
    target_rows: int
    target_mix: dict[str, int]
    n_synthetic: int
    generators: dict[str, dict[str, Any]]
    class_shares: dict[str, list[float]] = dataclasses.field(default_factory=dict)  # arm -> share of each class
    dropped_mislabeled: int = 0  # training rows left out of every arm (--drop-mislabeled: flagged by the split's valuation)
    kept_mix: dict[str, int] | None = None  # the class counts of the training rows the arms train on


#: A class share of the training rows that an augmented arm moves by this much (absolute) gets a note.
MIX_SHIFT_NOTED = 0.05


def mix_shift_note(shares: dict[str, list[float]], classes: Sequence[Any], primary: str) -> str | None:
    """A note when an augmented arm's training rows hold another class mix than the baseline's: a metric of the
    most probable class (macro-F1, accuracy) moves with the class shares whatever the rows show, so part of the
    arm's change may be the mix. None when no class share moves by :data:`MIX_SHIFT_NOTED` or more; else the
    note names up to three classes that moved that much, the most moved first. (With ``--splits``, the first
    split's shares, as the report's other per-split fields.)

    >>> print(mix_shift_note({"baseline": [0.9, 0.1], "targeted": [0.8, 0.2], "non_targeted": [0.9, 0.1]},
    ...                      ["a", "b"], "macro_f1"))
    the targeted arm's training rows hold another class mix than the baseline's (class b 10.0% -> 20.0%, class a 90.0% -> 80.0%): macro_f1, accuracy and logloss move with the class shares whatever the synthetic rows show, so part of the arm's change may be the mix (compare with the non-targeted arm, whose class shares stay within 5 points of the baseline's)
    """
    from ..report.formats import label_text

    base = np.asarray(shares.get("baseline", []), dtype=np.float64)
    parts = []
    for arm in ("targeted", "non_targeted"):
        arm_shares = np.asarray(shares.get(arm, []), dtype=np.float64)
        if base.size == 0 or arm_shares.shape != base.shape:
            continue
        change = np.abs(arm_shares - base)
        moved = np.flatnonzero(change >= MIX_SHIFT_NOTED - 1e-9)  # (5 points, whatever the rounding of the shares)
        if moved.size:  # (the classes that moved, most first, either way)
            top = moved[np.argsort(-change[moved], kind="stable")][:3]
            parts.append((arm.replace("_", "-"), ", ".join(
                f"class {label_text(str(classes[i]))} {base[i]:.1%} -> {arm_shares[i]:.1%}" for i in top)))
    if not parts:
        return None
    which = " and ".join(a for a, _ in parts)
    detail = "; ".join(f"{a}: {d}" if len(parts) > 1 else d for a, d in parts)
    metrics = "macro_f1, accuracy and logloss" if primary == "macro_f1" else "accuracy, macro_f1 and logloss (less so auc)"
    # (the non-targeted arm's own mix moved less than the threshold: its generator trains on every unflagged row,
    # and the flags are not spread evenly over the classes, so it is near the data's, not the data's)
    tail = (f" (compare with the non-targeted arm, whose class shares stay within {MIX_SHIFT_NOTED * 100:g} points of "
            "the baseline's)"
            if len(parts) == 1 and parts[0][0] == "targeted" else "")
    return (f"the {which} arm's training rows hold another class mix than the baseline's ({detail}): {metrics} "
            f"move with the class shares whatever the synthetic rows show, so part of the arm's change may be the "
            f"mix{tail}")


def _run_split(
    table: Table, drop: Sequence[str], cfg: AugmentConfig, plan: EvaluationPlan, seed: int,
    say: Callable[[str], None], timings: dict[str, float], tag: str,
) -> _SplitRun:
    """Value the train split, fit both generators (seeded ``seed``) and score the three arms."""
    from ..valuation._models import native_limits
    from ._sdv import PAC
    from .core import RowScores, _check_target_size, compute_scores, fit_and_sample, target_mask

    def add(key: str, seconds: float) -> None:
        timings[key] = timings.get(key, 0.0) + seconds

    target = parse_target(cfg.target)
    scfg = dataclasses.replace(cfg, seed=seed)
    classes = plan.classes
    n_classes = len(classes)
    frame = table.frame[plan.rows]
    y_all = plan.codes[plan.rows]
    tr, va = plan.train, plan.valid
    train, valid = frame[tr], frame[va]
    hold, y_hold = plan.ordered_holdout()

    t = time.perf_counter()
    say(f"evaluation{tag}: valuing {train.height} train rows against {valid.height} valuation rows")
    split_name = f"{_source_name(table)} (--evaluate's training split)"
    try:
        with native_limits(cfg.xgb_threads), _split_notes_unlogged():
            scores: RowScores = compute_scores(
                train, label=table.label, id_column=table.id_column, drop=drop, cfg=scfg, valid=valid
            )
    except DataValidationError as exc:  # name the input file and the split, not "<DataFrame>"
        raise DataValidationError([p.replace("<DataFrame>", split_name) for p in exc.problems]) from exc
    add("value", time.perf_counter() - t)
    train_table = Table(
        frame=train, label=table.label, features=table.features, id_column=table.id_column,
        source=table.source, dropped=table.dropped,
    )
    targeted = target_mask(target, train_table, scores, cfg)
    _check_target_size(targeted, target, cfg, scores, train_table, where=" of --evaluate's training split")
    everything = target_mask(parse_target("all"), train_table, scores, cfg)
    n_syn = parse_n_synthetic(cfg.n_synthetic, train.height, rows="labelled train rows of --evaluate")

    draws: dict[str, list[pl.DataFrame]] = {}
    generators: dict[str, dict[str, Any]] = {}
    for arm, mask in (("targeted", targeted), ("non_targeted", everything)):
        n_fit = int(mask.sum())
        if cfg.batch_size is not None and cfg.generator in ("ctgan", "copulagan") and cfg.batch_size > n_fit:
            raise AugmentError(
                f"--batch-size {cfg.batch_size} is larger than the {n_fit} rows the {arm.replace('_', '-')} generator "
                f"of --evaluate trains on (in --evaluate's training split of {train.height} rows); use at most "
                f"{max(PAC, n_fit // PAC * PAC)} or omit --batch-size"
            )
        say(f"evaluation{tag}: training {cfg.generator} on {int(mask.sum())} train rows ({arm}), {cfg.repeats} draws of {n_syn}")
        gen, samples, gt = fit_and_sample(train_table, mask, n_syn, cfg, draws=cfg.repeats, seed=seed)
        draws[arm] = samples
        add(f"fit.{arm}", gt["fit"])
        add(f"sample.{arm}", gt["sample"])
        info: dict[str, Any] = {
            "training_rows": int(mask.sum()),
            "epochs": gen.settings.epochs,
            "batch_size": gen.settings.batch_size,
        }
        if cfg.scores_quality(len(gen.modelled)):
            tq = time.perf_counter()
            info["quality"] = gen.quality(samples[0])
            add(f"quality.{arm}", time.perf_counter() - tq)
        generators[arm] = info

    t = time.perf_counter()
    # --drop-mislabeled: the output leaves out the flagged rows, so every arm trains without the rows this split's
    # valuation flags (the generators never learnt from them: --include-mislabeled contradicts it)
    dropped = (scores.is_mislabeled & ~scores.label_missing) if cfg.drop_mislabeled else np.zeros(train.height, bool)
    kept_train = train.filter(pl.Series(~dropped)) if dropped.any() else train
    y_train = y_all[tr][~dropped]
    emptied = [c for c in np.unique(y_all[tr]).tolist() if not (y_train == c).any()]
    if emptied:
        raise AugmentError(
            f"--drop-mislabeled leaves no row of class {_class_name(classes, int(emptied[0]))} of {table.label!r} in "
            f"--evaluate's training split{tag} (its valuation flags all {int((y_all[tr] == emptied[0]).sum())} of "
            "them mislabeled), so the arms could not learn it: check those labels, or drop --drop-mislabeled"
        )
    encoder = FeatureEncoder().fit(kept_train, table.features)
    x_train = encoder.transform(kept_train)
    x_valid, y_valid = encoder.transform(valid), y_all[va]
    x_hold = encoder.transform(hold)

    def synthetic_xy(sample: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        c, _, m = label_codes(sample.get_column(table.label), classes)
        ok = (c >= 0) & ~m
        s = sample.filter(pl.Series(ok)) if not ok.all() else sample
        return encoder.transform(s), c[ok]

    per_arm: dict[str, list[dict[str, float]]] = {a: [] for a in ARMS}
    shares: dict[str, list[float]] = {}  # (the training rows' class shares per arm, over the repetitions)
    rounds: dict[str, list[int]] = {a: [] for a in ARMS}
    probas: dict[str, list[np.ndarray]] = {a: [] for a in ARMS}
    say(f"evaluation{tag}: {3 * cfg.repeats} XGBoost fits on the holdout ({len(y_hold)} rows)")
    with native_limits(cfg.xgb_threads):
        for r in range(cfg.repeats):
            xgb_seed = seed + r
            for arm in ARMS:
                if arm == "baseline":
                    x, y = x_train, y_train
                else:
                    xs, ys = synthetic_xy(draws[arm][r])
                    x, y = np.vstack([x_train, xs]), np.concatenate([y_train, ys])
                counts = np.bincount(y, minlength=n_classes)[:n_classes] / max(1, y.size) / cfg.repeats
                shares[arm] = (np.asarray(shares.get(arm, np.zeros(n_classes))) + counts).tolist()
                m, best, proba = _fit_score(x, y, x_valid, y_valid, x_hold, y_hold, n_classes, cfg, xgb_seed)
                per_arm[arm].append(m)
                probas[arm].append(proba)
                rounds[arm].append(best)
    add("xgboost", time.perf_counter() - t)
    return _SplitRun(
        seed=seed, plan=plan, train_rows=int(kept_train.height), per_arm=per_arm, rounds=rounds, probas=probas,
        target_rows=int(targeted.sum()),
        target_mix=_mix(train.get_column(table.label).filter(pl.Series(targeted))),
        n_synthetic=n_syn, generators=generators, class_shares=shares, dropped_mislabeled=int(dropped.sum()),
        kept_mix=_mix(kept_train.get_column(table.label)),
    )


def evaluate_holdout(
    table: Table,
    drop: Sequence[str],
    cfg: AugmentConfig,
    *,
    holdout: pl.DataFrame | None = None,
    progress: Callable[[str], None] | None = None,
    plan: EvaluationPlan | None = None,
    plans: Sequence[EvaluationPlan] | None = None,
) -> dict[str, Any]:
    """Run the three-arm comparison on ``cfg.splits`` splits; return the JSON-able table and verdict.

    ``plan`` (from :func:`plan_evaluation` with ``cfg``'s seed) is the first split; the others
    use the seeds of :func:`split_seeds`. ``plans`` gives every split's plan (one per seed of
    :func:`split_seeds`, made before any valuation, as :func:`dvclean.augment.augment` does). With one split, each interval
    combines the ``repeats`` paired repetitions' t-interval with a paired bootstrap of the holdout
    rows (:func:`holdout_ci`); with more, it is over the splits' means by :func:`resampled_ci`, so it
    also covers the choice of training rows.
    """
    say = progress or (lambda msg: None)
    if cfg.splits > 1 and holdout is not None:
        raise ConfigError(
            f"--splits {cfg.splits} re-draws the holdout, but a --holdout file is fixed: drop --splits or --holdout"
        )
    timings: dict[str, float] = {}
    seeds = split_seeds(cfg)
    t = time.perf_counter()
    if plans is None or len(plans) != len(seeds):
        plans = [plan if (i == 0 and plan is not None) else plan_evaluation(table, cfg, holdout=holdout, seed=s)
                 for i, s in enumerate(seeds)]
    notes = list(dict.fromkeys(n for p in plans for n in p.notes))
    if len(plans) > 1 and all(p.holdout_class_rows for p in plans):
        thin = thin_holdout_note([p.holdout_class_rows for p in plans], plans[0].classes,
                                 holdout_file=plans[0].holdout_source == "file")
        if thin is not None:
            notes.append(thin)
    from ..pipeline import NOTE

    for note in notes:
        log.warning("%s", note, extra=NOTE)
    timings["split"] = time.perf_counter() - t

    runs = []
    for i, (s, p) in enumerate(zip(seeds, plans, strict=True)):
        tag = f" (split {i + 1} of {len(seeds)}, seed {s})" if len(seeds) > 1 else ""
        runs.append(_run_split(table, drop, cfg, p, s, say, timings, tag))
    first = runs[0]
    if cfg.drop_mislabeled:
        counts = [f"{run.dropped_mislabeled} of {run.train_rows + run.dropped_mislabeled}" for run in runs]
        where = (f"{counts[0]} training rows" if len(runs) == 1
                 else f"{', '.join(counts)} training rows in the {len(runs)} splits")
        notes.append(
            "--drop-mislabeled: as the output leaves out the rows flagged mislabeled, every arm trains on its "
            f"training split less the rows that split's own valuation flags ({where}): the baseline is the split "
            "less its flagged rows, the augmented arms add the synthetic rows to it; the valuation split and the "
            "holdout keep every row"
        )
        log.warning("%s", notes[-1], extra=NOTE)
    n_classes = len(first.plan.classes)
    n_hold = len(first.plan.y_hold)
    test_over_train = n_hold / max(1, first.train_rows)

    # one split: the holdout rows' own sampling error joins the repetitions' spread (paired bootstrap)
    boot = (
        {arm: holdout_resampled_metrics(first.plan.ordered_holdout()[1], first.probas[arm], n_classes, first.seed)
         for arm in ARMS}
        if len(runs) == 1 else None
    )

    def stat(per_split: list[list[float]], resampled: np.ndarray | None = None) -> dict[str, float | None]:
        if len(per_split) == 1:
            return mean_ci(per_split[0]) if resampled is None else holdout_ci(per_split[0], resampled)
        return resampled_ci([float(np.mean(v)) for v in per_split], test_over_train)

    def resampled(arm: str, name: str, minus: str | None = None) -> np.ndarray | None:
        if boot is None:
            return None
        return boot[arm][name] if minus is None else boot[arm][name] - boot[minus][name]

    metric_names = list(first.per_arm["baseline"][0])
    table_out: dict[str, Any] = {}
    for arm in ARMS:
        entry: dict[str, Any] = {"rows": int(first.train_rows + (0 if arm == "baseline" else first.n_synthetic))}
        for name in metric_names:
            vals = [[m[name] for m in run.per_arm[arm]] for run in runs]
            entry[name] = {**stat(vals, resampled(arm, name)), "values": [v for split in vals for v in split]}
            if arm != "baseline":
                diffs = [
                    [m[name] - b[name] for m, b in zip(run.per_arm[arm], run.per_arm["baseline"], strict=True)]
                    for run in runs
                ]
                entry[f"delta_{name}"] = stat(diffs, resampled(arm, name, "baseline"))
        entry["boosting_rounds"] = [b for run in runs for b in run.rounds[arm]]
        table_out[arm] = entry

    primary = "auc" if n_classes == 2 else "macro_f1"
    if (thin_valuation := thin_valuation_note(first.plan.class_counts["valuation"], table_out, primary,
                                              cfg.xgb_max_rounds)) is not None:
        notes.append(thin_valuation)
        log.warning("%s", thin_valuation, extra=NOTE)
    elif (short := short_rounds_note(table_out, len(first.plan.valid), cfg.xgb_max_rounds)) is not None:
        notes.append(short)
        log.warning("%s", short, extra=NOTE)
    shift = mix_shift_note(first.class_shares, first.plan.classes, primary)
    if shift is not None:
        notes.append(shift)
        log.warning("%s", shift, extra=NOTE)
    nt_vs_t = stat([
        [a[primary] - b[primary] for a, b in zip(run.per_arm["non_targeted"], run.per_arm["targeted"], strict=True)]
        for run in runs
    ], resampled("non_targeted", primary, "targeted"))
    # the change one holdout row makes to each metric (the smallest over the splits' holdouts): every paired
    # difference's interval is floored at it (outcome), as a difference of less than one row's worth is not resolved
    finest = {name: min((r for run in runs if (r := metric_resolution(name, run.plan.holdout_class_rows)) is not None),
                        default=None) for name in metric_names}
    finest_rows = min((run.plan.holdout_class_rows for run in runs),
                      key=lambda rows: metric_resolution(primary, rows) or math.inf)
    for arm in ("non_targeted", "targeted"):
        for name, res in finest.items():
            if res is not None:
                table_out[arm][f"delta_{name}"]["resolution"] = res
    if finest.get(primary) is not None:
        nt_vs_t["resolution"] = finest[primary]
    if finest_rows and (unresolved := resolution_note(table_out, nt_vs_t, primary, finest_rows, first.plan.classes,
                                                      len(runs))) is not None:
        notes.append(unresolved)
        log.warning("%s", unresolved, extra=NOTE)
    comparison = {
        f"non_targeted_minus_targeted_{primary}": nt_vs_t,
        "targeted": outcome(table_out["targeted"][f"delta_{primary}"]),
        "non_targeted": outcome(table_out["non_targeted"][f"delta_{primary}"]),
    }
    if len(runs) == 1:
        interval = (
            f"95% interval on one split: the spread over the {cfg.repeats} repetitions (model seed and synthetic draw, "
            f"t) plus the holdout rows' sampling error (paired bootstrap, {HOLDOUT_RESAMPLES} resamples)"
        )
    else:
        interval = (
            f"95% corrected resampled t-interval (Nadeau & Bengio 2003) over the means of {len(runs)} splits "
            f"of {cfg.repeats} repetitions each"
        )
    interval += ("; each paired difference's half-width is floored at the change one holdout row makes to AUC, Gini or "
                 "macro-F1 (their resolution): a smaller mean difference counts as no measurable difference")
    per_split = [
        {
            "seed": run.seed, "train": run.train_rows, "valuation": int(run.plan.valid.size),
            **({"dropped_mislabeled": run.dropped_mislabeled} if cfg.drop_mislabeled else {}),
            "holdout": int(len(run.plan.y_hold)), "target_rows": run.target_rows,
            **{
                f"delta_{primary}.{arm}": float(np.mean([
                    m[primary] - b[primary] for m, b in zip(run.per_arm[arm], run.per_arm["baseline"], strict=True)
                ]))
                for arm in ("targeted", "non_targeted")
            },
        }
        for run in runs
    ]
    return {
        "split": {
            # (train: the rows the arms train on; with --drop-mislabeled, the split's less those its valuation flags)
            "train": first.train_rows, "valuation": int(first.plan.valid.size), "holdout": n_hold,
            **({"dropped_mislabeled": first.dropped_mislabeled} if cfg.drop_mislabeled else {}),
            "holdout_source": first.plan.holdout_source,
            # the fractions the rows were split by: with a --holdout file, train and valuation in the ratio of
            # the first two (8:1 by default) and no holdout rows
            "fractions": (list(cfg.split) if first.plan.holdout_source == "split"
                          else [cfg.split[0] / (cfg.split[0] + cfg.split[1]), cfg.split[1] / (cfg.split[0] + cfg.split[1]), 0.0]),
            "stratified": True, "seed": cfg.seed,
            # (the split's rows; with --drop-mislabeled, train_kept: the training rows left, which the arms train on)
            "class_counts": ({**first.plan.class_counts, "train_kept": first.kept_mix}
                             if cfg.drop_mislabeled and first.kept_mix is not None else first.plan.class_counts),
        },
        "splits": len(runs),
        "k": cfg.k,  # K of the KNN-Shapley valuation of each training split (the output's rows may come from --scores)
        "per_split": per_split,
        "interval": interval,
        "target_rows": first.target_rows,
        "target_class_mix": first.target_mix,
        # each arm's training rows (the split's train rows and, augmented, the synthetic ones): share of each class
        "train_class_shares": {arm: {str(c): round(v, 6) for c, v in zip(first.plan.classes, sh, strict=True)}
                               for arm, sh in first.class_shares.items()},
        "n_synthetic": first.n_synthetic,
        "repeats": cfg.repeats,
        "model": {k: v for k, v in xgb_params(n_classes, cfg, cfg.seed).items() if k != "random_state"},
        "early_stopping_on": "valuation split",
        "generators": first.generators,
        "primary_metric": primary,
        "arms": table_out,
        "comparison": comparison,
        "verdict": verdict(table_out, primary, cfg.repeats, nt_vs_t=nt_vs_t, splits=len(runs)),
        "notes": notes,
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }


def _mix(labels: pl.Series) -> dict[str, int]:
    from .core import class_mix

    return class_mix(labels)


def signed(x: float, digits: int = 4) -> str:
    """``x`` with a sign and ``digits`` fixed decimals; values that round to 0 are ``+0.0000``, never ``-0.0000``."""
    if not math.isfinite(x):
        return str(x)
    r = round(x, digits)
    return f"{(r if r != 0 else 0.0):+.{digits}f}"


def outcome(stat: dict[str, float | None]) -> str:
    """``helped`` / ``hurt`` when the 95% interval of a paired difference lies above / below 0, else ``no difference``.

    The half-width is floored at ``stat["resolution"]`` when the stat has one (:func:`metric_resolution`: the change
    one holdout row makes to the metric): a mean difference smaller than that is no measurable difference, however
    narrow its interval (three split means that agree gave a t-interval of ± 0.003 around -0.02, less than the 0.05
    one misclassified row of an 18-row holdout moves macro-F1).

    >>> outcome({"mean": -0.0215, "ci95": 0.0028})
    'hurt'
    >>> outcome({"mean": -0.0215, "ci95": 0.0028, "resolution": 0.0513})
    'no difference'
    >>> outcome({"mean": -0.2, "ci95": 0.03, "resolution": 0.0513})
    'hurt'
    """
    mean, ci = stat["mean"], stat["ci95"]
    if mean is None or ci is None or not math.isfinite(mean) or not math.isfinite(ci):
        return "no difference"
    ci = max(ci, float(stat.get("resolution") or 0.0))
    if mean - ci > 0:
        return "helped"
    if mean + ci < 0:
        return "hurt"
    return "no difference"


def below_resolution(stat: dict[str, Any]) -> bool:
    """Whether the interval of ``stat`` lies on one side of 0 but its mean is within ``stat["resolution"]`` (the
    change one holdout row makes): the difference :func:`outcome` counts as no measurable difference for that reason."""
    mean, ci, res = stat.get("mean"), stat.get("ci95"), stat.get("resolution")
    if mean is None or ci is None or not res or not math.isfinite(mean) or not math.isfinite(ci):
        return False
    return abs(mean) > ci and abs(mean) <= res


def metric_resolution(metric: str, holdout_class_rows: Sequence[int]) -> float | None:
    """The change one holdout row makes to ``metric``: the smallest difference the holdout can resolve.

    ``holdout_class_rows`` are the holdout's rows of each class (by code; 0 for a class it lacks). A difference
    between two arms smaller than this is less than one row's worth on average, so it cannot be told from which rows
    the holdout happens to hold, whatever the spread of the repetitions or splits (:func:`outcome` floors every
    interval's half-width at it):

    * ``auc`` of a holdout of ``p`` and ``n`` rows of the two classes: ``1 / (p n)`` (one row ranked past one row of
      the other class); ``gini`` (2 AUC - 1) twice that;
    * ``macro_f1`` over the ``C`` classes present: the change one misclassified row makes to a holdout otherwise
      classified right (where the arms usually are), the smallest over the pairs of classes: a row of class ``a``
      (``n_a`` rows) predicted as ``b`` takes ``1 / (2 n_a - 1)`` from ``a``'s F1 and ``1 / (2 n_b + 1)`` from
      ``b``'s (nothing when ``b`` is absent from the holdout, as macro-F1 averages over the classes present), the sum
      divided by ``C``;
    * other metrics (log-loss): None (continuous).

    >>> round(metric_resolution("macro_f1", [6, 7, 5]), 4)
    0.0513
    >>> metric_resolution("auc", [40, 10])
    0.0025
    >>> metric_resolution("log_loss", [6, 7, 5]) is None
    True
    """
    counts = [int(k) for k in holdout_class_rows]
    present = [k for k in counts if k > 0]
    if metric in ("auc", "gini"):
        if len(present) != 2:
            return None
        step = 1.0 / (present[0] * present[1])
        return step if metric == "auc" else 2 * step
    if metric != "macro_f1" or not present:
        return None
    c = len(present)
    steps = [1.0 / (2 * a - 1) + (1.0 / (2 * b + 1) if b > 0 else 0.0)
             for i, a in enumerate(counts) if a > 0 for j, b in enumerate(counts) if j != i]
    return min(steps) / c if steps else None


def resolution_note(arms: dict[str, Any], nt_vs_t: dict[str, Any], primary: str,
                    holdout_class_rows: Sequence[int], classes: Sequence[Any], splits: int) -> str | None:
    """The note on each paired difference whose interval excludes 0 but whose mean is within the change one holdout
    row makes (:func:`metric_resolution`), so that the verdict calls it no measurable difference; None when none is."""
    name = {"auc": "AUC", "macro_f1": "macro-F1"}.get(primary, primary)
    parts = []
    for label, stat in (("targeted", arms["targeted"].get(f"delta_{primary}")),
                        ("non-targeted", arms["non_targeted"].get(f"delta_{primary}")),
                        ("non-targeted minus targeted", nt_vs_t)):
        if isinstance(stat, dict) and below_resolution(stat):
            parts.append(f"{label} {signed(float(stat['mean']))} ± {float(stat['ci95']):.4f}")
    if not parts:
        return None
    res = next(float(s["resolution"]) for s in (arms["targeted"].get(f"delta_{primary}"),
                                                 arms["non_targeted"].get(f"delta_{primary}"), nt_vs_t)
               if isinstance(s, dict) and s.get("resolution"))
    sizes = ", ".join(f"{class_text(c)}: {k}" for c, k in zip(classes, holdout_class_rows, strict=True))
    what = ("one misclassified row of a holdout otherwise classified right" if primary == "macro_f1"
            else "one row ranked past one row of the other class")
    where = "the holdout" if splits == 1 else f"of the {splits} splits' holdouts, the one of the finest step"
    many = len(parts) > 1
    return (
        f"the {name} difference{'s' if many else ''} {'; '.join(parts)} {'have intervals' if many else 'has an interval'} "
        f"that exclude{'' if many else 's'} 0 but {'means' if many else 'a mean'} within {res:.4f}, the change one "
        f"holdout row makes to {name} ({what}; {where} holds {sizes} rows per class): less than one row's worth, "
        "which the holdout cannot resolve, so the verdict counts "
        f"{'them' if many else 'it'} as no measurable difference; more labelled rows (a larger holdout) resolve "
        "smaller differences"
    )


def _effect(arm: str, stat: dict[str, float | None], name: str) -> str:
    mean, ci = float(stat["mean"] or 0.0), float(stat["ci95"] or 0.0)
    band = f"{signed(mean)} ± {ci:.4f}"
    what = outcome(stat)
    if what == "helped":
        return f"{arm} augmentation improved holdout {name} by {band}"
    if what == "hurt":
        return f"{arm} augmentation hurt holdout {name}: {band}"
    if below_resolution(stat):
        band += f", within {float(stat['resolution']):.4f}, the change one holdout row makes"
    return f"{arm} augmentation made no measurable difference to holdout {name} ({band})"


def verdict(
    arms: dict[str, Any], primary: str, repeats: int, *, nt_vs_t: dict[str, float | None] | None = None,
    splits: int = 1,
) -> str:
    """One line: each augmented arm against the baseline (95% CI of the paired difference), and the advice.

    An arm ``helped`` when the interval lies above 0, ``hurt`` when below, otherwise it made no
    measurable difference (:func:`outcome`: a difference within the change one holdout row makes, the stat's
    ``resolution``, is no measurable difference however narrow its interval); ``nt_vs_t`` (non-targeted minus
    targeted, paired) says when the
    non-targeted arm beat the targeted one: the advice is that the targeted rows are worth adding when the targeted
    arm helped and the non-targeted one did not beat it (both may have helped, the non-targeted by a mean no
    interval tells apart), and ``--target all`` when the non-targeted arm helped and the targeted one did not, or
    beat a targeted arm that helped (it is then better than a gain itself). When the targeted arm made no measurable difference
    and the holdout rows' part of its interval (:func:`holdout_ci`) is the larger one, the advice
    says that more repetitions would not narrow it.
    """
    name = {"auc": "AUC", "macro_f1": "macro-F1"}[primary]
    t_stat, nt_stat = arms["targeted"][f"delta_{primary}"], arms["non_targeted"][f"delta_{primary}"]
    t_out, nt_out = outcome(t_stat), outcome(nt_stat)
    parts = [_effect("targeted", t_stat, name), _effect("non-targeted", nt_stat, name)]
    nt_beat = nt_vs_t is not None and outcome(nt_vs_t) == "helped"
    if nt_beat and nt_vs_t is not None:
        parts.append(f"non-targeted beat targeted by {signed(float(nt_vs_t['mean'] or 0.0))} ± {float(nt_vs_t['ci95'] or 0.0):.4f}")
    over = f"{splits} splits x {repeats} seeds" if splits > 1 else f"{repeats} seeds and the holdout rows on one split"
    head = "; ".join(parts) + f" (95% CIs over {over})"
    if t_out == "helped" and not nt_beat:
        advice = "the targeted rows are worth adding"
    elif nt_out == "helped" or (t_out == "helped" and nt_beat):  # (non-targeted beat a targeted arm that helped)
        advice = "targeted augmentation did not beat non-targeted: prefer --target all"
    elif t_out == "hurt" or nt_out == "hurt":
        hurt = " and ".join(arm for arm, out in (("targeted", t_out), ("non-targeted", nt_out)) if out == "hurt")
        advice = f"no evidence that augmentation helped, and {hurt} augmentation hurt: keep your data as is"
    else:
        advice = "no evidence that augmentation helped: keep your data as is"  # (an interval around 0 shows no effect either way)
    if t_out == "no difference" and (t_stat.get("ci95_holdout_rows") or 0.0) > (t_stat.get("ci95_repetitions") or 0.0):
        advice += (" (most of the targeted interval is the holdout rows' sampling error: --splits or a larger --holdout "
                   "would narrow it, more --repeats would not)")
    return f"{head}; {advice}"
