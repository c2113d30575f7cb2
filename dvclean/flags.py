"""Turning values and model evidence into row flags.

Classification: which rows are probably mislabeled
--------------------------------------------------
Four independent signals give each row a probability for every class:

* **model**: out-of-fold class probabilities of a cross-validated XGBoost
  (:func:`dvclean.valuation.confidence.oof_proba`) — the input of Confident Learning
  (Northcutt, Jiang & Chuang, JAIR 2021);
* **oob**: the out-of-bag class votes of a bagged forest, whose correctness is the
  Data-OOB value (Kwon & Zou, ICML 2023);
* **neighbours**: the label fractions among the row's K nearest neighbours, the
  signal behind negative KNN-Shapley values (Jia et al., PVLDB 2019);
* **linear**: out-of-fold probabilities of a cross-validated logistic regression
  (``MislabelConfig.linear_model``; ``None`` leaves it out), a smooth model that is
  the best single signal where the classes are close to linearly separable.

Their weighted mean is the row's class distribution: ``given_label_prob`` is its
probability of the given label and ``suggested_label`` the most probable *other*
class. The weights are fitted to the data at hand (:func:`mixture_weights`): the
linear opinion pool ``sum_s w_s p_s`` whose likelihood of the given labels is
largest (stacking under the log score, Wolpert 1992; Breiman 1996), found by EM.
Every signal is out-of-sample, so no weight rewards a signal for memorising a row.
Fitting to labels that are partly wrong is sound because under uniform noise the
probability of the given label is an increasing affine function of the true class
probability, ``p~ = (1 - r) p + r (1 - p) / (C - 1)``: a signal that predicts the
given labels well predicts the true ones well. On ``benchmarks/label_noise.py``'s 45
runs the fitted weights raised the rule's mean F1 by 0.6 points over equal weights,
and the linear signal by 0.15 more (``benchmarks/RESULTS_RULES.md``); the weights are
in the summary (``flags.signal_weights``).

``mislabel_score`` (in [0, 1], higher = more suspicious) is the mean of
``1 - given_label_prob`` and the KNN-Shapley value percentile from the top. The rules of
``--mislabel-rule`` (:data:`dvclean.config.MISLABEL_RULES`):

``consensus`` (default)
    How many rows are wrong is the median of four independent estimates: the
    number of rows the ``knn`` rule below flags, the number Confident Learning
    finds (the ``confident`` rule) on the model probabilities and on the pooled
    probabilities, and the F1-optimal count of a mixture model of the pooled
    probabilities (:func:`flip_mixture_count`; all four are in the summary,
    ``flags.count_estimates``). That many rows are flagged, highest ``mislabel_score`` first,
    where ``mislabel_score`` is the mean of ``1 - p(given label)`` under the
    pooled probabilities and the row's KNN-Shapley value percentile from the top
    (1 = the most harmful row). Rows the ``knn`` rule flags are flagged too. A row
    is kept only when, under the pooled probabilities, the most probable other class
    is at least ``MislabelConfig.min_odds`` (4/3) times as probable as the given
    label: a given label that is the most probable class, or nearly as probable as
    another (a coin flip, on data whose own labels are ambiguous), is never
    flagged. A row of a class of fewer than :data:`MIN_MODEL_CLASS_ROWS` (5) rows, whose few classmates the
    models' folds and bootstraps often leave out, is flagged only where its neighbours speak against its label too
    (:func:`small_classes`). Needs no noise rate.
``confident``
    Confident Learning on the pooled probabilities, pruned as cleanlab's default
    ``find_label_issues(filter_by="prune_by_noise_rate")``: of the rows labelled i,
    the ``n * Q[i, j]`` with the largest margin ``p_j - p_i`` are flagged, where Q is
    the calibrated joint, keeping those whose given label is not the most probable
    (on the model probabilities alone this is cleanlab's rule: the same flags on two
    classes; on more, cleanlab's tie and rounding details differ on a row or two per
    data set, 8 rows over 27 wine/iris runs in one audit).
``vote``
    Flagged when at least two of three tests agree: the ``knn`` rule, and the
    confident-joint off-diagonal on the model probabilities and on the OOB votes.
``confidence``
    The off-diagonal of the confident joint on the model probabilities alone: a row
    is flagged when another class reaches its per-class threshold (the mean
    probability of that class over the rows labelled with it) and is the most
    probable of the classes that do.
``knn``
    The first rule: KNN-Shapley value below ``FlagPolicy.mislabel_value_max`` and
    the majority of the K nearest neighbours carry another label.

With ``expected_noise`` set, the rule is replaced by "flag that fraction of rows,
highest ``mislabel_score`` first" (``floor(fraction * n)`` rows, at least one:
:func:`expected_count`, so a ``check`` gate at the same percentage passes). ``benchmarks/label_noise.py`` measured the rules
(``benchmarks/RESULTS.md``); the default is the one with the best mean F1 there.

Regression: which rows have an outlying target
----------------------------------------------
For a regression target (``--task regression``, or auto-detected) the same columns
are written, so ``check``, ``fix``, the report and a later ``--baseline`` read them
unchanged, but they mean **outlying target** rather than mislabeled:
``is_mislabeled`` flags a row whose target is far from what the other rows predict,
``mislabel_score`` is its outlier score, ``neighbor_label`` is the mean target of
its K nearest neighbours, and two columns are added: ``predicted_value`` (the
out-of-sample prediction, in the target's units) and ``target_z`` (the robust z of
the residual). The summaries say "outlying targets" and carry ``task``.

The prediction combines the available out-of-sample signals, the regression
counterpart of the pooled class probabilities: the out-of-fold prediction of the
cross-validated ``MislabelConfig.model`` (XGBoost), the out-of-bag prediction of the
bagged regression trees (Data-OOB, Kwon & Zou 2023), the mean target of the K
nearest neighbours (the KNN regressor that KNN-Shapley values) and the out-of-fold
prediction of a linear regression, with the non-negative weights summing to 1 that
predict the target best (stacked regression, Breiman, "Stacked Regressions", Machine
Learning 24, 1996; :func:`stacking_weights`, fitted again without the outlying rows). The ``knn`` rule
(and any rule above ``model_max_rows``) uses the neighbours alone, ``confidence``
the model alone. An outlying target also pulls the predictions of the rows around
it, so the signals are computed twice: the second time without training on the rows
whose first-pass residual exceeds the cutoff (:func:`regression_evidence`). The
residual ``r = y - prediction`` is standardised robustly,
``z = (r - median r) / (1.4826 MAD)`` (:func:`robust_z`), and a row is flagged when
``|z| > MislabelConfig.outlier_z`` (3.5: the modified z-score cutoff of Iglewicz &
Hoaglin, "How to Detect and Handle Outliers", 1993), and ``mislabel_score =
|z| / (|z| + outlier_z)`` lies in [0, 1) (0.5 at the cutoff). With ``expected_noise``
that fraction of rows, highest score first, is flagged instead. The data values take
no part, unlike in classification: under a squared-error utility one unit-error typo
(a target 10^6 standard deviations out) dominates every row's KNN-Shapley value, which
then mostly measures the row's distance from the typo. A rule that also required a
value below the median (the rule until 2026-12) flagged the same rows as the residual
alone on five real targets with 7% of them shifted by 3-5 standard deviations, and
half as many of them once one typo was added; the mean of the residual's and the value's
percentile as the score had AUROC 0.78-0.92 there against 0.986-1.00 for the residual
alone, and 0.942 against 0.944 (mean of 15 runs) for shifts of 1.5-3 standard deviations
without a typo.
On sklearn's diabetes data and two numeric columns of ``sample_data/adult_2000.csv``
(``age``, ``hours_per_week``) with 7% of the targets shifted by 3-5 standard
deviations, the outlier score reached AUROC 1.00 / 0.998 / 0.990 (mean of 3 seeds),
flag precision 1.00 / 0.95 / 0.73 and recall 0.85 / 0.95 / 0.95
(``tests/test_regression.py`` checks two of these runs).

Hard rows
---------
``is_hard``: the lowest-valued ``hard_fraction`` of the rows that are not flagged
(those are kept away from the generator); among rows of equal value the higher
``mislabel_score`` first.

Copies of one row
-----------------
Rows equal in every encoded feature and in the label are one player twice: their values
and every signal above are averaged over the copies (:func:`dvclean.table.identical_rows`),
and no cut (the count of flags, the hard fraction, Confident Learning's per-class counts)
separates rows of equal score (:func:`top_k`), so copies always get the same verdict. The models, the forest and
the neighbours see one copy of each record (:func:`distinct_evidence`), except in the cells of discrete data
(:func:`record_copies`), whose rows are observations of the labels that go with those feature values: there every
row counts, and the neighbours of a row with more than K copies are drawn from its cell (:func:`cell_neighbors`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import MISLABEL_RULES, FlagPolicy, MislabelConfig
from .errors import ConfigError
from .table import group_mean, identical_rows, median_spread, on_target_grid

__all__ = [
    "Evidence",
    "RowFlags",
    "confident_issues",
    "confident_offdiagonal",
    "expected_count",
    "expected_noise_flags",
    "flag_rows",
    "gather_evidence",
    "evidence_for",
    "flag_regression",
    "mixture_weights",
    "neighbor_votes",
    "RegressionEvidence",
    "regression_evidence",
    "prune_by_noise_rate",
    "share_copies",
    "top_k",
    "value_ranks",
]

ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Evidence:
    """Per-row class probabilities from the independent signals.

    Attributes
    ----------
    model : ndarray of shape (n, C) or None
        Out-of-fold probabilities of the cross-validated model.
    oob : ndarray of shape (n, C) or None
        Out-of-bag vote fractions of the bagged forest.
    neighbors : ndarray of shape (n, C) or None
        Label fractions among each row's K nearest neighbours.
    knn_values : ndarray of shape (n,) or None
        KNN-Shapley values (used by the ``consensus`` and ``vote`` rules and the
        score); ``None``: the primary method's values are used.
    linear : ndarray of shape (n, C) or None
        Out-of-fold probabilities of the cross-validated linear model.
    weights : dict of str to float, or None
        Weight of each signal in :attr:`proba`; ``None``: equal weights (see
        :meth:`stacked`, which :func:`flag_rows` applies).
    """

    model: np.ndarray | None = None
    oob: np.ndarray | None = None
    neighbors: np.ndarray | None = None
    knn_values: np.ndarray | None = None
    linear: np.ndarray | None = None
    weights: dict[str, float] | None = None

    def signals(self) -> dict[str, np.ndarray]:
        """The available probability signals by name."""
        out = {"model": self.model, "oob": self.oob, "neighbors": self.neighbors, "linear": self.linear}
        return {k: v for k, v in out.items() if v is not None}

    @property
    def proba(self) -> np.ndarray:
        """Weighted mean of the available probability signals (equal weights without :attr:`weights`)."""
        sig = self.signals()
        if self.weights is None:
            return np.mean(list(sig.values()), axis=0)
        w = np.array([self.weights.get(k, 0.0) for k in sig])
        if not w.sum() > 0:  # weights for none of the signals present
            return np.mean(list(sig.values()), axis=0)
        return np.tensordot(w / w.sum(), np.stack(list(sig.values())), axes=1)

    def expanded(self, index: np.ndarray) -> Evidence:
        """This evidence for the rows ``index`` picks (row ``i`` gets row ``index[i]``'s signals), weights kept."""
        names = ("model", "oob", "neighbors", "knn_values", "linear")
        return dataclasses.replace(self, **{k: getattr(self, k)[index] for k in names if getattr(self, k) is not None})

    def stacked(self, y: np.ndarray) -> Evidence:
        """This evidence with :attr:`weights` fitted to the given labels (:func:`mixture_weights`)
        unless already set."""
        sig = self.signals()
        if self.weights is not None or not sig:
            return self
        return dataclasses.replace(self, weights=mixture_weights(sig, y))


def mixture_weights(
    signals: dict[str, np.ndarray], y: np.ndarray, *, floor: float = 1e-3, tol: float = 1e-7, max_iter: int = 1000,
) -> dict[str, float]:
    """Weights of the linear pool ``sum_s w_s p_s`` that maximise the likelihood of the given labels.

    ``max_w sum_i log(sum_s w_s max(p_s[i, y_i], floor))`` over the simplex, by EM (the
    log-likelihood rises at every step and is concave in ``w``, so EM converges to the
    global optimum): a signal's weight is the mean of its posterior responsibility for
    the rows' labels, iterated until no weight moves by ``tol``. The floor keeps a signal that gives a label probability 0 (a
    neighbour vote) from vetoing it.

    Parameters
    ----------
    signals : dict of str to ndarray of shape (n, C)
        Out-of-sample class probabilities by signal name.
    y : ndarray of shape (n,)
        Given class codes.

    Returns
    -------
    dict of str to float
        Non-negative weights summing to 1, in the order of ``signals``.

    Examples
    --------
    >>> y = np.array([0, 1, 0, 1])
    >>> good = np.eye(2)[y] * 0.8 + 0.1
    >>> w = mixture_weights({"good": good, "bad": 1 - good}, y)
    >>> w["good"] > 0.99
    True
    """
    names = list(signals)
    if len(names) == 1:
        return {names[0]: 1.0}
    rows = np.arange(y.shape[0])
    lik = np.stack([np.maximum(signals[k][rows, y], floor) for k in names], axis=1)
    w = np.full(len(names), 1.0 / len(names))
    for _ in range(max_iter):
        resp = lik * w
        resp /= resp.sum(axis=1, keepdims=True)
        new = resp.mean(axis=0)
        done = float(np.abs(new - w).max()) < tol
        w = new
        if done:
            break
    return {k: float(v) for k, v in zip(names, w, strict=True)}


@dataclass(frozen=True)
class RowFlags:
    """Flags of the valued rows (arrays aligned with the players).

    ``suggested_label`` holds class codes; the probability columns are ``None``
    where not computed (``model_label_prob`` under the ``knn`` rule, whose label
    probabilities are the neighbours' label fractions).
    """

    value_rank: np.ndarray
    quality: np.ndarray
    is_mislabeled: np.ndarray
    is_hard: np.ndarray
    mislabel_score: np.ndarray
    neighbor_label: np.ndarray
    neighbor_disagreement: np.ndarray
    suggested_label: np.ndarray | None = None
    given_label_prob: np.ndarray | None = None
    suggested_label_prob: np.ndarray | None = None
    model_label_prob: np.ndarray | None = None
    rule: str = "knn"
    #: Classification with evidence: the weight of each signal in the pooled probabilities.
    signal_weights: dict[str, float] | None = None
    #: ``consensus`` rule: the estimates of how many labels are wrong, and their median (the count it flags).
    count_estimates: dict[str, float] | None = None
    #: With ``expected_noise``: how many rows the rule itself flags (its own cutoff), which the share replaced.
    rule_count: int | None = None
    #: Regression only: the out-of-sample prediction (standardised units) and the robust z of the residual.
    predicted_value: np.ndarray | None = None
    target_z: np.ndarray | None = None


def value_ranks(values: np.ndarray, score: np.ndarray | None = None, rows: np.ndarray | None = None) -> np.ndarray:
    """Rank 1 = lowest value (most harmful); among equal values the higher ``score`` first (as :func:`_hard` takes
    them), then the lower ``rows`` entry (default: the position).

    Examples
    --------
    >>> value_ranks(np.array([0.2, 0.1, 0.2, 0.2]), np.array([0.1, 0.5, 0.9, 0.1]), np.array([7, 5, 6, 3])).tolist()
    [4, 1, 2, 3]
    """
    n = values.shape[0]
    keys = [np.arange(n) if rows is None else np.asarray(rows)]
    if score is not None:
        keys.append(-np.asarray(score, dtype=np.float64))
    order = np.lexsort((*keys, values))
    ranks = np.empty(values.shape[0], dtype=np.int64)
    ranks[order] = np.arange(1, values.shape[0] + 1)
    return ranks


def _percentile_from_bottom(values: np.ndarray) -> np.ndarray:
    """Average-rank percentile in [0, 1]; 0 = lowest value."""
    n = values.shape[0]
    if n == 1:
        return np.zeros(1)
    order = np.argsort(values, kind="stable")
    sorted_v = values[order]
    ranks = np.empty(n, dtype=np.float64)
    # average rank over ties so equal values get equal quality
    uniq, start, counts = np.unique(sorted_v, return_index=True, return_counts=True)
    avg = start + (counts - 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return ranks / (n - 1)


def neighbor_votes(y: np.ndarray, neighbors: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Majority label of each row's neighbours and the fraction that disagree with the row.

    A tie for the majority is resolved in favour of the row's own label, then of the class
    of the nearest neighbour among the tied ones (not of a class code, which would make the
    flags depend on the classes' names).
    """
    n, k = neighbors.shape
    if k == 0:
        return y.copy(), np.zeros(n)
    counts = neighbor_fractions(y, neighbors, n_classes) * k
    counts[np.arange(n), y] += 0.5
    majority = (counts + nearest_first(y, neighbors, n_classes)).argmax(axis=1)
    disagreement = (y[neighbors] != y[:, None]).mean(axis=1)
    return majority, disagreement


def nearest_first(y: np.ndarray, neighbors: np.ndarray, n_classes: int) -> np.ndarray:
    """A tie-break in [0, 0.25) per row and class: larger the nearer the class's first neighbour (0 for a class
    no neighbour has). Added to whole neighbour counts it decides only their ties.

    >>> nearest_first(np.array([0, 1, 1]), np.array([[2, 1], [0, 2], [1, 0]]), 2).round(3).tolist()
    [[0.0, 0.167], [0.167, 0.083], [0.083, 0.167]]
    """
    n, k = neighbors.shape
    first = np.full((n, n_classes), k, dtype=np.float64)  # position of the nearest neighbour of each class
    rows = np.arange(n)
    for j in range(k - 1, -1, -1):
        first[rows, y[neighbors[:, j]]] = j
    return 0.25 * (k - first) / (k + 1)


def neighbor_fractions(y: np.ndarray, neighbors: np.ndarray, n_classes: int) -> np.ndarray:
    """Fraction of each row's neighbours in every class, shape (n, n_classes)."""
    n, k = neighbors.shape
    if k == 0:
        return np.eye(n_classes)[y]
    nl = y[neighbors]
    counts = np.bincount((np.arange(n)[:, None] * n_classes + nl).ravel(), minlength=n * n_classes)
    return counts.reshape(n, n_classes).astype(np.float64) / k


def class_thresholds(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Confident Learning's per-class thresholds: mean ``p_j`` over the rows labelled j."""
    n_classes = proba.shape[1]
    counts = np.bincount(y, minlength=n_classes)
    sums = np.bincount(y, weights=proba[np.arange(y.shape[0]), y], minlength=n_classes)
    return np.where(counts > 0, sums / np.maximum(counts, 1), 1.0)


def _confident_guess(proba: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = class_thresholds(proba, y)
    above = proba >= t[None, :] - 1e-12
    guess = np.where(above, proba, -1.0).argmax(axis=1)
    return above.any(axis=1), guess


def confident_offdiagonal(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Rows in an off-diagonal cell of the confident joint (Northcutt et al. 2021, Eq. 1).

    Examples
    --------
    >>> p = np.array([[0.9, 0.1], [0.95, 0.05], [0.2, 0.8], [0.3, 0.7]])
    >>> confident_offdiagonal(p, np.array([0, 1, 1, 1])).tolist()
    [False, True, False, False]
    """
    has, guess = _confident_guess(proba, y)
    return has & (guess != y)


def calibrated_joint(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Confident Learning's joint Q of (given, true) labels: the confident joint with
    rows rescaled to the label counts, normalised to sum to 1."""
    c = proba.shape[1]
    has, guess = _confident_guess(proba, y)
    joint = np.zeros((c, c))
    np.add.at(joint, (y[has], guess[has]), 1.0)
    counts = np.bincount(y, minlength=c).astype(np.float64)
    row = joint.sum(axis=1, keepdims=True)
    calibrated = np.where(row > 0, joint / np.maximum(row, 1) * counts[:, None], 0.0)
    return calibrated / max(calibrated.sum(), 1.0)


def estimated_errors(proba: np.ndarray, y: np.ndarray) -> int:
    """Confident Learning's estimate of the number of wrong labels, ``round(n * (1 - trace Q))``.

    Examples
    --------
    >>> p = np.array([[0.9, 0.1], [0.95, 0.05], [0.2, 0.8], [0.3, 0.7]])
    >>> estimated_errors(p, np.array([0, 1, 1, 1]))
    1
    """
    q = calibrated_joint(proba, y)
    return int(round(y.shape[0] * (1.0 - float(np.trace(q)))))


def prune_by_noise_rate(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Confident Learning's ``prune_by_noise_rate``: per off-diagonal cell (i, j), the
    ``round(n * Q[i, j])`` rows labelled i with the largest margin ``p_j - p_i``."""
    n, c = proba.shape
    q = calibrated_joint(proba, y)
    flagged = np.zeros(n, dtype=bool)
    for i in range(c):
        rows_i = np.flatnonzero(y == i)
        for j in range(c):
            if i == j:
                continue
            k = int(round(n * q[i, j]))
            k = min(k, max(rows_i.size - 1, 0))
            if k <= 0:
                continue
            margin = proba[rows_i, j] - proba[rows_i, i]
            flagged[rows_i[top_k(margin, k)]] = True
    return flagged


def flip_mixture_count(
    proba: np.ndarray, y: np.ndarray, *, min_recall: float = 0.2, max_thresholds: int = 32768
) -> tuple[float, int]:
    """How many rows to flag: the F1-optimal cutoff under a mixture model of wrong labels.

    The suspicion of a row is ``s = 1 - p(given label)``. Among the rows labelled j, the
    scores are a mixture ``(1 - pi_j) F_clean + pi_j F_wrong`` whose wrong part is the
    distribution of ``1 - p_j`` over rows that truly belong to another class. Those are
    observed without retraining anything: every row of another class, *virtually*
    relabelled j, is such a row (the probabilities are out-of-sample, so a row's own label
    never entered its own prediction). The sources are weighted by Confident Learning's
    joint (:func:`calibrated_joint`, row j), so structured noise (a class mistaken for one
    neighbour) is matched. ``pi_j`` is the mixture proportion estimate of Blanchard, Lee &
    Scott (2010) and Scott (2015): the smallest ratio, over thresholds t, of the share of
    real rows scoring >= t to the share of virtual wrong rows that do (thresholds that fewer
    than ``min_recall`` of the virtual rows pass are skipped: too few to estimate from).
    With ``m = sum_j pi_j n_j`` wrong rows, a threshold t is expected to find
    ``TP(t) = sum_j pi_j n_j R_j(t)`` of them among the ``N(t)`` rows it flags, and the
    count returned is the ``N(t)`` maximising the expected F1, ``2 TP(t) / (N(t) + m)``.

    The infimum assumes that some scores are reached by wrong rows only; on data whose
    own labels are ambiguous it is not, and the estimate is too high — as every other
    estimate here is, which is why the ``consensus`` rule takes a median. As the fourth
    vote of that median it raised the rule's mean F1 by 0.2 points on the five data sets of
    ``benchmarks/label_noise.py`` and by 0.3 on three held out (``benchmarks/RESULTS_RULES.md``).

    Parameters
    ----------
    proba : ndarray of shape (n, C)
        Out-of-sample class probabilities (the pooled ones in the ``consensus`` rule).
    y : ndarray of shape (n,)
        Given class codes.
    min_recall : float
        Thresholds that fewer than this share of the virtual wrong rows pass are skipped.
    max_thresholds : int
        Above this many distinct scores (at most ``n C``), thresholds are taken at
        quantiles of the real scores and of all scores, which bounds the cost at
        O(C (n + max_thresholds) log n); the count is then exact to about
        ``2 n / max_thresholds`` rows.

    Returns
    -------
    (m, count) : tuple of float and int
        The estimated number of wrong labels and the F1-optimal number of rows to flag
        (0 and 0 when no class has a measurable share of wrong rows).

    Examples
    --------
    Two of 18 labels are wrong: the last two rows look like the other class.

    >>> p = np.array([[.9, .1]] * 8 + [[.1, .9]] * 8 + [[.1, .9], [.9, .1]])
    >>> y = np.array([0] * 8 + [1] * 8 + [0, 1])
    >>> m, k = flip_mixture_count(p, y)
    >>> round(m, 2), k
    (2.25, 2)
    """
    n, c = proba.shape
    y = np.asarray(y, dtype=np.int64)
    score = 1.0 - proba[np.arange(n), y]
    # every score a real or a virtual row reaches: between two of them nothing changes
    thresholds = np.unique(1.0 - proba)
    if thresholds.size > max_thresholds:  # large inputs: quantiles of the real and of all scores
        grid = np.linspace(0.0, 1.0, max_thresholds // 2)
        # (the lower quantiles by indexing the sorted scores: np.quantile partitions once per point, 1 s at 16,384)
        ordered = np.sort(score)
        thresholds = np.unique(np.concatenate([ordered[np.floor(grid * (n - 1)).astype(np.int64)],
                                               thresholds[np.floor(grid * (thresholds.size - 1)).astype(np.int64)]]))
    thresholds = thresholds[::-1]
    joint = calibrated_joint(proba, y)
    counts = np.bincount(y, minlength=c).astype(np.float64)
    wrong = 0.0
    found = np.zeros(thresholds.size)
    flagged = np.zeros(thresholds.size)
    for j in range(c):
        mine = y == j
        n_j = int(mine.sum())
        if n_j == 0:
            continue
        real = np.sort(-score[mine])
        passing = np.searchsorted(real, -thresholds, side="right")  # rows labelled j scoring >= t
        flagged += passing
        if n_j == n:
            continue
        source = joint[j].copy()
        source[j] = 0.0
        if source.sum() <= 0:  # no off-diagonal evidence: sources in proportion to the classes
            source = counts.copy()
            source[j] = 0.0
        weight = (source / np.maximum(counts, 1.0))[y[~mine]]
        virtual = -(1.0 - proba[~mine, j])
        order = np.argsort(virtual, kind="stable")
        cum = np.cumsum(weight[order])
        if cum[-1] <= 0:
            continue
        at = np.searchsorted(virtual[order], -thresholds, side="right")
        recall = np.where(at > 0, cum[np.maximum(at - 1, 0)] / cum[-1], 0.0)
        usable = recall >= min_recall
        if not usable.any():
            continue
        share = min(1.0, float(np.min(passing[usable] / (n_j * recall[usable]))))
        wrong += share * n_j
        found += share * n_j * recall
    if wrong <= 0:
        return 0.0, 0
    best = int(np.argmax(2.0 * found / (flagged + wrong)))
    return wrong, int(flagged[best])


def not_most_probable(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Rows whose given label is not the most probable class."""
    rows = np.arange(y.shape[0])
    other = proba.copy()
    other[rows, y] = -np.inf
    return other.max(axis=1) > proba[rows, y]


def confident_issues(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """cleanlab's default ``find_label_issues``: :func:`prune_by_noise_rate`, keeping the rows
    whose given label is not the most probable class."""
    return prune_by_noise_rate(proba, y) & not_most_probable(proba, y)


def top_k(score: np.ndarray, k: int, *, at_most: bool = False) -> np.ndarray:
    """The ``k`` highest scores, with rows of equal score kept together.

    When the ``k``-th and the ``k+1``-th highest scores are equal, the block of rows with that
    score is taken whole if at least half of it fits within ``k``, and left out otherwise, so two
    rows with the same score (two copies of one row) are never told apart by their order;
    the count is then off ``k`` by at most half the block. With ``at_most`` the block is taken
    only when all of it fits (never more than ``k`` rows), unless leaving it out would flag no row.

    Examples
    --------
    >>> top_k(np.array([0.9, 0.5, 0.5, 0.1]), 2).tolist()
    [True, True, True, False]
    >>> top_k(np.array([0.9, 0.5, 0.5, 0.5, 0.1]), 2).tolist()
    [True, False, False, False, False]
    """
    n = score.shape[0]
    out = np.zeros(n, dtype=bool)
    if k <= 0:
        return out
    if k >= n:
        out[:] = True
        return out
    order = np.argsort(-score, kind="stable")
    edge = score[order[k - 1]]
    if not np.isfinite(edge) or score[order[k]] != edge:
        out[order[:k]] = True
        return out
    above, tied = score > edge, score == edge
    room = k - int(above.sum())
    if at_most and above.any():
        return above | tied if room >= int(tied.sum()) else above
    return above | tied if 2 * room >= int(tied.sum()) else above


def expected_count(fraction: float, n: int) -> int:
    """Rows that ``expected_noise = fraction`` flags out of ``n``: ``floor(fraction * n)``, at least 1.

    Rounded down, so ``check --expected-noise P --max-mislabeled P`` passes (the gate allows at
    most ``P * n`` rows); at least one row when ``fraction > 0`` and there are rows, so a declared
    noise rate always flags something. The ``1e-9`` keeps ``0.29 * 100`` (28.999...) at 29.

    >>> expected_count(0.05, 376), expected_count(0.29, 100), expected_count(0.05, 10), expected_count(0.1, 0)
    (18, 29, 1, 0)
    """
    if n <= 0 or fraction <= 0:
        return 0
    return max(1, math.floor(fraction * n + 1e-9))


def top_fraction(score: np.ndarray, fraction: float) -> np.ndarray:
    """Flag the ``round(fraction * n)`` highest scores (equal scores together, :func:`top_k`)."""
    return top_k(score, int(round(fraction * score.shape[0])))


def expected_noise_flags(score: np.ndarray, fraction: float) -> np.ndarray:
    """``expected_noise``'s flags: the :func:`expected_count` highest scores (equal scores together, a block of
    copies that does not fit whole left out, so that ``check --max-mislabeled`` at the same fraction passes)."""
    return top_k(score, expected_count(fraction, score.shape[0]), at_most=True)


def _knn_rule(values: np.ndarray, disagreement: np.ndarray, policy: FlagPolicy,
              majority: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The ``knn`` rule: a value below ``policy.mislabel_value_max`` and (``neighbor_majority``) most of the K nearest
    rows carrying another label, one other class more of them than the row's own (:func:`neighbor_votes`' majority,
    a tie going to the row's own): with three classes or more, a row whose class is its neighbours' plurality (two
    of five, the rest split) is not flagged, as its suggested label would be less probable than its own."""
    flagged = values < policy.mislabel_value_max
    if policy.neighbor_majority:
        flagged &= (disagreement > 0.5) & (majority != y)
    return flagged


#: ``consensus`` rule: a row of a class of fewer rows than this is flagged only where none of its K nearest rows
#: carries its label, or the ``knn`` rule flags it (:func:`small_classes`).
MIN_MODEL_CLASS_ROWS = 5


def small_classes(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Whether each class has fewer than :data:`MIN_MODEL_CLASS_ROWS` rows: too few for the models' opinion of its
    rows to count against their labels.

    A row of a class of two is predicted out of fold from its one classmate (with 150 such classes XGBoost learnt
    nothing, weight 0.00), and out of bag by the trees whose bootstrap happened to hold its classmate (37% of them do
    not, and vote for whatever class is near), while its K = 5 neighbours can hold at most one row of its class; so
    the pooled probabilities were the forest's votes alone (weight 1.00), and 10 of 300 rows were flagged, 8 of them
    nearer to their own classmate than to any row of another class (``fix --action drop`` then emptied classes).
    Classes of 3 and 4 rows flagged correct rows beside the flipped ones the same way (up to 18 extra flags on 300
    rows), classes of 5 and 6 none. Such a row is flagged only when its neighbours speak against its label too: none
    of its K nearest rows carries it (a flipped row, far from the few rows of the class its label names), or the
    ``knn`` rule flags it. A row whose classmate is among its nearest rows keeps its label, whatever the forest's
    votes: on ten tables of 300 rows in classes of 2, 3 or 4 (two seeds; clean, and with 15 labels flipped where no
    class is left with one row), 59 correct rows had been flagged and none are, and 59 of the 60 flipped rows are
    flagged as before.

    >>> small_classes(np.array([0, 0, 1, 1, 1, 1, 1]), 3).tolist()   # class 2 has no row: not judged either way
    [True, False, False]
    """
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=n_classes)
    return (counts < MIN_MODEL_CLASS_ROWS) & (counts > 0)


def flag_rows(
    values: np.ndarray,
    y: np.ndarray,
    neighbors: np.ndarray,
    n_classes: int,
    policy: FlagPolicy,
    *,
    evidence: Evidence | None = None,
    mislabel: MislabelConfig | None = None,
) -> RowFlags:
    """Compute ranks, flags, the mislabel score and the suggested label of valued rows.

    Parameters
    ----------
    values : ndarray of shape (n,)
        Data values of the primary method (higher = more useful).
    y : ndarray of shape (n,)
        Class codes.
    neighbors : ndarray of shape (n, K)
        Each row's K nearest other rows.
    n_classes : int
    policy : FlagPolicy
    evidence : Evidence, optional
        Model signals (:func:`gather_evidence`); without them only the ``knn`` rule
        can run, and it does.
    mislabel : MislabelConfig, optional

    Examples
    --------
    >>> v = np.array([0.3, -0.2, 0.1, 0.2])
    >>> y = np.array([0, 1, 0, 0])
    >>> nb = np.array([[2], [0], [0], [0]])
    >>> f = flag_rows(v, y, nb, 2, FlagPolicy(hard_fraction=0.34))
    >>> f.is_mislabeled.tolist(), f.is_hard.tolist()
    ([False, True, False, False], [False, False, True, False])
    """
    mislabel = mislabel or MislabelConfig()
    n = values.shape[0]
    quality = _percentile_from_bottom(values)
    y = np.asarray(y, dtype=np.int64)
    majority, disagreement = neighbor_votes(y, neighbors, n_classes)
    suggested = given_p = suggested_p = model_p = None
    count_estimates = None
    if evidence is None or mislabel.rule == "knn" or not evidence.signals():
        rule = "knn"
        kv = values if evidence is None or evidence.knn_values is None else evidence.knn_values
        kq = quality if kv is values else _percentile_from_bottom(kv)
        is_mislabeled = _knn_rule(kv, disagreement, policy, majority, y)
        score = np.clip(0.5 * (1.0 - kq) + 0.5 * disagreement, 0.0, 1.0)
        fractions = neighbor_fractions(y, neighbors, n_classes)
        other = fractions.copy()
        other[np.arange(n), y] = -1.0
        if neighbors.shape[1]:  # a tie goes to the class of the nearest neighbour, not to the lowest code
            other += nearest_first(y, neighbors, n_classes) / neighbors.shape[1]
        suggested = other.argmax(axis=1)
        if neighbors.shape[1]:  # the neighbours' label fractions are this rule's probabilities
            given_p, suggested_p = fractions[np.arange(n), y], fractions[np.arange(n), suggested]
    else:
        rule = mislabel.rule
        evidence = evidence.stacked(y)
        proba = evidence.proba
        rows = np.arange(n)
        given_p = proba[rows, y]
        other = proba.copy()
        other[rows, y] = -1.0
        suggested = other.argmax(axis=1)
        suggested_p = proba[rows, suggested]
        model_p = evidence.model[rows, y] if evidence.model is not None else None
        kv = values if evidence.knn_values is None else evidence.knn_values
        kq = quality if evidence.knn_values is None else _percentile_from_bottom(kv)
        score = np.clip(0.5 * (1.0 - given_p) + 0.5 * (1.0 - kq), 0.0, 1.0)
        knn_flags = _knn_rule(kv, disagreement, policy, majority, y)
        if rule == "consensus":
            named = {"knn_rule": int(knn_flags.sum()), "confident_pooled": int(confident_issues(proba, y).sum())}
            if evidence.model is not None:
                named["confident_model"] = int(confident_issues(evidence.model, y).sum())
            named["flip_mixture"] = flip_mixture_count(proba, y)[1]
            count = float(np.median(list(named.values())))
            count_estimates = {**named, "median": count}
            likely = suggested_p > mislabel.min_odds * given_p  # another class clearly more probable
            # a row of a class too small for the models needs its neighbours' agreement: none of its K nearest rows
            # carries its label (small_classes)
            judged = ~small_classes(y, n_classes)[y] | (disagreement >= 1.0)
            is_mislabeled = ((top_fraction(score, count / max(n, 1)) & judged) | knn_flags) & likely
        elif rule == "confident":
            is_mislabeled = confident_issues(proba, y)
        elif rule == "vote":
            tests = [knn_flags] + [confident_offdiagonal(p, y) for p in (evidence.model, evidence.oob) if p is not None]
            is_mislabeled = np.sum(tests, axis=0) >= min(2, len(tests))
        elif rule == "confidence":
            is_mislabeled = confident_offdiagonal(evidence.model if evidence.model is not None else proba, y)
        else:
            raise ConfigError(f"unknown mislabel rule {rule!r}; use one of {', '.join(MISLABEL_RULES)}")
    rule_count = None
    if mislabel.expected_noise is not None:
        rule_count = int(is_mislabeled.sum())
        is_mislabeled = expected_noise_flags(score, mislabel.expected_noise)
    return RowFlags(
        value_rank=value_ranks(values),
        quality=quality,
        is_mislabeled=is_mislabeled,
        is_hard=_hard(values, is_mislabeled, policy, score),
        mislabel_score=score,
        neighbor_label=majority,
        neighbor_disagreement=disagreement,
        suggested_label=suggested,
        given_label_prob=given_p,
        suggested_label_prob=suggested_p,
        model_label_prob=model_p,
        rule=rule if mislabel.expected_noise is None else f"{rule} (top {mislabel.expected_noise:g})",
        signal_weights=evidence.weights if evidence is not None and rule != "knn" else None,
        count_estimates=count_estimates if mislabel.expected_noise is None else None,
        rule_count=rule_count,
    )


def hard_count(fraction: float, candidates: int) -> int:
    """How many rows ``--hard-frac`` asks for among ``candidates`` rows: the whole rows within the share (rounded
    down, as ``check`` rounds a percentage limit down), so that ``--max-hard`` at ``--hard-frac`` passes unless
    rows tied at the cut are taken together (:func:`top_k`).

    >>> hard_count(0.1, 307), hard_count(0.3, 10), hard_count(0.1, 9)
    (30, 3, 0)
    """
    return int(math.floor(fraction * candidates + 1e-9))


def _hard(values: np.ndarray, flagged: np.ndarray, policy: FlagPolicy, score: np.ndarray) -> np.ndarray:
    """The ``hard_fraction`` lowest-valued unflagged rows (:func:`hard_count`); among equal values (leave-one-out
    gives many rows exactly 0) the higher ``score`` first, and rows equal in both (copies of one row) together."""
    candidates = np.flatnonzero(~flagged)
    n_hard = hard_count(policy.hard_fraction, candidates.size)
    is_hard = np.zeros(values.shape[0], dtype=bool)
    if n_hard:
        key = np.column_stack([values[candidates], -score[candidates]])
        position = np.unique(key, axis=0, return_inverse=True)[1].ravel()  # by value, then by score
        is_hard[candidates[top_k(-position.astype(np.float64), n_hard)]] = True
    return is_hard


#: The robust z's scale is at least this share of the mean-absolute-deviation scale (see :func:`robust_z`).
SCALE_FLOOR = 0.5
#: The floor's mean absolute deviation leaves out the values more than this many MAD-scale units from the median.
FLOOR_REACH = 10.0
#: The first pass of the outlying-target flags fits targets clipped to this many robust standard deviations of
#: their median (:func:`clipped_targets`).
FIRST_PASS_CLIP = 10.0
#: Rows with a missing feature value get a residual scale of their own when there are at least this many of them,
#: and as many complete rows (:func:`residual_z`).
OWN_SCALE_MIN_ROWS = 20


def robust_z(r: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """``(r - median) / (1.4826 * MAD)``, the scale at least :data:`SCALE_FLOOR` times the mean absolute
    deviation's (``1.2533 * mean |r - median|`` over the values within :data:`FLOOR_REACH` MAD-scale units of the
    median; when the MAD is 0, over all but the largest 1% from 100 rows on), and at least ``floor``
    (:func:`tied_target_scale`).

    The floor is for residuals that are mostly (nearly) equal: a zero-inflated target (capital gains: 0 in nine
    rows of ten) has a MAD near 0, which made every ordinary row an "outlier" (690 of 2,000 flagged, 518 of them
    zeros). On residuals of one spread, even with 7% of them shifted by 4 of its standard deviations, the MAD
    scale is the larger and the floor changes nothing; gross errors far beyond that spread do not count in it
    either (with all but the top 1%, 3% of Friedman-1 targets x10 raised the scale by 1.7 and hid a quarter of
    the targets shifted by 8).

    >>> r = np.r_[np.zeros(9), 0.1]
    >>> round(float(robust_z(r)[-1]), 1), round(float(robust_z(r, floor=0.01)[-1]), 1)
    (16.0, 10.0)
    >>> r = np.r_[np.linspace(-1, 1, 94), 4, -4, np.full(4, 100.0)]
    >>> [round(float(v), 1) for v in robust_z(r)[94:96]]  # the shifted pair, not hidden by the four x100
    [5.0, -5.1]
    """
    med, mad = robust_location_scale(r)
    mad = max(mad, floor)
    if not mad > 0:
        return np.zeros_like(r)
    return (r - med) / mad


def tied_target_scale(y: np.ndarray) -> float:
    """The targets' own robust scale (:func:`robust_location_scale`) when more than half of them hold one value
    (their MAD is 0), else 0: the floor of the residuals' scale (:func:`residual_z`).

    When most targets are one value, most residuals are only the models' out-of-sample noise around that value,
    and their MAD and mean deviation measure that noise alone: a near-constant target (440 rows at 5.5, one 5.6
    and one 5.7) flagged 29 rows holding 5.5 (their residuals of 3e-4 were 4 "robust sd" of the noise). A
    difference between targets is not measured on a finer scale than the targets' own spread around that value
    (the mean deviation of the rest from it). Targets of one spread (MAD above 0) get no floor.

    >>> round(tied_target_scale(np.r_[np.full(8, 5.5), 5.6, 5.7]), 4), tied_target_scale(np.arange(10.0))
    (0.0188, 0.0)
    """
    y = np.asarray(y, dtype=np.float64)
    if y.size == 0 or np.median(np.abs(y - np.median(y))) > 0:
        return 0.0
    return robust_location_scale(y)[1]


def own_scales(incomplete: np.ndarray | None) -> bool:
    """Whether :func:`residual_z` measures the rows with a missing feature value on a scale of their own."""
    return incomplete is not None and min(int(incomplete.sum()), int((~incomplete).sum())) >= OWN_SCALE_MIN_ROWS


#: Positive targets are measured as log ratios to their predictions (:func:`_scaled_z`) when the widest of the
#: residuals' robust scales in bins of rows by prediction is at least this multiple of the narrowest, and rises
#: with the prediction, ...
LEVEL_SPREAD_RATIO = 2.0
#: ... and the log ratios' scales are of one spread (the widest less than :data:`LEVEL_SPREAD_RATIO` times the
#: narrowest) and keep at most this share of the residuals' trend (:func:`spread_trend`): log-normal prices (10-50%
#: noise) keep 2-16% of it; Taiwan's credit limits (``LIMIT_BAL``), whose spread grows more slowly than the limit,
#: 36-54%, the log ratios' spread falling as steeply as the residuals' rose (their widest bin 2.0-2.3 times the
#: narrowest from one injection of errors to the next: on that alone their scale changed with the draw; session 34
#: found no rule that picks theirs).
LOG_TREND_LEFT = 0.25
#: ... and at most this share of the targets is 0 or below (a placeholder, a price of 0): measured at the log scale's
#: floor (:func:`_scaled_z`); more of them (a point mass at 0, a target of both signs) keep one scale.
LOG_OFF_SHARE = 0.01
#: ... with bins of at least this many rows, and from this many to this many bins ...
LEVEL_BIN_ROWS, LEVEL_MIN_BINS, LEVEL_MAX_BINS = 100, 3, 10
#: ... and a Spearman correlation of at least this between the bins' order and their residuals' scales.
LEVEL_RISE = 0.8


def level_scales(prediction: np.ndarray, r: np.ndarray) -> np.ndarray | None:
    """The robust scale (:func:`robust_location_scale`) of the residuals ``r`` in each of :data:`LEVEL_MIN_BINS` to
    :data:`LEVEL_MAX_BINS` bins of equal count by prediction (at least :data:`LEVEL_BIN_ROWS` rows each), lowest
    predictions first; ``None`` for too few rows.

    >>> rng = np.random.default_rng(0)
    >>> pred = rng.uniform(1, 10, 2000)
    >>> s = level_scales(pred, rng.normal(size=2000))
    >>> len(s), bool(s.max() < LEVEL_SPREAD_RATIO * s.min())  # one spread: the bins differ by sampling error only
    (10, True)
    >>> s = level_scales(pred, pred * rng.normal(size=2000) * 0.1)
    >>> bool(s[-1] > 5 * s[0])  # a spread in proportion to the prediction
    True
    """
    bins = min(LEVEL_MAX_BINS, r.shape[0] // LEVEL_BIN_ROWS)
    if bins < LEVEL_MIN_BINS:
        return None
    parts = np.array_split(np.argsort(prediction, kind="stable"), bins)
    return np.array([robust_location_scale(r[part])[1] for part in parts])


def spread_trend(scales: np.ndarray) -> float:
    """The slope of the log of the bins' scales (:func:`level_scales`) over the bins' positions, from 0 for the lowest
    predictions to 1 for the highest: the log of how many times wider the spread is at the top than at the bottom."""
    return float(np.polyfit(np.linspace(0.0, 1.0, scales.size), np.log(scales), 1)[0])


def spread_rises(scales: np.ndarray | None) -> bool:
    """Whether the residuals' scales by predicted level (:func:`level_scales`) rise with it: the widest at least
    :data:`LEVEL_SPREAD_RATIO` times the narrowest, in the bins' order (Spearman correlation >= :data:`LEVEL_RISE`)."""
    from scipy.stats import spearmanr

    if scales is None or not scales.min() > 0 or scales.max() < LEVEL_SPREAD_RATIO * scales.min():
        return False
    return bool(spearmanr(np.arange(scales.size), scales)[0] >= LEVEL_RISE)


def _scaled_z(y: np.ndarray, prediction: np.ndarray, floor: float,
              zero: float | None) -> tuple[np.ndarray, str, int]:
    """The residuals' robust z, its scale and how many targets the log scale puts at its floor: ``"log"`` for
    positive targets (``zero``, the standardised value of a target of 0, below all but at most
    :data:`LOG_OFF_SHARE` of them) whose residuals' spread rises with the prediction (:func:`spread_rises`) while
    their log ratios ``log(y / prediction)`` have one spread, with no trend left (at most :data:`LOG_TREND_LEFT` of
    the residuals', :func:`spread_trend`): a price or an income, wrong by a share of itself; the robust z of those
    log ratios; else ``"one"``, :func:`robust_z` of the residuals with ``floor``.

    On one scale the dearest correct prices are "outlying" (log-normal prices with 30% noise: 82 of 2,000 clean rows
    flagged, every one above its prediction), and a slip of the decimal point downwards, /10, hides in the bulk of
    the cheap ones while x10 stands out: as log ratios both are as far out. Targets whose spread changes otherwise
    keep one scale: ``age`` of the Adult sample (its youngest rows predicted within a few years, the log ratios'
    spread still 2.3 times wider in the middle) and ``hours_per_week`` (46% of the rows at 40, its spread narrowest in
    the middle of the predictions) flag what they did.

    The scale is chosen on the positive targets: a price of 0 or a placeholder of -1 among a thousand prices no longer
    puts every row on one scale (38 correct dear houses were flagged for one 0). Such a target, impossible on the log
    scale, is measured as if it were half the smallest positive target, the lowest log ratio a positive target could
    have (the count is the third item).

    >>> rng = np.random.default_rng(1)
    >>> pred = rng.uniform(1, 10, 1000)
    >>> price = pred * np.exp(rng.normal(0, 0.3, 1000))
    >>> price[:3] = [0.0, -1.0, 9999.0]  # two placeholders below zero's floor, one far above
    >>> z, scale, off = _scaled_z(price, pred, 0.0, 0.0)
    >>> scale, off, bool((np.abs(z[:3]) > 3.5).all()), int((np.abs(z[3:]) > 3.5).sum())
    ('log', 2, True, 0)
    """
    r = y - prediction
    if zero is not None and floor == 0 and y.size:
        above = y - zero
        on = above > 1e-9 * above.max()  # (a positive target: on the log scale)
        off = int(y.size - on.sum())
        linear = level_scales(prediction[on], r[on]) if on.any() else None
        if off <= LOG_OFF_SHARE * y.size and linear is not None and spread_rises(linear):
            least = above[on].min() / 2  # (the floor of both the predictions and the targets off the scale)
            ratio = np.log(np.maximum(above, least)) - np.log(np.maximum(prediction - zero, least))
            scales = level_scales(prediction[on], ratio[on])
            if (scales is not None and scales.min() > 0 and scales.max() < LEVEL_SPREAD_RATIO * scales.min()
                    and abs(spread_trend(scales)) <= LOG_TREND_LEFT * spread_trend(linear)):
                med, mad = robust_location_scale(ratio[on])
                if mad > 0:
                    return (ratio - med) / mad, "log", off
    return robust_z(r, floor=floor), "one", 0


def _residual_groups(y: np.ndarray, prediction: np.ndarray, incomplete: np.ndarray | None,
                     zero: float | None) -> list[tuple[Any, np.ndarray, str, int]]:
    """(rows, z, scale, targets at the log scale's floor) of each group of rows :func:`residual_z` measures on its
    own (:func:`_scaled_z`)."""
    y = np.asarray(y, dtype=np.float64)
    prediction = np.broadcast_to(np.asarray(prediction, dtype=np.float64), y.shape)
    floor = tied_target_scale(y)
    groups: tuple[Any, ...] = (incomplete, ~incomplete) if own_scales(incomplete) else (slice(None),)  # type: ignore[operator]
    return [(rows, *_scaled_z(y[rows], prediction[rows], floor, zero)) for rows in groups]


def residual_scales(y: np.ndarray, prediction: np.ndarray, incomplete: np.ndarray | None = None,
                    zero: float | None = None) -> list[str]:
    """The scale :func:`residual_z` measures each group of rows on (``"one"`` or ``"log"``: :func:`_scaled_z`)."""
    return [scale for _, _, scale, _ in _residual_groups(y, prediction, incomplete, zero)]


def residual_z(y: np.ndarray, prediction: np.ndarray, incomplete: np.ndarray | None = None,
               zero: float | None = None) -> np.ndarray:
    """:func:`robust_z` of the residuals ``y - prediction``, the scale at least :func:`tied_target_scale` of ``y``;
    of the log ratios ``log(y / prediction)`` instead for positive targets whose residuals' spread rises with the
    prediction while their log ratios' does not (:func:`_scaled_z`; ``zero``: the standardised value of a target of
    0, ``None`` for no log scale).

    ``incomplete`` (rows with a missing feature value, imputed): with at least :data:`OWN_SCALE_MIN_ROWS` such rows
    and as many complete ones, each group is measured against its own residuals' median and scale. A row without
    the feature that explains most of the target is predicted from the others only, and its residual is wider for
    that, not because its target is wrong: a sensor's power with 8% of its temperatures missing had 53 of 78 such
    rows flagged, and no other row, on clean data.

    >>> y = np.r_[np.linspace(-1, 1, 40), np.linspace(-5, 5, 20)]
    >>> miss = np.r_[np.zeros(40, bool), np.ones(20, bool)]
    >>> int((np.abs(residual_z(y, np.zeros(60))) > 3.5).sum()), int((np.abs(residual_z(y, np.zeros(60), miss)) > 3.5).sum())
    (6, 0)
    >>> rng = np.random.default_rng(0)
    >>> pred = rng.uniform(1, 10, 2000)
    >>> price = pred * np.exp(rng.normal(0, 0.3, 2000))
    >>> price[:20] /= 10  # a decimal point slipped: wrong by a share of the price, as far out as x10 on a log scale
    >>> one = np.abs(robust_z(price - pred)) > 3.5
    >>> z = np.abs(residual_z(price, pred, zero=0.0)) > 3.5
    >>> int(one[:20].sum()), int(one[20:].sum()), int(z[:20].sum()), int(z[20:].sum())  # slips found, correct rows flagged
    (12, 72, 20, 0)
    """
    return _joined_z(_residual_groups(y, prediction, incomplete, zero), np.shape(y))


def _joined_z(groups: list[tuple[Any, np.ndarray, str, int]], shape: tuple[int, ...]) -> np.ndarray:
    """The z of every row from the groups of :func:`_residual_groups`."""
    z = np.empty(shape, dtype=np.float64)
    for rows, part, _, _ in groups:
        z[rows] = part
    return z


def robust_location_scale(r: np.ndarray) -> tuple[float, float]:
    """The median and the scale :func:`robust_z` divides by (0 when every value is one)."""
    med = float(np.median(r))
    dev = np.abs(r - med)
    mad = 1.4826 * float(np.median(dev))
    if mad > 0:
        # the floor from the mean absolute deviation of the values within FLOOR_REACH MADs: gross errors beyond (3% of
        # the targets x10) raised it above the MAD and hid the moderate errors (recall 1.0 -> 0.73 on Friedman-1)
        kept = dev[dev <= FLOOR_REACH * mad]
    else:
        # most values are one (a MAD of 0): the floor from the mean absolute deviation of all but the top 1% (one
        # unit-error typo, 1e8 among ages, would otherwise raise it above every other value's deviation)
        kept = dev[dev <= np.quantile(dev, 0.99)] if dev.size >= 100 else dev
    mad = max(mad, SCALE_FLOOR * 1.2533 * float(np.mean(kept)))
    if not mad > 0:
        mad = 1.2533 * float(np.mean(dev))
    return med, mad if mad > 0 else 0.0


def gather_evidence(
    x: np.ndarray,
    y: np.ndarray,
    neighbors: np.ndarray,
    n_classes: int,
    config: MislabelConfig,
    *,
    knn_values: np.ndarray | None = None,
    seed: int = 0,
    progress: ProgressFn | None = None,
    n_jobs: int = 1,
) -> Evidence:
    """Compute the signals the flag rule needs (only the KNN-Shapley values for the ``knn`` rule).

    Parameters
    ----------
    x, y : ndarray
        Encoded features and class codes of the valued rows.
    neighbors : ndarray of shape (n, K)
    n_classes : int
    config : MislabelConfig
    knn_values : ndarray, optional
        Leave-self-out KNN-Shapley values when already computed (they are
        computed with K = ``neighbors.shape[1]`` otherwise).
    seed : int
    n_jobs : int
        Threads for the bagged forest's trees and the out-of-fold models' folds (the
        result does not depend on it).
    """
    from .valuation.confidence import oof_proba
    from .valuation.oob import data_oob

    y = np.asarray(y, dtype=np.int64)
    knn = neighbor_fractions(y, neighbors, n_classes)
    if knn_values is None:  # whatever the primary method: the flags' KNN-Shapley part is KNN-Shapley's
        knn_values = leave_self_out_knn_values(x, y, neighbors.shape[1], n_classes, seed=seed)
    if config.rule == "knn":
        return share_copies(Evidence(knn_values=knn_values), x, y)
    model = oof_proba(x, y, n_classes, model=config.model, n_folds=config.n_folds, seed=seed, progress=progress,
                      n_jobs=n_jobs)
    if config.rule == "confidence":
        return share_copies(Evidence(model=model, knn_values=knn_values), x, y)
    oob = data_oob(x, y, n_classes=n_classes, n_estimators=config.oob_trees, seed=seed, progress=progress,
                   n_jobs=n_jobs, max_samples=config.oob_max_samples).votes
    linear = None
    if config.linear_model is not None:
        linear_progress = None if progress is None else (lambda _s, d, t: progress("out-of-fold linear model", d, t))
        linear = oof_proba(x, y, n_classes, model=config.linear_model, n_folds=config.n_folds, seed=seed,
                           progress=linear_progress, n_jobs=n_jobs)
    return share_copies(Evidence(model=model, oob=oob, neighbors=knn, knn_values=knn_values, linear=linear), x, y).stacked(y)


def leave_self_out_knn_values(x: np.ndarray, y: np.ndarray, k: int, n_classes: int, *, seed: int = 0) -> np.ndarray:
    """Leave-self-out KNN-Shapley values with K = ``k`` (the flags' KNN part when the primary method is another)."""
    from .config import KNNConfig
    from .table import ValuationData
    from .valuation.knn import KNNShapley

    data = ValuationData(x=x, y=y, rows=np.arange(y.shape[0]), classes=np.arange(n_classes))
    k = max(1, min(k, x.shape[0] - 1))
    return KNNShapley(KNNConfig(k=k)).value(data, seed=seed).values


def share_copies(evidence: Evidence, x: np.ndarray, y: np.ndarray) -> Evidence:
    """``evidence`` with every signal averaged over the copies of a row (rows equal in every
    encoded feature and the label, :func:`dvclean.table.identical_rows`), so copies get one verdict;
    ``evidence`` itself when no two rows are equal."""
    groups = identical_rows(x, y)
    if groups is None:
        return evidence
    names = ("model", "oob", "neighbors", "knn_values", "linear")
    return dataclasses.replace(evidence, **{k: group_mean(getattr(evidence, k), groups) for k in names
                                            if getattr(evidence, k) is not None})


def evidence_for(
    x: np.ndarray,
    y: np.ndarray,
    neighbors: np.ndarray,
    n_classes: int,
    config: MislabelConfig,
    *,
    knn_values: np.ndarray | None = None,
    seed: int = 0,
    progress: ProgressFn | None = None,
    n_jobs: int = 1,
) -> Evidence | None:
    """The evidence the configured rule needs (for the ``knn`` rule only the KNN-Shapley values)."""
    return gather_evidence(x, y, neighbors, n_classes, config, knn_values=knn_values, seed=seed, progress=progress,
                           n_jobs=n_jobs)


@dataclass(frozen=True)
class DistinctEvidence:
    """The flags' evidence computed on one copy of each row (:func:`distinct_evidence`), for all the rows.

    Attributes
    ----------
    evidence : Evidence
        Every row's signals: its first copy's.
    neighbors : ndarray of shape (n, K)
        Each row's K nearest rows that are not copies of it (indices of first copies).
    first : ndarray
        The first row of each group of copies, in group order.
    groups : ndarray of shape (n,)
        Each row's group (:func:`dvclean.table.identical_rows`).
    """

    evidence: Evidence
    neighbors: np.ndarray
    first: np.ndarray
    groups: np.ndarray


#: Below this many distinct rows the evidence is computed on all rows, copies included (the models need rows).
MIN_DISTINCT_ROWS = 10


#: A feature vector shared by rows of several labels is a cell of observations (:func:`record_copies`) from this many
#: rows on.
OBSERVED_CELL = 3


def record_copies(x: np.ndarray, y: np.ndarray, *, pure_cells: bool = True) -> np.ndarray | None:
    """Groups of copies that are one record written several times: rows equal in every encoded feature and the
    label (:func:`dvclean.table.identical_rows`), except in the cells of discrete data; ``None`` when there are
    none.

    Where the features are discrete (at most half as many distinct feature vectors as rows) and rows of two
    labels share their feature values in a cell of at least :data:`OBSERVED_CELL` rows (23 rows ``red, S``
    labelled ok and 3 labelled bad), the rows are observations of how often each label occurs there, not one
    record repeated: each is its own group, so its copies stay evidence for its label. Valued once per group
    instead, every such cell would hold one row of each label, each judged by the other: on 300 rows of two
    categorical features with 10% flipped labels, 192 rows were flagged (the majority of every mixed cell) and
    the features were said not to predict the labels (AUROC 0.000). So are the rows of a cell of one label of at
    least :data:`OBSERVED_CELL` rows whose every feature value also occurs in another cell (a combination of values
    that recur, as the cells of categorical features are, :func:`recurring_vectors`): 20 rows ``green, XL`` all
    labelled A are 20 observations that A goes with ``green, XL``. Collapsed into one record weighing like one row
    instead, such a cell was judged only by the other cells (a label that follows from the features exactly,
    ``A if red or XL``, got a model probability of 0.44-0.56 on 12 cells of 20 rows), never by its own rows; and
    once a few labels elsewhere were flipped, the 20 correct rows of a clean cell were flagged beside the flips. A
    cell whose rows keep a value of their own (a continuous feature's, a record written three times) stays one
    record, and so does every cell of one label with ``pure_cells=False`` (a regression target: rows equal in the
    features and in a measured target are one record written several times, whose copies would predict each other's
    target). Where most rows have feature values of their own (continuous features), rows sharing them are one
    record copied, with conflicting labels: valued once per label, so that three wrong copies do not outvote the
    one right one.

    Examples
    --------
    >>> x = np.array([[0.0], [0.0], [1.0], [1.0], [1.0], [2.0]])
    >>> record_copies(x, np.array([0, 0, 0, 0, 1, 1])).tolist()   # rows 2-4 share x = 1 with two labels
    [0, 0, 1, 2, 3, 4]
    >>> record_copies(np.array([[0.0], [1.0], [1.0], [1.0], [1.0], [2.0], [3.0], [4.0], [5.0]]),
    ...               np.array([0, 0, 1, 1, 1, 1, 1, 0, 1])).tolist()   # continuous: rows 2-3 one copied record
    [0, 1, 2, 2, 2, 3, 4, 5, 6]
    >>> record_copies(x, np.array([0, 1, 0, 0, 1, 1])) is None
    True
    >>> cells = np.repeat(np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), 3, axis=0)
    >>> record_copies(cells, np.repeat([0, 1, 1, 1], 3)) is None   # 4 cells of 3 observations: every row counts
    True
    >>> record_copies(cells, np.repeat([0.5, 1.5, 2.5, 3.5], 3), pure_cells=False).tolist()  # 4 records, 3 copies each
    [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    """
    from .table import _row_groups

    groups = identical_rows(x, y)
    if groups is None:
        return None
    vector = _row_groups(x)
    n_vectors = int(vector.max()) + 1
    # most rows with feature values of their own (continuous features): rows that share them are copies of one
    # record, and the label with more copies must not win by them
    if n_vectors * 2 <= x.shape[0]:
        first = np.unique(groups, return_index=True)[1]
        labels_at = np.bincount(vector[first], minlength=n_vectors)  # distinct labels at each feature vector
        rows_at = np.bincount(vector, minlength=n_vectors)
        observed = rows_at >= OBSERVED_CELL
        # a cell of several labels, or of one label whose feature values all recur in other cells (discrete ones)
        observed &= (labels_at > 1) | (recurring_vectors(x, vector) if pure_cells else False)
        mixed = observed[vector]
        if mixed.any():
            groups = groups.copy()
            groups[mixed] = int(groups.max()) + 1 + np.arange(int(mixed.sum()))
    _, firsts, inverse = np.unique(groups, return_index=True, return_inverse=True)
    rank = np.empty(firsts.size, dtype=np.int64)
    rank[np.argsort(firsts, kind="stable")] = np.arange(firsts.size)
    groups = rank[inverse.ravel()]  # numbered in the order of their first rows
    return groups if int(groups.max()) + 1 < x.shape[0] else None


def recurring_vectors(x: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Whether each distinct feature vector (``vector``: each row's, numbered from 0 as
    :func:`dvclean.table._row_groups` numbers them) holds in every column a value that another distinct vector holds
    too: a cell of discrete features (``red, S`` where ``red`` and ``S`` occur in other cells), not a record whose
    continuous feature has a value of its own.

    >>> x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [2.5, 1.0]])
    >>> recurring_vectors(x, np.arange(5)).tolist()   # 2.5 occurs in one vector only
    [True, True, True, True, False]
    """
    first = np.unique(vector, return_index=True)[1]  # a row of each vector, in vector order
    values = np.ascontiguousarray(x[first], dtype=np.float64).reshape(first.size, -1)
    shared = np.ones(first.size, dtype=bool)
    for column in values.T:
        if not shared.any():
            break
        _, inverse, counts = np.unique(column, return_inverse=True, return_counts=True)
        shared &= counts[inverse.ravel()] > 1
    return shared


def distinct_rows(x: np.ndarray, y: np.ndarray, k: int, *, backend: str = "auto",
                  pure_cells: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(first, groups, neighbors)`` of the rows once each copy of a record (:func:`record_copies`, with
    ``pure_cells``) is left out: the first row of each group, each row's group, and
    the K nearest other distinct rows of each distinct row (indices into ``first``); ``None`` when no two rows are
    copies or fewer than :data:`MIN_DISTINCT_ROWS` are distinct."""
    from .valuation.knn import nearest_neighbors

    groups = record_copies(x, y, pure_cells=pure_cells)
    if groups is None:
        return None
    first = np.unique(groups, return_index=True)[1]
    if first.size < MIN_DISTINCT_ROWS:
        return None
    neighbors = nearest_neighbors(x[first], None, min(k, first.size - 1), backend=backend)[0]
    return first, groups, cell_neighbors(x[first], np.asarray(y)[first], neighbors)  # (a regression target's too)


def cell_neighbors(x: np.ndarray, y: np.ndarray, neighbors: np.ndarray) -> np.ndarray:
    """``neighbors`` with the K nearest of a row that has more than K others at distance 0 (a cell of discrete
    data, :func:`record_copies`) drawn from its cell in proportion to the cell's labels, not by their order.

    The search breaks ties by position, and rows of one label sit together in the valuation's order: every row of a
    cell of 36 ``a`` and 4 ``b`` had its K neighbours among one label's rows, so the neighbours' vote, the
    ``neighbor_label`` column and the ``knn`` rule read every cell as one label. The cell's rows are taken in an
    order that interleaves its labels (each label's j-th row at (j + 0.5) / its count), so the first K others of any
    row hold the cell's labels in proportion.

    >>> x = np.zeros((10, 1)); y = np.array([0] * 8 + [1] * 2)
    >>> nb = np.tile(np.arange(1, 4), (10, 1)) % 10   # ties broken by position: all label 0
    >>> sorted(y[cell_neighbors(x, y, nb)[8]].tolist())   # the cell is 80% label 0: so are the 3 neighbours
    [0, 0, 0]
    >>> int(y[cell_neighbors(x, y, nb)[0]].sum())         # a row of label 0 sees the 1 among 4 in 5 with 3
    1
    """
    from .table import _row_groups

    k = neighbors.shape[1]
    if k == 0 or x.shape[0] <= k + 1:
        return neighbors
    cell = _row_groups(x)
    size = np.bincount(cell)
    crowded = np.flatnonzero(size > k)
    if crowded.size == 0:
        return neighbors
    out = neighbors.copy()
    by_cell = np.argsort(cell, kind="stable")  # each cell's rows in row order, found without a pass per cell
    start = np.concatenate(([0], np.cumsum(size)))
    for c in crowded.tolist():
        members = by_cell[start[c] : start[c + 1]]
        labels = y[members]
        rank = np.zeros(members.size)
        for label in np.unique(labels):
            at = labels == label
            rank[at] = (np.arange(int(at.sum())) + 0.5) / int(at.sum())
        head = members[np.lexsort((members, labels, rank))][: k + 1]  # any row's first K others are among these
        _, inverse, sizes = np.unique(labels, return_inverse=True, return_counts=True)
        by_label = np.split(members[np.argsort(inverse, kind="stable")], np.cumsum(sizes)[:-1])
        for mine in by_label:  # (each label's rows, in row order: linear in the cell, a regression target too)
            # the others of a row of this label: the head less one of its rows (``rep``), the same for every copy,
            # so all rows of one label in one cell see the same labels in the same order (copies get one verdict)
            rep = int(mine[0])
            others = head[head != rep][:k]
            out[mine] = np.where(others[None, :] == mine[:, None], rep, others[None, :])
    return out


def distinct_evidence(
    x: np.ndarray,
    y: np.ndarray,
    k: int,
    n_classes: int,
    config: MislabelConfig,
    *,
    backend: str = "auto",
    knn_values_of: Callable[[np.ndarray], np.ndarray] | None = None,
    seed: int = 0,
    progress: ProgressFn | None = None,
    n_jobs: int = 1,
) -> DistinctEvidence | None:
    """The evidence of :func:`evidence_for` computed on one copy of each row; ``None`` when no two rows are copies
    (equal in every encoded feature and the label) or fewer than :data:`MIN_DISTINCT_ROWS` rows are distinct.

    A copy is not evidence for a row's label: in an out-of-fold model, the OOB forest's bootstrap or the
    row's nearest neighbours (at distance 0) it repeats the row's own label, right or wrong. A table written
    twice had no row flagged where each copy alone had 51 of 500. So copies are valued once: the models,
    the forest and the neighbours see each distinct row once, and every copy gets its first copy's verdict.
    A row equal to another in its features but not its label (a conflicting duplicate) is not a copy and
    stays evidence against it. ``knn_values_of(first)``: the KNN-Shapley values of the distinct rows when
    they are not leave-self-out ones (the ``knn`` rule against a ``--valid`` file); else they are computed.
    """
    copies = distinct_rows(x, y, k, backend=backend)
    if copies is None:
        return None
    first, groups, neighbors = copies
    xu, yu = x[first], np.asarray(y, dtype=np.int64)[first]
    evidence = evidence_for(xu, yu, neighbors, n_classes, config, seed=seed, progress=progress, n_jobs=n_jobs,
                            knn_values=None if knn_values_of is None else knn_values_of(first))
    return DistinctEvidence(evidence=evidence.expanded(groups), neighbors=first[neighbors][groups], first=first,
                            groups=groups)


# -- regression targets: outlying-target flags ---------------------------------------------------------------------


@dataclass(frozen=True)
class RegressionEvidence:
    """Out-of-sample predictions of a (standardised) regression target from independent signals.

    Attributes
    ----------
    model : ndarray of shape (n,) or None
        Out-of-fold prediction of the cross-validated ``MislabelConfig.model``.
    oob : ndarray of shape (n,) or None
        Out-of-bag prediction of the bagged regression trees (Data-OOB).
    neighbors : ndarray of shape (n,)
        Mean target of each row's K nearest neighbours.
    one_value_left : bool
        The predictions are the one target every unsuspected row holds, not fitted (:func:`regression_evidence`).
    first_pass : ndarray of shape (n,) or None
        The first pass's combined prediction (fitted to every row, the far targets clipped), when later passes
        left the suspects out: what shows whether the features predict the target at all (leaving out a skewed
        target's whole upper tail can turn the later passes' predictions against it).
    """

    neighbors: np.ndarray
    model: np.ndarray | None = None
    oob: np.ndarray | None = None
    linear: np.ndarray | None = None
    weights: dict[str, float] | None = None
    one_value_left: bool = False
    first_pass: np.ndarray | None = None

    def signals(self) -> dict[str, np.ndarray]:
        """The available predictions by name."""
        out = {"model": self.model, "oob": self.oob, "neighbors": self.neighbors, "linear": self.linear}
        return {k: v for k, v in out.items() if v is not None}

    def expanded(self, index: np.ndarray) -> RegressionEvidence:
        """These predictions for the rows ``index`` picks (row ``i`` gets row ``index[i]``'s)."""
        return RegressionEvidence(**{k: v[index] for k, v in self.signals().items()}, weights=self.weights,
                                  one_value_left=self.one_value_left,
                                  first_pass=None if self.first_pass is None else self.first_pass[index])

    @property
    def prediction(self) -> np.ndarray:
        """The available predictions combined with ``weights`` (:func:`stacking_weights`), else their mean."""
        signals = self.signals()
        if not self.weights:
            return np.mean(list(signals.values()), axis=0)
        return np.sum([self.weights.get(k, 0.0) * v for k, v in signals.items()], axis=0)


def neighbor_means(y: np.ndarray, neighbors: np.ndarray) -> np.ndarray:
    """Mean target of each row's neighbours; a row without any gets its own target."""
    y = np.asarray(y, dtype=np.float64)
    if neighbors.shape[1] == 0:
        return y.copy()
    return y[neighbors].mean(axis=1)


def regression_evidence(
    x: np.ndarray,
    y: np.ndarray,
    neighbors: np.ndarray,
    config: MislabelConfig,
    *,
    seed: int = 0,
    progress: ProgressFn | None = None,
    n_jobs: int = 1,
    incomplete: np.ndarray | None = None,
    zero: float | None = None,
) -> RegressionEvidence:
    """The predictions the outlying-target rule averages (see the module docstring).

    ``knn`` rule: the neighbours' mean target only; ``confidence``: the cross-validated
    model only; every other rule: model, bagged trees and neighbours.

    Two passes: an outlying target also pulls the predictions of the rows around it
    (its neighbours' mean, the trees' leaves), which can push correct rows over the
    cutoff. So the rows whose first-pass ``|z|`` exceeds ``outlier_z`` are left out of
    the training data (not of the predictions) and the signals are computed again;
    the second pass is what is returned (skipped when no row, or half of them or
    more, exceed the cutoff), or a third, which also leaves out the rows the second
    pass adds to the suspects (the first pass's fit, still pulled by its outliers, can
    miss the moderate errors, which then pull their neighbours in the second). When the rows left all hold one target (a near-constant
    target, a claim amount that is 0 but in the suspects), every signal fitted to them
    predicts that value: the second pass is that constant, not fitted, so it clears the
    suspects holding that value and flags no row the first pass did not. ``incomplete``: the rows with a missing
    feature value, whose residuals are measured on their own scale (:func:`residual_z`); ``zero``: the standardised
    value of a target of 0, for the log scale of :func:`residual_z`.
    """
    first = _stacked(_regression_signals(x, clipped_targets(y), neighbors, config, None, seed, progress, n_jobs), y,
                     config, incomplete, zero)
    suspects = np.abs(residual_z(y, _combined(first, config), incomplete, zero)) > config.outlier_z
    if not suspects.any() or suspects.sum() * 2 >= y.shape[0]:
        return first  # (nothing to leave out, or too much)
    left = np.asarray(y, dtype=np.float64)[~suspects]
    if np.ptp(left) == 0:
        # every target left is one value: what every signal fitted to them predicts, without fitting (the first
        # pass's predictions around a lone 99.0 among 5.5s were pulled up to 6.3, and 36 rows holding 5.5
        # flagged). The suspects that hold that value are cleared, no other row is flagged (zero claims).
        same = np.full(y.shape[0], left[0])
        return RegressionEvidence(**{k: same.copy() for k in first.signals()}, weights=first.weights,
                                  one_value_left=True, first_pass=_combined(first, config))
    second = dataclasses.replace(
        _stacked(_regression_signals(x, y, neighbors, config, ~suspects, seed, progress, n_jobs), y, config,
                 incomplete, zero), first_pass=_combined(first, config))
    # a third pass without the suspects the second adds: the first pass fits targets that its outliers still pull, so
    # its scale can be far wider than the bulk's, and the moderate errors it misses stay in the second pass's training
    # data, where they pull their neighbours' predictions (on y = 2x with 3% x10 and 3% shifted by 0.5, 102 correct
    # rows near them were flagged)
    grown = suspects | (np.abs(residual_z(y, _combined(second, config), incomplete, zero)) > config.outlier_z)
    if not (grown & ~suspects).any() or grown.sum() * 2 >= y.shape[0] or np.ptp(np.asarray(y, dtype=np.float64)[~grown]) == 0:
        return second
    return dataclasses.replace(
        _stacked(_regression_signals(x, y, neighbors, config, ~grown, seed, progress, n_jobs), y, config,
                 incomplete, zero), first_pass=second.first_pass)


def clipped_targets(y: np.ndarray, z: float = FIRST_PASS_CLIP) -> np.ndarray:
    """``y`` with the targets beyond ``z`` robust standard deviations of the targets' median (:func:`robust_z`) moved
    to that bound: what the first pass of :func:`regression_evidence` fits. Its models fit squared errors, and a tenth
    of the targets x100 dragged every prediction so far that a quarter of the suspects were correct rows and the typos
    among the rest stayed in the second pass's training data (whose predictions then correlated -0.2 with the
    target). The bound is far beyond the spread of the targets' bulk, and the residuals are still taken from ``y``
    itself. A target that holds one value in half of the rows or more (zero claims) has no bulk whose spread the
    median absolute deviation measures: its tail is what the models must learn (clipped, 3% of wrong claims among
    2,000 rows drew 90 false flags instead of 59), so it is not clipped.

    >>> float(clipped_targets(np.r_[np.arange(200.0), 1e6]).max())  # median 100, scale 1.4826 * 50
    841.3
    >>> bool((clipped_targets(np.r_[np.zeros(150), np.arange(1.0, 51.0) * 1e3]) == np.r_[np.zeros(150), np.arange(1.0, 51.0) * 1e3]).all())
    True
    """
    y = np.asarray(y, dtype=np.float64)
    med, scale = robust_location_scale(y)
    if not scale > 0 or np.median(np.abs(y - med)) == 0:
        return y
    return np.clip(y, med - z * scale, med + z * scale)


def stacking_weights(signals: dict[str, np.ndarray], y: np.ndarray, cut: float = 3.5,
                     incomplete: np.ndarray | None = None, zero: float | None = None) -> dict[str, float]:
    """Non-negative weights, summing to 1, of the out-of-sample predictions that best predict ``y`` (least squares;
    stacked regression, Breiman 1996), fitted again without the rows whose residual's robust z exceeds ``cut``
    (the outlying targets the weights are there to find must not set them).

    A smooth target is predicted best by the linear model, where the trees and the neighbours fall short at
    the edges of the feature space (on 500 rows of an exact linear target, six correct rows at its corners were
    flagged beside the one shifted target); a non-linear one by the trees.

    Examples
    --------
    >>> x = np.linspace(0, 1, 50)
    >>> w = stacking_weights({"linear": 2 * x, "neighbors": np.full(50, 1.0)}, 2 * x)
    >>> round(w["linear"], 3), round(w["neighbors"], 3)
    (1.0, 0.0)
    """
    from scipy.optimize import nnls

    names = list(signals)
    a = np.column_stack([signals[k] for k in names])
    # the first fit leaves out the targets that the first pass of the flags clips (clipped_targets): one gross typo
    # (1e12 among targets of spread 5) set the least-squares weights alone, and they fell back to equal ones; in
    # units of the others' robust spread, so that the least squares see targets of order 1 whatever their scale
    keep = np.abs(robust_z(y)) <= FIRST_PASS_CLIP
    if keep.sum() <= len(names):
        keep = np.ones(y.shape[0], dtype=bool)
    spread = _fit_scale(y[keep])[1]
    w = np.full(len(names), 1.0 / len(names))
    for _ in range(2):
        if keep.sum() <= len(names):
            break
        fit, _ = nnls(a[keep] / spread, y[keep] / spread)
        if not fit.sum() > 0:
            break
        w = fit / fit.sum()
        keep = np.abs(residual_z(y, a @ w, incomplete, zero)) <= cut
    return {k: float(v) for k, v in zip(names, w, strict=True)}


def _stacked(ev: RegressionEvidence, y: np.ndarray, config: MislabelConfig,
             incomplete: np.ndarray | None = None, zero: float | None = None) -> RegressionEvidence:
    """``ev`` with :func:`stacking_weights` when it holds several signals."""
    signals = ev.signals()
    if len(signals) < 2 or config.rule in ("knn", "confidence"):
        return ev
    return dataclasses.replace(ev, weights=stacking_weights(signals, np.asarray(y, dtype=np.float64), config.outlier_z,
                                                            incomplete, zero))


def _combined(ev: RegressionEvidence, config: MislabelConfig) -> np.ndarray:
    if config.rule == "confidence" and ev.model is not None:
        return ev.model
    return ev.prediction


def kept_neighbor_means(x: np.ndarray, y: np.ndarray, keep: np.ndarray, k: int) -> np.ndarray:
    """Mean target of each row's ``k`` nearest rows among those in ``keep`` (never the row itself).

    The second pass of :func:`regression_evidence`: the neighbours are searched again among the
    kept rows, so a row whose ``k`` nearest rows were all suspects (around a typo, its neighbours
    are dragged over the cutoff too) is predicted from the next nearest ones, not from the suspects.
    """
    from .valuation.knn import nearest_neighbors

    y = np.asarray(y, dtype=np.float64)
    kept = np.flatnonzero(keep)
    n = y.shape[0]
    if k == 0 or kept.size == 0:
        return y.copy()
    width = min(k + 1, kept.size)
    idx, _ = nearest_neighbors(x[kept], x, width)
    found = kept[idx]  # (n, width), closest first
    use = found != np.arange(n)[:, None]
    extra = use.sum(axis=1) > k  # the row itself was not among them (a suspect, or a tie): drop the farthest
    use[extra, width - 1] = False
    count = use.sum(axis=1)
    out = np.where(count > 0, (y[found] * use).sum(axis=1) / np.maximum(count, 1), y)
    return out


#: Standardised targets whose training rows spread less than this (robustly: a gross typo set the standard deviation
#: the data was standardised with) are measured again from their median in their own spread before the models fit
#: them on the grid (:func:`_regression_signals`); above it they are fitted as they are.
REFIT_SPREAD = 2.0**-10


def _fit_scale(y: np.ndarray) -> tuple[float, float]:
    """The median and robust spread (1.4826 MAD, else the mean absolute deviation, else 1) of the targets the
    regression flags' models train on (:func:`_regression_signals`).

    >>> center, spread = _fit_scale(np.r_[np.arange(9.0), 1e12]); center, round(spread, 4)
    (4.5, 3.7065)
    """
    if np.size(y) == 0:
        return 0.0, 1.0
    center, spread = median_spread(y)
    return center, (spread if spread > 0 and math.isfinite(spread) else 1.0)


def _regression_signals(
    x: np.ndarray, y: np.ndarray, neighbors: np.ndarray, config: MislabelConfig, keep: np.ndarray | None,
    seed: int, progress: ProgressFn | None, n_jobs: int = 1,
) -> RegressionEvidence:
    nb = neighbor_means(y, neighbors) if keep is None else kept_neighbor_means(x, y, keep, neighbors.shape[1])
    if config.rule == "knn":
        return RegressionEvidence(neighbors=nb)
    from .valuation.confidence import oof_predict

    # the models fit the targets on a fine grid: in other units they are the same numbers (table.on_target_grid),
    # measured from the training targets' median in their robust spread: the data's standardisation uses the mean
    # and standard deviation, which one gross typo (1e12 among targets of spread 5) blows up so far that every other
    # target fell on one point of the grid, and the models predicted that constant (off by 172 on every row)
    center, spread = _fit_scale(y if keep is None else np.asarray(y, dtype=np.float64)[keep])
    if spread >= REFIT_SPREAD:  # (the usual case: the standardised targets keep the grid's precision as they are)
        center, spread = 0.0, 1.0
    fit_y = on_target_grid((np.asarray(y, dtype=np.float64) - center) / spread)

    def back(pred: np.ndarray) -> np.ndarray:
        return np.asarray(pred, dtype=np.float64) * spread + center

    model = back(oof_predict(x, fit_y, model=config.model, n_folds=config.n_folds, seed=seed, progress=progress,
                             train_mask=keep, n_jobs=n_jobs))
    if config.rule == "confidence":  # the neighbours are shown, not averaged
        return RegressionEvidence(neighbors=nb, model=group_mean(model, identical_rows(x, y)))
    from .valuation.oob import data_oob

    oob = back(data_oob(x, fit_y, n_estimators=config.oob_trees, seed=seed, task="regression", progress=progress,
                        train_mask=keep, n_jobs=n_jobs, max_samples=config.oob_max_samples).prediction)
    linear = back(oof_predict(x, fit_y, model="linear", n_folds=config.n_folds, seed=seed, train_mask=keep,
                              n_jobs=n_jobs))
    groups = identical_rows(x, y)  # copies of one row get one verdict (see gather_evidence)
    return RegressionEvidence(neighbors=group_mean(nb, groups), model=group_mean(model, groups),
                              oob=group_mean(oob, groups), linear=group_mean(linear, groups))


def flag_regression(
    values: np.ndarray,
    y: np.ndarray,
    policy: FlagPolicy,
    evidence: RegressionEvidence,
    *,
    mislabel: MislabelConfig | None = None,
    incomplete: np.ndarray | None = None,
    zero: float | None = None,
) -> RowFlags:
    """Flag rows whose regression target is outlying (``is_mislabeled`` = outlying target).

    Parameters
    ----------
    values : ndarray of shape (n,)
        Data values of the primary method.
    y : ndarray of shape (n,)
        Standardised targets.
    policy : FlagPolicy
        ``hard_fraction``.
    evidence : RegressionEvidence
    mislabel : MislabelConfig, optional
        ``outlier_z``, ``expected_noise`` and the rule (which signals are averaged).
    incomplete : ndarray of bool, optional
        Rows with a missing feature value: measured against their own residuals' spread (:func:`residual_z`).
    zero : float, optional
        The standardised value of a target of 0: positive targets whose residuals spread in proportion to their
        predictions are measured on a log scale (:func:`residual_z`).

    Examples
    --------
    >>> y = np.r_[np.linspace(-1, 1, 20), 8.0]
    >>> ev = RegressionEvidence(neighbors=np.r_[np.linspace(-1, 1, 20), 0.0])
    >>> f = flag_regression(-np.abs(y - ev.neighbors), y, FlagPolicy(hard_fraction=0.0), ev)
    >>> np.flatnonzero(f.is_mislabeled).tolist(), f.rule
    ([20], 'outlier (|z| > 3.5 of the residual of the neighbors prediction)')
    """
    mislabel = mislabel or MislabelConfig()
    y = np.asarray(y, dtype=np.float64)
    quality = _percentile_from_bottom(values)
    prediction = _combined(evidence, mislabel)
    used = "model" if prediction is evidence.model else " + ".join(evidence.signals())
    if prediction is not evidence.model and evidence.weights:
        used = f"stacked {used}"
    groups = _residual_groups(y, prediction, incomplete, zero)  # (once: the z and the scales the rule line names)
    z = _joined_z(groups, y.shape)
    az = np.abs(z)
    cut = mislabel.outlier_z
    score = az / (az + cut)  # 0.5 at the cutoff; the values take no part (module docstring)
    flagged = az > cut
    used += " prediction"
    if own_scales(incomplete):
        assert incomplete is not None
        used += f"; the {int(incomplete.sum()):,} rows with a missing feature value on their own residuals' spread"
    scales = {scale for _, _, scale, _ in groups}
    if "log" in scales:
        used += "; as log(target / prediction), whose spread does not change with the prediction as the residuals' does"
        floored = sum(off for _, _, _, off in groups)
        if floored:
            used += (f" ({floored:,} {'target' if floored == 1 else 'targets'} of 0 or below, impossible on that scale, "
                     "measured as half the smallest positive target)")
    rule = f"outlier (|z| > {cut:g} of the residual of the {used})"
    rule_count = None
    if mislabel.expected_noise is not None:
        rule_count = int(flagged.sum())
        flagged = expected_noise_flags(score, mislabel.expected_noise)
        # (the cutoff is the share asked for, not |z| > cut: the rule says so)
        rule = f"outlier (|z| of the residual of the {used}) (top {mislabel.expected_noise:g})"
    return RowFlags(
        value_rank=value_ranks(values),
        quality=quality,
        is_mislabeled=flagged,
        is_hard=_hard(values, flagged, policy, score),
        mislabel_score=score,
        neighbor_label=evidence.neighbors,
        neighbor_disagreement=np.abs(y - evidence.neighbors),
        rule=rule,
        predicted_value=prediction,
        target_z=z,
        signal_weights=evidence.weights if prediction is not evidence.model else None,
        rule_count=rule_count,
    )
