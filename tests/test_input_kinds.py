"""Inputs a user actually has: durations and times, constant or one-value-per-row columns, absurd
regression targets, and pandas / lazy frames passed to the library."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import dvclean
from dvclean.cli import app
from dvclean.errors import DataValidationError
from dvclean.fix import fix
from dvclean.io import as_source
from dvclean.pipeline import canonical_order

runner = CliRunner()


def timed_frame(n: int = 60) -> pl.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    return pl.DataFrame({
        "x": x,
        "wait": [dt.timedelta(minutes=int(v)) for v in rng.integers(0, 1000, n)],
        "at": [dt.time(int(v) % 24, 5) for v in rng.integers(0, 1000, n)],
        "blob": [b"ab"] * (n - 1) + [b"\xff"],
        "y": (x > 0).astype(int),
    })


def test_duration_time_and_binary_columns_are_scored_not_crashed(tmp_path):
    """A Duration column made every command exit 3 (polars cannot cast it to text for the row hash)."""
    src = tmp_path / "d.parquet"
    timed_frame().write_parquet(src)
    res = runner.invoke(app, ["score", str(src), "-y", "y", "-o", str(tmp_path / "o.parquet"), "--json"])
    assert res.exit_code == 0, res.output
    assert "ignored feature columns: blob (type Binary, which dvclean cannot encode)" in res.stdout
    res = runner.invoke(app, ["check", str(src), "-y", "y", "--max-mislabeled", "20%"])
    assert res.exit_code == 0, res.output


def test_canonical_order_of_durations_ignores_input_order():
    df = timed_frame().drop("blob")
    shuffled = df[np.random.default_rng(1).permutation(df.height)]
    cols = ["x", "wait", "at", "y"]
    assert df[canonical_order(df, cols)].equals(shuffled[canonical_order(shuffled, cols)])


def test_every_ignored_feature_column_is_reported_with_its_reason():
    """A constant float column and a text column with a distinct value per row were dropped silently."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=80)
    df = pl.DataFrame({
        "c_int": [7] * 80, "c_float": [2.5] * 80, "x": x, "code": [f"id{i}" for i in range(80)],
        "empty": pl.Series([None] * 80, dtype=pl.Float64), "y": (x > 0).astype(int),
    })
    r = dvclean.score(df, label="y")
    notes = [n for n in r.summary["notes"] if n.startswith("ignored feature columns")]
    assert notes == [
        "ignored feature columns: c_int (constant), c_float (constant), code (a distinct value in every row), empty (empty)"
    ]
    assert r.summary["features"]["ignored"] == ["c_int", "c_float", "code", "empty"]
    assert r.summary["features"]["encoded_dimensions"] == 1


def diabetes(n: int = 200) -> pl.DataFrame:
    from sklearn.datasets import load_diabetes

    return pl.from_pandas(load_diabetes(as_frame=True).frame.head(n))


def test_an_absurd_regression_target_is_refused_naming_its_input_row(tmp_path):
    """1e160 overflowed the KNN-Shapley sums ("please report this as a bug"); 1e150 flagged 23% of the rows."""
    df = diabetes()
    for bad in (1e160, 1e150):
        src = tmp_path / "huge.csv"
        df.with_columns(pl.when(pl.int_range(pl.len()) == 5).then(bad).otherwise(pl.col("target")).alias("target")) \
            .write_csv(src)
        res = runner.invoke(app, ["score", str(src), "-y", "target", "--task", "regression", "-o", str(tmp_path / "o.parquet")])
        assert res.exit_code == 2, res.output
        assert "robust standard deviations from the median" in res.stderr and "at rows 5 (" in res.stderr
        assert "report this as a bug" not in res.output
    # a large but possible value (a typo of a few orders of magnitude) is valued and flagged, not refused
    odd = df.with_columns(pl.when(pl.int_range(pl.len()) == 5).then(1e12).otherwise(pl.col("target")).alias("target"))
    r = dvclean.score(odd, label="target", config=dvclean.ScoreConfig(task="regression"))
    flagged = r.frame.get_column("is_mislabeled").to_numpy()
    assert flagged[5] and flagged.sum() <= 0.05 * odd.height


def test_a_constant_regression_target_message_shows_the_number_plainly():
    df = diabetes(50).with_columns(pl.lit(0.5).alias("target"))
    with pytest.raises(DataValidationError, match=r"has one value only \(0\.5\)"):
        dvclean.score(df, label="target", config=dvclean.ScoreConfig(task="regression"))


def test_pandas_and_lazy_frames_are_accepted_and_arrays_explained():
    from sklearn.datasets import load_iris

    pdf = load_iris(as_frame=True).frame
    a = dvclean.score(pdf, label="target")
    b = dvclean.score(pl.from_pandas(pdf).lazy(), label="target")
    assert a.frame.equals(b.frame) and a.frame.height == 150
    assert fix(pdf, label="target").frame.height == 150
    with pytest.raises(TypeError, match=r"polars or pandas DataFrame, not numpy\.ndarray; build a frame first"):
        dvclean.score(pdf.to_numpy(), label="target")
    assert as_source("data.csv") == "data.csv"


def test_adding_a_constant_column_changes_no_flag():
    """The row order hashed every feature column, so a constant one (ignored by the encoder) re-drew the
    folds and changed the flags (on 500 Adult rows with 50 flipped labels: 75 flagged -> 67)."""
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer(as_frame=True).frame.head(300)
    y = d["target"].to_numpy().copy()
    flip = np.random.default_rng(0).choice(300, 30, replace=False)
    y[flip] = 1 - y[flip]
    df = pl.from_pandas(d.assign(target=y))
    a = dvclean.score(df, label="target")
    b = dvclean.score(df.with_columns(pl.lit(1).alias("batch")), label="target")
    assert a.frame.select("value", "is_mislabeled", "mislabel_score").equals(
        b.frame.select("value", "is_mislabeled", "mislabel_score"))


def test_a_k_beyond_the_rows_is_refused_whatever_the_method(tmp_path):
    """`-m oob --k 150` on 150 rows capped K for the flags without a word; KNN-Shapley already refused it."""
    from sklearn.datasets import load_iris

    src = tmp_path / "iris.csv"
    pl.from_pandas(load_iris(as_frame=True).frame).write_csv(src)
    for method in ("oob", "knn"):
        res = runner.invoke(app, ["score", str(src), "-y", "target", "-m", method, "--k", "150", "-o", str(tmp_path / "o.parquet")])
        assert res.exit_code == 2, res.output
        assert "use --k 149 or fewer" in " ".join(res.output.split())
    res = runner.invoke(app, ["score", str(src), "-y", "target", "-m", "oob", "--k", "149", "-o", str(tmp_path / "o.parquet"), "-q"])
    assert res.exit_code == 0, res.output
