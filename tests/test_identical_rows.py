"""Copies of one row (equal in every feature and the label) get one verdict.

Two copies are interchangeable players: every method's true value is the same for both
(Shapley's symmetry axiom), and nothing about them tells one label from the other. Before,
each copy's out-of-fold probability came from the fold it fell in, so copies got different
``mislabel_score`` / ``model_label_prob`` values, and a cut through a block of equal scores
(the lowest values, the top of the score) could flag one copy and not the other.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from dvclean.config import ScoreConfig, TMCConfig
from dvclean.flags import top_fraction, top_k
from dvclean.pipeline import score, share_identical
from dvclean.table import group_mean, identical_rows
from dvclean.valuation import ValuationResult

from .conftest import SAMPLE

PER_ROW = ("value", "mislabel_score", "model_label_prob", "given_label_prob", "is_mislabeled", "is_hard",
           "suggested_label")


def _with_copies(n: int, copies: int, seed: int = 0) -> pl.DataFrame:
    df = pl.read_csv(SAMPLE).head(n)
    rng = np.random.default_rng(seed)
    extra = df[rng.choice(n, copies, replace=True).tolist()]
    both = pl.concat([df, extra])
    return both[rng.permutation(both.height).tolist()]


def _disagreeing_groups(df: pl.DataFrame, out: pl.DataFrame, columns: tuple[str, ...]) -> dict[str, int]:
    joined = pl.concat([df, out.select([c for c in columns if c in out.columns])], how="horizontal")
    groups = joined.group_by(df.columns).agg(pl.len().alias("n"), *[pl.col(c).n_unique().alias(c) for c in columns
                                                                     if c in out.columns])
    groups = groups.filter(pl.col("n") > 1)
    assert groups.height > 10  # the data really holds copies
    return {c: int((groups.get_column(c) > 1).sum()) for c in columns if c in out.columns}


def test_copies_get_the_same_value_evidence_and_flags():
    df = _with_copies(500, 150)
    res = score(df, label="income", config=ScoreConfig(seed=3))
    bad = _disagreeing_groups(df, res.frame, PER_ROW)
    assert bad == dict.fromkeys(bad, 0), bad
    assert res.frame.get_column("is_mislabeled").sum() > 0


def test_monte_carlo_values_of_copies_are_their_mean_and_the_sum_is_kept():
    df = _with_copies(120, 40, seed=1)
    cfg = ScoreConfig(methods=("tmc",), seed=2, tmc=TMCConfig(max_permutations=40))
    res = score(df, label="income", config=cfg)
    bad = _disagreeing_groups(df, res.frame, ("value", "is_hard"))
    assert bad == {"value": 0, "is_hard": 0}


def test_share_identical_averages_values_and_bounds_the_standard_error():
    r = ValuationResult("tmc", np.array([0.1, 0.3, -0.2, 0.7]), np.array([0.2, 0.1, 0.3, 0.4]), "converged", {}, 0)
    out = share_identical({"tmc": r}, np.array([0, 1, 0, 2]))["tmc"]
    assert out.values.tolist() == pytest.approx([-0.05, 0.3, -0.05, 0.7])
    assert out.values.sum() == pytest.approx(r.values.sum())  # efficiency: the total is the same
    assert out.stderr[0] == pytest.approx(np.sqrt((0.2**2 + 0.3**2) / 2))
    assert share_identical({"tmc": r}, None)["tmc"] is r


def test_identical_rows_needs_every_feature_and_the_label():
    x = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 3.0], [np.nan, 0.0], [np.nan, 0.0]])
    g = identical_rows(x, np.array([0, 1, 0, 0, 0]))
    assert g[3] == g[4] and len(set(g[:4].tolist())) == 4  # missing cells match; another label does not
    assert identical_rows(x[:3], np.array([0, 1, 0])) is None
    assert identical_rows(x[:1], np.array([0])) is None
    proba = np.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])
    assert group_mean(proba, np.array([0, 0, 1])) == pytest.approx(np.array([[0.4, 0.6], [0.4, 0.6], [0.5, 0.5]]))


@pytest.mark.parametrize("seed", range(20))
def test_top_k_never_splits_equal_scores_and_stays_near_k(seed):
    rng = np.random.default_rng(seed)
    s = rng.integers(0, 6, size=40).astype(float)  # many ties
    k = int(rng.integers(0, 41))
    sel = top_k(s, k)
    for v in np.unique(s):
        assert len(set(sel[s == v].tolist())) == 1  # a block of equal scores is in or out as a whole
    if sel.any() and (~sel).any():
        assert s[sel].min() > s[~sel].max()  # and the highest scores are the ones taken
    edge_block = int((s == np.sort(s)[::-1][k - 1]).sum()) if 0 < k <= s.size else 0
    assert abs(int(sel.sum()) - k) <= edge_block / 2
    perm = rng.permutation(s.size)
    assert np.array_equal(top_k(s[perm], k), sel[perm])  # row order plays no part


def test_top_k_without_ties_is_the_k_highest():
    s = np.random.default_rng(0).random(50)
    assert np.array_equal(np.flatnonzero(top_k(s, 7)), np.sort(np.argsort(-s)[:7]))
    assert top_fraction(s, 0.2).sum() == 10 and not top_k(s, 0).any() and top_k(s, 60).all()


def test_copies_of_a_regression_row_get_one_prediction_and_verdict():
    from sklearn.datasets import load_diabetes

    d = load_diabetes(as_frame=True).frame.head(200)
    df = pl.from_pandas(d)
    rng = np.random.default_rng(4)
    both = pl.concat([df, df[rng.choice(200, 60).tolist()]])
    both = both[rng.permutation(both.height).tolist()]
    res = score(both, label="target", config=ScoreConfig(seed=1, task="regression"))
    bad = _disagreeing_groups(both, res.frame, ("value", "mislabel_score", "predicted_value", "target_z",
                                                "is_mislabeled", "is_hard"))
    assert bad == dict.fromkeys(bad, 0), bad
    assert "predicted_value" in bad
