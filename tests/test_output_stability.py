"""The output does not depend on what the columns are called or on the rule's size switch, and the
predictability note does not call flags noise on samples too small to test."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import dvclean
from dvclean.config import KNNConfig, MislabelConfig, ScoreConfig
from dvclean.pipeline import UNTESTABLE_AUROC, _predictability_note, canonical_order


def _frame(n=160, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = np.where(x[:, 0] + x[:, 1] + rng.normal(0, 0.8, n) > 0, "yes", "no")
    return pl.DataFrame({"alpha": x[:, 0], "beta": x[:, 1], "gamma": x[:, 2],
                         "city": rng.choice(["a", "b", "c"], n).tolist(), "label": y})


def test_renaming_columns_changes_nothing():
    df = _frame()
    a = dvclean.score(df, label="label")
    renamed = df.rename({"label": "zz_target", "alpha": "omega", "city": "aaa_town"})
    b = dvclean.score(renamed, label="zz_target")
    cols = ["value", "is_mislabeled", "is_hard", "mislabel_score", "given_label_prob", "model_label_prob"]
    assert a.frame.select(cols).equals(b.frame.select(cols))
    moved = dvclean.score(df.select(["label", *df.columns[:-1]]), label="label")  # the label's place: no feature moves
    assert a.frame.select(cols).equals(moved.frame.select(cols))


def test_canonical_order_ignores_column_order_and_names_but_not_values():
    df = _frame(50)
    base = canonical_order(df, df.columns).tolist()
    assert canonical_order(df.select(df.columns[::-1]), df.columns[::-1]).tolist() == base
    assert canonical_order(df.rename({"alpha": "z"}), ["z", *df.columns[1:]]).tolist() == base
    swapped = df.with_columns(pl.col("alpha").alias("beta"), pl.col("beta").alias("alpha"))  # = renaming the two
    assert canonical_order(swapped, df.columns).tolist() == base
    changed = df.with_columns(pl.when(pl.int_range(50) == 0).then(99.0).otherwise(pl.col("alpha")).alias("alpha"))
    assert canonical_order(changed, df.columns).tolist() != base  # the rows' contents decide
    shuffled = df[np.random.default_rng(1).permutation(50)]
    assert shuffled[canonical_order(shuffled, df.columns)].equals(df[base])


@pytest.mark.parametrize("rule", ["knn", "consensus"])
def test_classification_output_has_the_same_columns_under_every_rule(rule):
    r = dvclean.score(_frame(), label="label", config=ScoreConfig(mislabel=MislabelConfig(rule=rule)))
    assert "model_label_prob" in r.frame.columns
    probs = r.frame.get_column("model_label_prob")
    assert probs.null_count() == (r.frame.height if rule == "knn" else 0)


def test_size_switch_to_the_knn_rule_keeps_the_columns():
    small = MislabelConfig(model_max_rows=10)
    r = dvclean.score(_frame(), label="label", config=ScoreConfig(mislabel=small))
    full = dvclean.score(_frame(), label="label")
    assert r.frame.columns == full.frame.columns
    assert any("knn" in n for n in r.summary["notes"])


def test_untestable_sample_is_not_called_noise():
    p = {"auroc": 0.667, "p_value": 0.7, "predictable": False, "auroc_needed": 1.0}
    assert "cannot tell" in _predictability_note(p, 6)
    p = {"auroc": 0.52, "p_value": 0.4, "predictable": False, "auroc_needed": UNTESTABLE_AUROC - 0.2}
    assert "do not predict" in _predictability_note(p, 400)


def test_docstring_example_of_six_rows_gets_the_sample_size_note():
    df = pl.DataFrame({"x": [0.0, 0.1, 0.2, 5.0, 5.1, 0.15], "y": [0, 0, 0, 1, 1, 1]})
    r = dvclean.score(df, label="y", config=ScoreConfig(knn=KNNConfig(k=2)))
    notes = " ".join(r.summary["notes"])
    assert "do not predict" not in notes


def test_columns_with_the_same_values_in_another_row_order_keep_the_order_when_renamed():
    """Two 0/1 columns with as many ones share a multiset fingerprint; renaming one must still change nothing."""
    df = _frame(120, seed=3)
    p = (np.arange(120) % 3 == 0).astype(int)
    q = np.random.default_rng(7).permutation(p)
    df = df.with_columns(pl.Series("p", p), pl.Series("q", q))
    cols = list(df.columns)
    base = canonical_order(df, cols).tolist()
    for old, new in (("p", "zz_p"), ("q", "a_q")):
        renamed = df.rename({old: new})
        assert canonical_order(renamed, [new if c == old else c for c in cols]).tolist() == base
    dup = df.with_columns(pl.col("p").alias("p2"))  # a column equal row by row: its place cannot matter
    assert canonical_order(dup.rename({"p2": "a_p2"}), [*cols, "a_p2"]).tolist() == canonical_order(dup, [*cols, "p2"]).tolist()
    a = dvclean.score(df, label="label").frame
    b = dvclean.score(df.rename({"p": "zz_p"}), label="label").frame
    assert a.select("value", "is_mislabeled", "mislabel_score").equals(b.select("value", "is_mislabeled", "mislabel_score"))


def test_moving_feature_columns_changes_nothing(sample_csv):
    """The encoded matrix follows the columns' contents, not the file's order: with the file's order, reversing
    the features of these 400 rows changed 4 flags and the model's probabilities by up to 0.13 (QA)."""
    df = pl.read_csv(sample_csv).head(400)
    features = [c for c in df.columns if c != "income"]
    a = dvclean.score(df, label="income", config=ScoreConfig(seed=3))
    for order in (features[::-1], [*features[1::2], *features[::2]]):
        b = dvclean.score(df.select(["income", *order]), label="income", config=ScoreConfig(seed=3))
        assert a.frame.equals(b.frame)
        assert a.summary["features"]["ignored"] == b.summary["features"]["ignored"]
