"""`dvclean report` on scores files re-saved by other tools, and on --data that is not the scored file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.cli import app
from dvclean.errors import DataValidationError, InputError
from dvclean.report import build_report_from_files

from .test_check import FLIPS, clusters

runner = CliRunner()
FLAGS = ("is_mislabeled", "is_hard", "is_label_missing")


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def scored(tmp_path: Path) -> tuple[Path, Path]:
    """(data CSV, its scores as CSV)."""
    src = tmp_path / "d.csv"
    clusters(flips=FLIPS).write_csv(src)
    scores = tmp_path / "d.scores.csv"
    res = runner.invoke(app, ["score", str(src), "-y", "y", "-q", "-o", str(scores)])
    assert res.exit_code == 0, res.output
    return src, scores


def counts(path: Path) -> tuple[dict, list]:
    rep = build_report_from_files(path)
    return rep.meta["flags"], rep.per_class


@pytest.mark.parametrize("spelling", ["01", "yes/no", "TRUE/FALSE text", "0.0/1.0"])
def test_flags_spelled_otherwise_are_read_as_booleans(tmp_path, scored, spelling):
    _, scores = scored
    s = pl.read_csv(scores)
    as_ = {
        "01": lambda c: pl.col(c).cast(pl.Int8),
        "yes/no": lambda c: pl.when(pl.col(c)).then(pl.lit("yes")).otherwise(pl.lit("no")),
        "TRUE/FALSE text": lambda c: pl.when(pl.col(c)).then(pl.lit(" TRUE")).otherwise(pl.lit("False")),
        "0.0/1.0": lambda c: pl.col(c).cast(pl.Float64),
    }[spelling]
    resaved = tmp_path / "resaved.csv"
    s.with_columns([as_(c).alias(c) for c in FLAGS]).write_csv(resaved)
    assert pl.read_csv(resaved).schema["is_mislabeled"] != pl.Boolean
    assert counts(resaved) == counts(scores)
    res = runner.invoke(app, ["report", str(resaved), "-q", "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize(
    ("column", "value", "found"),
    [("is_hard", 2, "found 2 at row 0"), ("is_mislabeled", "maybe", "found 'maybe' at row 0")],
)
def test_a_flag_that_is_not_true_false_is_refused(tmp_path, scored, column, value, found):
    _, scores = scored
    bad = tmp_path / "bad.csv"
    pl.read_csv(scores).with_columns(pl.lit(value).alias(column)).write_csv(bad)
    res = runner.invoke(app, ["report", str(bad), "-q", "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 2, res.output
    msg = flat(res.stderr)
    assert f"column {column} must be true/false" in msg and found in msg, msg
    assert "internal error" not in msg and not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("column", ["value", "mislabel_score", "value_rank"])
def test_a_non_numeric_value_is_refused_with_its_row(tmp_path, scored, column):
    _, scores = scored
    s = pl.read_csv(scores)
    bad = tmp_path / "bad.csv"
    texts = s.get_column(column).cast(pl.String).scatter(7, "x0.12")
    s.with_columns(texts).write_csv(bad)
    res = runner.invoke(app, ["report", str(bad), "-q", "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 2, res.output
    msg = flat(res.stderr)
    assert f"column {column} must be numeric; row 7 holds 'x0.12'" in msg, msg
    with pytest.raises(InputError, match=f"column {column} must be numeric"):
        build_report_from_files(bad)


def test_numbers_written_as_text_are_read(tmp_path, scored):
    _, scores = scored
    s = pl.read_csv(scores)
    texty = tmp_path / "texty.ndjson"
    s.with_columns(pl.col("value").cast(pl.String), pl.col("mislabel_score").cast(pl.String)).write_ndjson(texty)
    assert counts(texty) == counts(scores)
    res = runner.invoke(app, ["report", str(texty), "-q", "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output


def test_a_flag_column_of_another_type_is_refused(tmp_path, scored):
    _, scores = scored
    bad = tmp_path / "bad.parquet"
    pl.read_csv(scores).with_columns(pl.lit(None, dtype=pl.Date).fill_null(pl.date(2020, 1, 1)).alias("is_hard")).write_parquet(bad)
    res = runner.invoke(app, ["report", str(bad), "-q", "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 2, res.output
    assert "column is_hard must be true/false" in flat(res.stderr) and "Date" in res.stderr


# ---------------------------------------------------------------- --data must be the scored file


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
def test_data_of_another_file_is_refused_by_its_labels(tmp_path, scored, fmt):
    src, scores = scored
    if fmt == "ndjson":
        nd = tmp_path / "d.scores.ndjson"
        pl.read_csv(scores).write_ndjson(nd)
        scores = nd
    other = tmp_path / "other.csv"
    df = pl.read_csv(src)
    df.with_columns(pl.col("y").shift(1, fill_value="b")).write_csv(other)  # same rows count, labels moved by one
    res = runner.invoke(app, ["report", str(scores), "--data", str(other), "-y", "y", "-q", "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 2, res.output
    msg = flat(res.stderr)
    first = next(i for i, (a, b) in enumerate(zip(df["y"], pl.read_csv(other)["y"], strict=True)) if a != b)
    assert f"--data {other} is not the file {scores} was computed on" in msg and f"at row {first}" in msg, msg
    assert not (tmp_path / "r.html").exists()
    with pytest.raises(DataValidationError, match=f"at row {first}"):
        build_report_from_files(scores, data=other, label="y")
    # the scored file itself is accepted
    res = runner.invoke(app, ["report", str(scores), "--data", str(src), "-y", "y", "-q", "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output


def test_data_with_other_ids_is_refused(tmp_path):
    src = tmp_path / "d.csv"
    df = clusters(flips=FLIPS)
    df.write_csv(src)
    scores = tmp_path / "s.csv"
    assert runner.invoke(app, ["score", str(src), "-y", "y", "--id", "uid", "-q", "-o", str(scores)]).exit_code == 0
    other = tmp_path / "other.csv"
    df.with_columns(pl.col("uid").str.replace("u005", "v005")).write_csv(other)
    res = runner.invoke(app, ["report", str(scores), "--data", str(other), "-y", "y", "-q", "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 2, res.output
    assert "at row 5 the scores' id 'uid' is 'u005'" in flat(res.stderr)


def test_numeric_labels_match_by_value(tmp_path):
    src = tmp_path / "d.csv"
    df = clusters(flips=FLIPS).with_columns(pl.col("y").replace({"a": "0", "b": "1"}).cast(pl.Int64))
    df.write_csv(src)
    scores = tmp_path / "s.parquet"
    assert runner.invoke(app, ["score", str(src), "-y", "y", "-q", "-o", str(scores)]).exit_code == 0
    as_float = tmp_path / "s.csv"
    pl.read_parquet(scores).with_columns(pl.col("label").cast(pl.Float64)).write_csv(as_float)  # 0.0 / 1.0
    res = runner.invoke(app, ["report", str(as_float), "--data", str(src), "-y", "y", "-q", "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output


def test_a_csv_scores_file_keeps_text_classes_and_ids(tmp_path):
    """Classes ``01`` and ``1`` (and ids ``007`` / ``7``) stay apart when a report reads CSV scores and data."""

    rng = np.random.default_rng(3)
    classes = ["01", "1", "2"]
    centre = {"01": 0, "1": 3, "2": 6}
    keys = [f"{i:03d}" for i in range(90)]
    keys[5] = "7"  # "007" (row 7) and "7" are two ids
    rows = [f"{keys[i]},{centre[classes[i % 3]] + rng.normal(0, .6):.3f},{classes[i % 3]}" for i in range(90)]
    data = tmp_path / "d.csv"
    data.write_text("key,x,y\n" + "\n".join(rows) + "\n")
    res = runner.invoke(app, ["score", str(data), "-y", "y", "--id", "key", "-o", str(tmp_path / "s.csv"), "-q"])
    assert res.exit_code == 0, res.output
    rep = build_report_from_files(tmp_path / "s.csv", data=data, label="y")
    assert sorted(c["class"] for c in rep.per_class) == ["01", "1", "2"]
    at = rep.top_columns.index("key")
    assert {r[at] for r in rep.top_rows} <= set(keys)


def test_report_data_with_01_where_the_scores_hold_1_is_refused(tmp_path):
    rng = np.random.default_rng(5)
    classes = ["01", "1", "2"] * 30
    body = "".join(f"{rng.normal() + 3 * classes.index(c) % 9:.3f},{c}\n" for c in classes)
    data = tmp_path / "d.csv"
    data.write_text("x,y\n" + body)
    res = runner.invoke(app, ["score", str(data), "-y", "y", "-o", str(tmp_path / "s.csv"), "-q"])
    assert res.exit_code == 0, res.output
    other = tmp_path / "e.csv"
    other.write_text("x,y\n" + body.replace(",01\n", ",001\n"))  # class 01 respelled 001: another class
    with pytest.raises(DataValidationError, match="at row 0 the scores' label is '01' but the data's 'y' is '001'"):
        build_report_from_files(tmp_path / "s.csv", data=other, label="y")
    build_report_from_files(tmp_path / "s.csv", data=data, label="y")


def test_a_report_leaves_out_the_columns_the_scores_dropped(tmp_path):
    rng = np.random.default_rng(2)
    y = np.arange(80) % 2
    data = tmp_path / "d.csv"
    pl.DataFrame({"x": y * 3 + rng.normal(size=80), "secret": rng.normal(size=80), "y": y}).write_csv(data)
    res = runner.invoke(app, ["score", str(data), "-y", "y", "--drop", "secret", "-o", str(tmp_path / "s.parquet"), "-q"])
    assert res.exit_code == 0, res.output
    rep = build_report_from_files(tmp_path / "s.parquet", data=data)
    assert "secret" not in rep.top_columns and "x" in rep.top_columns
    # a --drop the Parquet footer contradicts is refused (session 34: the report showed features never scored);
    # a CSV scores file records none, and the --drop given is the scored one
    with pytest.raises(DataValidationError, match="scored with --drop 'secret' and --drop says none"):
        build_report_from_files(tmp_path / "s.parquet", data=data, drop=())
    res = runner.invoke(app, ["score", str(data), "-y", "y", "-o", str(tmp_path / "s.csv"), "-q"])
    assert res.exit_code == 0, res.output
    assert "secret" in build_report_from_files(tmp_path / "s.csv", data=data, label="y", drop=()).top_columns
    assert "secret" not in build_report_from_files(tmp_path / "s.csv", data=data, label="y", drop="secret").top_columns


def test_a_class_named_na_kept_with_null_values_is_reported(tmp_path):
    rng = np.random.default_rng(4)
    classes = ["NA", "None", "x"] * 30
    data = tmp_path / "d.csv"
    data.write_text("f,y\n" + "".join(f"{rng.normal() + 3 * ['NA', 'None', 'x'].index(c):.3f},{c}\n" for c in classes))
    res = runner.invoke(app, ["score", str(data), "-y", "y", "--null-values", "", "-o", str(tmp_path / "s.csv"), "-q"])
    assert res.exit_code == 0, res.output
    rep = build_report_from_files(tmp_path / "s.csv", data=data, label="y", read_options={"null_values": [""]})
    assert sorted(c["class"] for c in rep.per_class) == ["NA", "None", "x"]
    res = runner.invoke(app, ["report", str(tmp_path / "s.csv"), "--data", str(data), "-y", "y", "--null-values", "", "-q",
                              "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
