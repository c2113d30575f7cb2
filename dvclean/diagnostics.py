"""Warnings about the input that make flags misleading without being errors.

:func:`dvclean.score` adds what these functions find to the summary's ``notes`` (and
logs them), so a user sees them before trusting the flags:

* :func:`label_spelling_notes`: class labels that differ only in case or surrounding
  whitespace (``"<=50K"`` and ``"<=50K "`` are two classes to every model, and the
  rows of the rarer spelling all look mislabeled), or that spell one number two ways
  (``1`` and ``1.0``, which a CSV reader keeps as text);
* :func:`feature_spelling_notes`: text feature columns whose values differ only in case
  or whitespace (``Male``, ``male``, `` male``: three categories for one value);
* :func:`row_number_columns`: integer feature columns that hold a distinct,
  consecutive integer in every row — a row number or an id read as a feature, which
  puts the file's order into every distance and tree (and leaks the label when the
  file is sorted by it);
* :func:`label_predictability`: whether the out-of-sample class probabilities rank the
  rows of each class above the rows of the others (a one-sided Mann-Whitney test of the
  one-vs-rest AUROC). When they do not (random labels, or features unrelated to the
  label), every row looks equally wrong and the flags are noise.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

__all__ = ["label_spelling_notes", "feature_spelling_notes", "row_number_columns", "label_copy_columns",
           "label_missingness_columns", "label_predictability"]


def label_spelling_notes(labels: pl.Series) -> list[str]:
    """Notes for groups of class labels equal after trimming whitespace, ignoring case and Unicode form.

    Labels that differ in their Unicode form only (``café`` written with a composed ``é`` or with ``e`` and a
    combining accent, or a full-width ``Ａ``) print alike, so the note shows them escaped (``'caf\\xe9'``).

    Examples
    --------
    >>> notes = label_spelling_notes(pl.Series("y", ["<=50K", ">50K", "<=50K ", "yes", "Yes"]))
    >>> len(notes), notes[0][:58]
    (2, "label column 'y': classes '<=50K' and '<=50K ' differ only")
    >>> label_spelling_notes(pl.Series("y", ["a", " ", "  ", ""]))  # blank: missing labels
    []
    >>> print(label_spelling_notes(pl.Series("y", ["caf\u00e9", "cafe\u0301"]))[0][:57])
    label column 'y': classes 'cafe\\u0301' and 'caf\\xe9' diff
    """
    if labels.dtype not in (pl.String, pl.Categorical) and not isinstance(labels.dtype, pl.Enum):
        return []
    notes = []
    for spellings, forms in _spelling_groups(labels, numbers=True):
        if forms is None:
            zeros = any(re.match(r"\s*[+-]?0\d", s) for s in spellings)
            notes.append(
                f"label column {labels.name!r}: classes {_shown(spellings, False, LABEL_SHOWN)} spell the same number"
                + (", one with leading zeros," if zeros else "") + " and are treated as different classes (a class "
                "label is read as written" + ("; a code such as 007 may be meant so" if zeros else "")
                + "); if they are one class, write it one way"
            )
            continue
        how = "case, whitespace or Unicode form (composed or combining accents, full-width letters)" if forms else \
            "case or whitespace"
        notes.append(
            f"label column {labels.name!r}: classes {_shown(spellings, forms, LABEL_SHOWN)} differ only in {how} and are "
            "treated as different classes; if they are one class, clean the labels first"
        )
    return notes


#: A number written plainly (``1``, ``1.0``, ``-.5``, ``1e3``), as two spellings of one class label may write it.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def number_spelling_key(text: str, *, padded: bool = False) -> Any:
    """The exact number a class label's text writes (``1``, ``1.0`` and ``1e0`` one key; ``-0`` and ``0`` too), or
    None: not a plain number (``nan``, ``inf``, ``0x1``, ``1,5``), or an integer with leading zeros (``01``,
    ``007``: a code, a class of its own beside ``1`` on purpose). Compared exactly, not as floats
    (``9007199254740993`` and ``...992`` are two numbers).

    >>> number_spelling_key("1.0") == number_spelling_key("1e0") == number_spelling_key(" 1 ")
    True
    >>> number_spelling_key("01") is None, number_spelling_key("NaN") is None
    (True, True)
    >>> number_spelling_key("007", padded=True) == number_spelling_key("7")  # (``padded``: leading zeros ignored)
    True
    """
    import decimal

    t = text.strip()
    if padded:
        t = re.sub(r"^([+-]?)0+(?=\d)", r"\1", t)
    if not _PLAIN_NUMBER.fullmatch(t) or re.match(r"[+-]?0\d", t):
        return None
    return decimal.Decimal(t).normalize() + 0  # (+0: -0 is 0)


def spelling_key(text: str, *, numbers: bool = True, padded: bool = False) -> Any:
    """What two spellings of one class share: the text trimmed, case-folded and in Unicode NFKC form; with
    ``numbers``, a plain number's value (``1``, ``1.0``, ``1e0``; ``padded``: ``01`` too, see
    :func:`number_spelling_key`) as a tuple, never equal to a text key.

    >>> spelling_key(" Yes") == spelling_key("yes"), spelling_key("1.0") == spelling_key("1"), spelling_key("01") == spelling_key("1")
    (True, True, False)
    """
    import unicodedata

    key: Any = unicodedata.normalize("NFKC", text).strip().casefold()
    if numbers and (number := number_spelling_key(key, padded=padded)) is not None:
        return (number,)
    return key


def _spelling_groups(values: pl.Series, *, numbers: bool = False) -> list[tuple[list[str], bool | None]]:
    """The groups of a text column's distinct values that are equal after trimming whitespace, ignoring case and
    Unicode form (blank values are missing ones), each with whether its spellings differ in Unicode form too; with
    ``numbers``, plain numbers of one value (``1``, ``1.0``, ``1e0``, ``01``: :func:`number_spelling_key`) form a
    group too, marked ``None``."""
    distinct = values.cast(pl.String).drop_nulls().unique().sort().to_list()
    groups: dict[Any, list[str]] = {}
    for v in (v for v in distinct if v.strip()):
        groups.setdefault(spelling_key(v, numbers=numbers, padded=True), []).append(v)
    return [(spellings, None if isinstance(key, tuple) else len({s.strip().casefold() for s in spellings}) > 1)
            for key, spellings in groups.items() if len(spellings) > 1]


#: The most characters of a class label a spelling note shows (a 4,000-character label made an 8,000-character note).
LABEL_SHOWN = 80


def _shown(spellings: list[str], forms: bool, limit: int | None = None) -> str:
    """The spellings as a note shows them, up to four, each cut to about ``limit`` characters: its start, or, when
    the spellings agree further than that, the stretch where they part (``...the device '`` and ``...the device  '``).
    """
    show = ascii if forms else repr  # (two Unicode forms of one text look the same when printed)
    shown = spellings[:4]

    def cut(s: str) -> str:
        if limit is None or len(s) <= limit:
            return s
        # where this spelling parts from the one it shares most with (a trailing space, a capital late in the text)
        parted = max((len(os.path.commonprefix([s, o])) for o in shown if o is not s), default=0)
        if parted + 10 <= limit:
            return s[:limit] + "..."
        start = max(0, parted - limit // 2)
        return "..." + s[start : start + limit] + ("..." if start + limit < len(s) else "")

    return " and ".join(show(cut(s)) for s in shown) + (" ..." if len(spellings) > 4 else "")


def feature_spelling_notes(frame: pl.DataFrame, columns: Sequence[str]) -> list[str]:
    """One note per text feature column (of ``columns``, those encoded as categories) whose values differ only in
    case, surrounding whitespace or Unicode form (``Male``, ``male`` and `` male``): each spelling is a category
    of its own, so rows that mean the same thing look different to every method.

    >>> df = pl.DataFrame({"sex": ["Male", "male ", "F", "f", "F"], "n": [1, 2, 3, 4, 5]})
    >>> print(feature_spelling_notes(df, ["sex", "n"])[0])
    feature column 'sex': values 'F' and 'f'; 'Male' and 'male ' differ only in case or whitespace and are encoded as different categories; if they mean the same, clean the column first
    """
    notes = []
    schema = frame.schema  # (built anew on every access: once, not per column)
    for name in columns:
        dtype = schema[name]
        if dtype not in (pl.String, pl.Categorical) and not isinstance(dtype, pl.Enum):
            continue
        groups = _spelling_groups(frame.get_column(name))
        if not groups:
            continue
        forms = any(f for _, f in groups)
        how = "case, whitespace or Unicode form" if forms else "case or whitespace"
        shown = "; ".join(_shown(spellings, f, 40) for spellings, f in groups[:3]) + ("; ..." if len(groups) > 3 else "")
        notes.append(f"feature column {name!r}: values {shown} differ only in {how} and are encoded as different "
                     "categories; if they mean the same, clean the column first")
    return notes


#: :func:`row_number_columns` takes whole-number floats and columns with a missing cell for row numbers only from
#: this many rows on.
ROW_NUMBER_RELAXED_ROWS = 20


def row_number_columns(frame: pl.DataFrame, features: Sequence[str]) -> list[str]:
    """Integer feature columns holding a distinct, consecutive integer in every row (a row number or an id); also
    whole numbers stored as floats (``1.0``, ``2.0``: pandas writes an integer column with a missing value so) and
    columns missing in a few rows (at most 1%, at least one), whose other rows hold distinct integers within a run
    as long as the column: these two from :data:`ROW_NUMBER_RELAXED_ROWS` rows on.

    Examples
    --------
    >>> df = pl.DataFrame({"idx": [3, 1, 2, 4], "age": [30, 41, 30, 52], "f": [1.0, 2.0, None, 4.0]})
    >>> row_number_columns(df, ["idx", "age", "f"])
    ['idx']
    >>> row_number_columns(pl.DataFrame({"f": [float(i) for i in range(30)]}), ["f"])
    ['f']
    """
    out = []
    n = frame.height
    if n < 3:
        return out
    for name in features:
        col = frame.get_column(name)
        if col.dtype.is_float():
            if n < ROW_NUMBER_RELAXED_ROWS:  # (1.0 .. 5.0 on five rows may well be measurements)
                continue
            col = col.fill_nan(None).drop_nulls()
            if col.len() == 0 or not bool(((col == col.floor()) & col.is_finite()).all()):
                continue
        elif col.dtype.is_integer():
            col = col.drop_nulls()
        else:
            continue
        m = col.len()
        if (m < n and n < ROW_NUMBER_RELAXED_ROWS) or n - m > max(1, n // 100) or m < 3:
            continue
        lo, hi = col.min(), col.max()
        if m <= hi - lo + 1 <= n and col.n_unique() == m:
            out.append(name)
    return out


def label_copy_columns(frame: pl.DataFrame, features: Sequence[str], label: str) -> list[str]:
    """Feature columns that spell the label again: over the labelled rows, each of their values goes with one class
    and each class with one value (``y_copy`` = ``y``, or ``yes``/``no`` written ``1``/``0``). A missing cell counts
    as a value: a ``reason`` filled in only for one class's rows spells a two-class label as well. Such a column
    predicts every label, the wrong ones too, so no label can look wrong.

    Examples
    --------
    >>> df = pl.DataFrame({"y": ["a", "b", "a", "b"], "c": [1, 0, 1, 0], "x": [1, 2, 3, 4], "r": ["z", None, "z", None]})
    >>> label_copy_columns(df, ["c", "x", "r"], "y")
    ['c', 'r']
    """
    labelled = _labelled(frame, label)
    n_classes = labelled.get_column(label).n_unique()
    if labelled.height < 3 or n_classes < 2:
        return []
    out = []
    for name in features:
        col = labelled.get_column(name)
        if col.dtype == pl.Object or col.null_count() == col.len() or col.n_unique() != n_classes:
            continue  # (n_unique counts a missing cell as one more value)
        if labelled.select(name, label).n_unique() == n_classes:  # the pairs are as few as the classes: one-to-one
            out.append(name)
    return out


def label_missingness_columns(frame: pl.DataFrame, features: Sequence[str], label: str) -> dict[str, Any]:
    """Feature columns whose missing cells give one class away: over the labelled rows, the cells are missing in
    exactly the rows of one class (or filled in exactly there), whatever the filled-in values are — a closing date
    or a comment written only for one outcome. The column's missingness predicts that class's every label, the
    wrong ones too. Columns :func:`label_copy_columns` names are left out.

    Returns
    -------
    dict
        Column name to ``("filled in", class)`` when its cells are filled in only in that class's rows, or
        ``("missing", class)`` when they are missing only there.

    Examples
    --------
    >>> d = [None if i % 3 == 0 else i for i in range(15)]  # (missing in the rows of 'a', values of its own in others)
    >>> df = pl.DataFrame({"y": list("abc") * 5, "d": d, "x": [1, None, 3] + [4, 5, 6] * 4})
    >>> label_missingness_columns(df, ["d", "x"], "y")
    {'d': ('missing', 'a')}
    """
    labelled = _labelled(frame, label)
    y = labelled.get_column(label)
    if labelled.height < 3 or y.n_unique() < 2:
        return {}
    copies = set(label_copy_columns(frame, features, label))
    _, codes = np.unique(y.to_numpy(), return_inverse=True)  # (class codes: no lookup of a float class by value)
    codes = codes.ravel()
    sizes = np.bincount(codes)

    def one_class(rows: np.ndarray) -> Any:  # the class of these rows when they are all of its rows, else None
        picked = codes[rows]
        if picked.size < MISSINGNESS_MIN_ROWS or codes.size - picked.size < MISSINGNESS_MIN_ROWS:
            return None  # (two rows of a class missing a sensor's reading may be chance)
        first = int(picked[0])
        return y[int(np.flatnonzero(rows)[0])] if sizes[first] == picked.size and (picked == first).all() else None

    out: dict[str, Any] = {}
    for name in features:
        col = labelled.get_column(name)
        nulls = col.null_count()
        if name in copies or col.dtype == pl.Object or not 0 < nulls < col.len():
            continue
        missing = col.is_null().to_numpy()
        if (c := one_class(~missing)) is not None:
            out[name] = ("filled in", c)
        elif (c := one_class(missing)) is not None:
            out[name] = ("missing", c)
    return out


#: :func:`label_missingness_columns` names a column only when the class its missingness picks out, and the other
#: labelled rows, have at least this many rows each.
MISSINGNESS_MIN_ROWS = 5


def _labelled(frame: pl.DataFrame, label: str) -> pl.DataFrame:
    """The rows of ``frame`` with a label, as dvclean.score reads one (not null, NaN or blank text)."""
    from .table import label_missing_mask

    return frame.filter(pl.Series(~label_missing_mask(frame.get_column(label))))


def label_predictability(proba: np.ndarray, y: np.ndarray, *, alpha: float = 0.01) -> dict[str, Any]:
    """Whether out-of-sample class probabilities rank the rows of each class above the others.

    For every class j, the rows labelled j should get a higher ``p_j`` than the rows that
    are not: the one-vs-rest AUROC of ``p_j``, tested against 0.5 with a one-sided
    Mann-Whitney U test. The labels count as predictable when the smallest p-value,
    Bonferroni-corrected over the classes, is below ``alpha``. A rank test, unlike
    accuracy against the majority class, is not blind on imbalanced labels (a useful
    model of a 1:3 label can have the majority's accuracy).

    Parameters
    ----------
    proba : ndarray of shape (n, C)
        Out-of-sample class probabilities (the flag rule's pooled probabilities).
    y : ndarray of shape (n,)
        Given class codes.
    alpha : float
        Level of the test of "no class is ranked above chance".

    Returns
    -------
    dict
        ``auroc`` (mean one-vs-rest AUROC over the classes tested), ``p_value``
        (Bonferroni-corrected), ``predictable`` (``p_value < alpha``), ``deciding_auroc``
        (the AUROC of the class with the smallest p-value, the one the verdict rests on: with
        many classes it can pass while the mean is near 0.5) and ``auroc_needed``: the smallest
        AUROC of that class that would pass the test with its size (:func:`auroc_needed`, by the
        same test) — near 0.5 on large data, near 1 on a few rows, where a failed test says
        little; ``perfect_ranking_passes``: whether even AUROC 1 would pass.

    Notes
    -----
    The probabilities must not have been tuned to ``y``: out-of-fold predictions are, but a
    pool whose weights were fitted to the labels (:func:`dvclean.flags.mixture_weights`)
    picks whichever signal fits the noise best and passes on pure-noise labels far more
    often than ``alpha`` (about one run in four on 1,000 rows of a 95:5 label).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 400)
    >>> label_predictability(rng.dirichlet([1, 1], 400), y)["predictable"]
    False
    >>> label_predictability(np.eye(2)[y] * 0.3 + rng.dirichlet([1, 1], 400) * 0.7, y)["predictable"]
    True
    """
    from scipy.stats import mannwhitneyu

    aurocs, p_values, sizes = [], [], []
    for j in range(proba.shape[1]):
        mine = y == j
        m, n = int(mine.sum()), int((~mine).sum())
        if m and n:
            u, p = mannwhitneyu(proba[mine, j], proba[~mine, j], alternative="greater")
            aurocs.append(float(u) / (m * n))
            p_values.append(float(p))
            sizes.append((m, n))
    if not p_values:
        return {"auroc": None, "p_value": None, "predictable": True, "auroc_needed": None, "deciding_auroc": None,
                "perfect_ranking_passes": None}
    p_value = min(1.0, min(p_values) * len(p_values))
    deciding = int(np.argmin(p_values))
    needed, perfect = auroc_needed(*sizes[deciding], alpha / len(p_values))
    return {"auroc": float(np.mean(aurocs)), "p_value": p_value, "predictable": p_value < alpha,
            "auroc_needed": needed, "deciding_auroc": aurocs[deciding], "perfect_ranking_passes": perfect}


def auroc_needed(m: int, n: int, level: float) -> tuple[float, bool]:
    """``(the smallest AUROC whose one-sided Mann-Whitney p-value is below level, whether a perfect ranking's is)``
    for a class of ``m`` rows against ``n`` others, by the test :func:`label_predictability` runs (scipy's
    ``mannwhitneyu``: its exact distribution where a sample has at most 8 rows, else the normal approximation with
    the continuity correction; untied values). An AUROC of 1.0 with ``False``: not even a perfect ranking passes.

    >>> auroc_needed(2, 148, 0.01 / 75)  # (a perfect ranking of a 2-row class among 150: p = 1/C(150, 2))
    (1.0, True)
    >>> auroc_needed(2, 10, 0.01)
    (1.0, False)
    >>> round(auroc_needed(500, 500, 0.01)[0], 3)
    0.542
    """
    from scipy.stats import mannwhitneyu, norm

    total = m * n
    if min(m, n) > 8:
        sigma = math.sqrt(total * (m + n + 1) / 12.0)
        u = total / 2 + 0.5 + float(norm.isf(level)) * sigma
        return (min(1.0, u / total), u <= total)

    def p_of(u: int) -> float:  # the p-value of samples whose U statistic is u (it depends on nothing else)
        counts = np.minimum(n, np.maximum(0, u - n * np.arange(m)))
        mine = counts - 0.5 + np.arange(m) * 1e-9  # (distinct: no ties, as for the exact distribution)
        return float(mannwhitneyu(mine, np.arange(n, dtype=np.float64), alternative="greater").pvalue)

    if p_of(total) >= level:
        return 1.0, False
    lo, hi = total // 2, total
    while lo < hi:  # the smallest u that passes (p falls as u grows)
        mid = (lo + hi) // 2
        if p_of(mid) < level:
            hi = mid
        else:
            lo = mid + 1
    return lo / total, True


def target_predictability(prediction: np.ndarray, y: np.ndarray, *, alpha: float = 0.01) -> dict[str, Any]:
    """Whether out-of-sample predictions of a regression target rise with it: the regression counterpart of
    :func:`label_predictability`.

    The Spearman rank correlation of prediction and target, tested one-sided against 0 (``p_value``);
    ``predictable`` when ``p_value < alpha``. ``r2`` is the predictions' out-of-sample R² (at or below 0:
    no better than the mean) and ``spearman_needed`` the smallest correlation the test could detect on
    these many rows (normal approximation): near 0 on large data, large on a few rows, where a failed
    test says little. When the features do not predict the target, the rows flagged "outlying" are only
    the target's own extreme values. One prediction for every row ranks nothing: not predictable
    (``spearman`` 0, ``p_value`` 1, ``constant_prediction`` true).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=300)
    >>> target_predictability(x + 0.5 * rng.normal(size=300), x)["predictable"]
    True
    >>> target_predictability(rng.normal(size=300), x)["predictable"]
    False
    """
    from scipy.stats import norm, spearmanr

    prediction, y = np.asarray(prediction, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n = y.shape[0]
    if n < 4 or np.ptp(y) == 0:
        return {"spearman": None, "p_value": None, "r2": None, "predictable": True, "spearman_needed": None,
                "constant_prediction": False}
    needed = min(1.0, float(norm.isf(alpha)) / math.sqrt(n - 1))
    if np.ptp(prediction) == 0:  # one prediction for every row: it ranks nothing, the features are not shown to help
        r2 = float(1.0 - np.sum((y - prediction) ** 2) / np.sum((y - y.mean()) ** 2))
        return {"spearman": 0.0, "p_value": 1.0, "r2": r2, "predictable": False, "spearman_needed": needed,
                "constant_prediction": True}
    rho = float(spearmanr(prediction, y).statistic)
    p_value = float(spearmanr(prediction, y, alternative="greater").pvalue)
    r2 = float(1.0 - np.sum((y - prediction) ** 2) / np.sum((y - y.mean()) ** 2))
    return {"spearman": rho, "p_value": p_value, "r2": r2, "predictable": p_value < alpha, "spearman_needed": needed,
            "constant_prediction": False}
