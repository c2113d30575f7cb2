"""QA round 59 (a library/notebook user, a newcomer): pandas' index stored in a Parquet file, short reprs of the
results, pandas scores for augment, a list of methods, the output's class mix after augment, a count threshold
that says "rows", and an old Excel workbook named as one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from typer.testing import CliRunner

import dvclean
from dvclean.check import CheckPolicy, evaluate_check
from dvclean.cli import app
from dvclean.config import ScoreConfig
from dvclean.errors import InputError
from dvclean.fix import FixConfig, fix, write_fixed

runner = CliRunner()


def frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    df["y"] = np.where(df.a + 0.5 * rng.normal(size=n) > 0, "pos", "neg")
    return df


# ---------------------------------------------------------------- pandas' index in a Parquet file


def test_unnamed_pandas_index_in_parquet_is_not_a_feature(tmp_path):
    sub = frame()
    sub = sub[sub.a > -1.0]  # a filtered frame: its index is no longer a range, so to_parquet stores it as a column
    path = tmp_path / "f.parquet"
    sub.to_parquet(path)
    assert "__index_level_0__" in pl.read_parquet(path).columns
    on_file = dvclean.score(path, label="y")
    in_memory = dvclean.score(sub, label="y")
    assert on_file.summary["features"]["columns"] == ["a", "b"]
    assert any("unnamed index pandas stored" in n for n in on_file.summary["notes"])
    np.testing.assert_array_equal(on_file.values, in_memory.values)  # the same rows, the same values
    assert on_file.frame["is_mislabeled"].to_list() == in_memory.frame["is_mislabeled"].to_list()


def test_named_pandas_index_in_parquet_gets_a_note(tmp_path):
    df = frame()
    df["rid"] = np.random.default_rng(1).permutation(df.shape[0]) * 7  # not consecutive: no row-number note
    path = tmp_path / "named.parquet"
    df.set_index("rid").to_parquet(path)
    notes = dvclean.score(path, label="y").summary["notes"]
    assert any("'rid' is the pandas index stored in the file" in n and "--id rid" in n for n in notes), notes


def test_fix_drop_output_round_trips_without_its_index_as_a_feature(tmp_path):
    src = tmp_path / "in.parquet"
    frame().to_parquet(src)  # a RangeIndex: no index column
    result = fix(src, label="y", config=FixConfig(action="drop"))
    out = write_fixed(result, tmp_path / "out.parquet")
    assert "__index_level_0__" in pl.read_parquet(out).columns  # (pandas reads the kept rows' labels back)
    assert dvclean.score(out, label="y").summary["features"]["columns"] == ["a", "b"]


# ---------------------------------------------------------------- a notebook user's results


def test_results_have_short_reprs():
    result = dvclean.score(frame(), label="y")
    text = repr(result)
    flags = result.summary["flags"]
    assert len(text) < 300, text
    assert f"mislabeled={flags['mislabeled']}" in text and "300 rows" in text
    outcome = evaluate_check(result, CheckPolicy(max_mislabeled="5%"))
    assert len(repr(outcome)) < 300 and outcome.checks[0].line() in repr(outcome)


def test_methods_may_be_a_list():
    assert ScoreConfig(methods=["knn", "oob"]).methods == ("knn", "oob")
    hash(ScoreConfig(methods=["knn"]))  # (a frozen config stays hashable)


def test_count_threshold_says_rows():
    result = dvclean.score(frame(), label="y")
    line = evaluate_check(result, CheckPolicy(max_mislabeled=2, max_hard=1)).checks
    texts = [c.line() for c in line]
    assert texts[0].endswith("max 2 rows") and texts[1].endswith("max 1 row"), texts


# ---------------------------------------------------------------- an old Excel workbook


@pytest.mark.parametrize("name", ["old.xls", "renamed.csv"])
def test_old_excel_workbook_is_named(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    res = runner.invoke(app, ["score", str(path), "--label", "y"])
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert "old Excel workbook" in text and "save the sheet as CSV" in text
    with pytest.raises(InputError, match="old Excel workbook"):
        dvclean.score(path, label="y")


def test_library_format_names_fold_case(tmp_path):
    from dvclean.pipeline import default_output_path

    result = dvclean.score(frame(), label="y")
    out = dvclean.write_scores(result, tmp_path / "scores", format="CSV")
    assert pl.read_csv(out).height == 300
    assert default_output_path(tmp_path / "d.csv", "NDJSON").name == "d.dvclean.ndjson"


# ---------------------------------------------------------------- numbers written as text, encoded alike


def test_text_numbers_are_encoded_in_the_plain_columns_order(tmp_path):
    rng = np.random.default_rng(0)
    n = 600
    x = rng.normal(size=(n, 6))
    us, eu, cur = (np.round(np.abs(rng.normal(m, s, n)) + 1000, 1) for m, s in ((5000, 3000), (20000, 8000), (3000, 2000)))
    y = (x[:, 0] - x[:, 1] + (us - 5000) / 3000 + rng.logistic(size=n) > 0).astype(int)
    cols = {f"x{i}": x[:, i] for i in range(6)}
    plain = pl.DataFrame({**cols, "us": us, "eu": eu, "cur": cur, "y": y})
    text = pl.DataFrame({**cols, "us": [f"{v:,.1f}" for v in us],
                         "eu": [f"{v:,.1f}".replace(",", "_").replace(".", ",").replace("_", ".") for v in eu],
                         "cur": [f"${v:,.2f}" for v in cur], "y": y})
    plain.write_csv(tmp_path / "plain.csv")
    text.write_csv(tmp_path / "text.csv")
    config = ScoreConfig(methods=("knn", "oob"))
    a, b = (dvclean.score(tmp_path / f, label="y", config=config) for f in ("plain.csv", "text.csv"))
    assert b.table.frame.get_column("eu").dtype == pl.String  # (read as text, valued as numbers)
    assert a.data.feature_names == b.data.feature_names  # a forest's results depend on the columns' order
    np.testing.assert_array_equal(a.data.x, b.data.x)
    for method in ("knn", "oob"):
        np.testing.assert_array_equal(a.results[method].values, b.results[method].values)
    for flag in ("is_mislabeled", "is_hard"):
        assert a.frame.get_column(flag).to_list() == b.frame.get_column(flag).to_list()
