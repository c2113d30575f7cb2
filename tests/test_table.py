"""Column roles, label validation and feature encoding."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from dvclean.config import FeatureConfig
from dvclean.errors import DataValidationError
from dvclean.table import FeatureEncoder, make_table, prepare


def frame(**cols):
    return pl.DataFrame(cols)


def test_label_autodetect_and_errors():
    t = make_table(frame(x=[1, 2, 3, 4], Target=["a", "b", "a", "b"]))
    assert t.label == "Target"
    with pytest.raises(DataValidationError, match="pass --label COLUMN .*'x', 'z'"):
        make_table(frame(x=[1, 2], z=[0, 1]))
    with pytest.raises(DataValidationError, match="2 columns are named"):
        make_table(frame(x=[1, 2], y=[0, 1], label=[0, 1]))
    with pytest.raises(DataValidationError, match="label column 'nope' not found"):
        make_table(frame(x=[1, 2], y=[0, 1]), label="nope")


def test_id_and_drop():
    t = make_table(frame(uid=[10, 11, 12, 13], x=[1, 2, 3, 4], z=[0, 0, 1, 1], y=[0, 1, 0, 1]), id_column="uid", drop=["z"])
    assert t.features == ("x",) and t.row_ids().to_list() == [10, 11, 12, 13]
    with pytest.raises(DataValidationError, match="repeated values"):
        make_table(frame(uid=[1, 1, 2, 3], x=[1, 2, 3, 4], y=[0, 1, 0, 1]), id_column="uid")
    with pytest.raises(DataValidationError, match="unknown columns 'q'"):
        make_table(frame(x=[1, 2], y=[0, 1]), drop=["q"])


@pytest.mark.parametrize(
    ("label", "pattern"),
    [
        ([None, None, None, None], "empty in every row"),
        ([1, 1, 1, 1], "one class only"),
        ([0, 0, 0, 1], "single row .* at row 3"),
        ([0.5, float("inf"), 0.5, 1.5], "infinite at row 1;"),
    ],
)
def test_bad_labels(label, pattern):
    with pytest.raises(DataValidationError, match=pattern):
        make_table(frame(x=[1.0, 2.0, 3.0, 4.0], y=label))


def test_continuous_label_refused():
    rng = np.random.default_rng(0)
    with pytest.raises(DataValidationError, match="looks continuous"):
        make_table(frame(x=rng.normal(size=50), y=rng.normal(size=50)), task="classification")
    # under the default --task auto such a label is a regression target (tests/test_regression.py)
    assert make_table(frame(x=rng.normal(size=50), y=rng.normal(size=50))).task == "regression"


def test_missing_labels_are_not_valued():
    df = frame(x=[1.0, 2.0, 3.0, 4.0, 5.0], y=["a", None, "b", "a", "b"])
    data, _, missing = prepare(make_table(df))
    assert missing.tolist() == [False, True, False, False, False]
    assert data.rows.tolist() == [0, 2, 3, 4] and data.n_players == 4


def test_encoding_kinds():
    n = 60
    rng = np.random.default_rng(0)
    df = frame(
        num=np.where(np.arange(n) % 7 == 0, None, rng.normal(size=n)).tolist(),
        cat=[["a", "b", None][i % 3] for i in range(n)],
        many=[f"v{i % 30 if i < 45 else 0}" for i in range(n)],
        small_int=[i % 3 for i in range(n)],
        const=[5] * n,
        empty=[None] * n,
        when=[dt.date(2020, 1, 1) + dt.timedelta(days=int(i)) for i in range(n)],
        flag=[bool(i % 2) for i in range(n)],
        huge=[1e308 * (i % 2) for i in range(n)],
    )
    enc = FeatureEncoder(FeatureConfig(max_onehot=20))
    x = enc.fit_transform(df, df.columns)
    names = enc.feature_names_
    assert np.isfinite(x).all()
    assert "num" in names and "num__missing" in names
    assert {"cat=a", "cat=b", "cat=<missing>"} <= set(names)
    assert "many" in names  # frequency-encoded above the one-hot cap
    assert {"small_int=0", "small_int=1", "small_int=2"} <= set(names)
    assert not any(n.startswith("const") or n.startswith("empty") for n in names)
    assert "when.days" in names and "when.month" in names
    assert enc.dropped_ == ["const", "empty"]
    num = x[:, names.index("num")]
    assert abs(num[~np.isnan(num)].std() - 1) < 0.2
    # transform of new data with an unseen category works
    x2 = enc.transform(df.with_columns(pl.lit("zzz").alias("cat")))
    assert x2.shape == x.shape and np.isfinite(x2).all()


def test_only_empty_features_refused():
    df = frame(a=[None, None, None, None], b=[None, None, None, None], y=[0, 1, 0, 1])
    with pytest.raises(DataValidationError, match="no usable feature.*empty"):
        prepare(make_table(df))


def test_all_constant_features_still_compare_rows():
    df = frame(a=[None, None, None, None], b=[1, 1, 1, 1], y=[0, 1, 0, 1])
    data, enc, _ = prepare(make_table(df))
    assert enc.all_constant_ and data.x.shape == (4, 1)
    assert any("constant" in n for n in data.notes)


def test_nested_columns_refused():
    df = frame(a=[[1], [2], [3], [4]], b=[1, 2, 3, 4], y=[0, 1, 0, 1])
    with pytest.raises(DataValidationError, match="nested values .* --drop a"):
        make_table(df)
    assert make_table(df, drop=["a"]).features == ("b",)


def test_rows_empty_in_every_column_are_named_in_a_note(tmp_path):
    """A CSV's blank lines are rows of nulls for polars: kept (row numbers follow the file), and said."""
    import dvclean

    rng = np.random.default_rng(1)
    lines = [f"{rng.normal() + 3 * (i % 2):.3f},{'ab'[i % 2]}" for i in range(40)]
    src = tmp_path / "d.csv"
    src.write_text("x,y\n" + "\n".join(lines[:10] + [""] + lines[10:]) + "\n\n")
    r = dvclean.score(src, label="y")
    assert r.frame.height == 42 and r.summary["rows"]["label_missing_rows"] == [10, 41]  # (no --id: positions)
    assert any(n.startswith("2 rows are empty in every column (rows 10, 41") for n in r.summary["notes"])
    src.write_text("x,y\n" + "\n".join(lines) + "\n")
    assert not any("empty in every column" in n for n in dvclean.score(src, label="y").summary["notes"])
