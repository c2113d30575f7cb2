"""QA round 42, the library's arguments and results: a table's text or an empty path passed as the source, a NUL in
an output path, a Series or a MultiIndex tuple where a column name belongs, pandas' to_csv index column, a sparse
column, a column dropped twice, checkpoint= without a resumable method, unlabelled validation rows, short reprs of
FixResult and ReportData, and which id column the summary's row ids name."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

import dvclean
import dvclean.fix
from dvclean.errors import ConfigError, InputError, OutputError
from dvclean.report import build_report


def _frame(n: int = 80, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return pd.DataFrame({"ash": rng.normal(size=n) + y, "b": rng.normal(size=n), "y": y})


# ---------------------------------------------------------------- A: what is no path at all


def test_csv_text_as_source_is_an_input_error_saying_so():
    text = _frame().to_csv(index=False)
    with pytest.raises(InputError, match=r"looks like CSV text .*not a file path.*no text or file-like object"):
        dvclean.score(text, label="y")
    with pytest.raises(InputError, match=r"looks like CSV text"):  # (a short one: no "File name too long" either)
        dvclean.score("a,y\n1,0\n2,1\n", label="y")


def test_csv_text_as_valid_is_an_input_error_saying_so():
    df = _frame(120)
    with pytest.raises(InputError, match=r"looks like CSV text"):
        dvclean.score(df[:80], label="y", valid=df[80:].to_csv(index=False))


def test_empty_path_says_the_path_is_empty():
    with pytest.raises(InputError, match=r"the path is empty") as err:
        dvclean.score("", label="y")
    assert "directory" not in str(err.value)


def test_nul_in_an_output_path_is_an_output_error(tmp_path):
    r = dvclean.score(_frame(), label="y")
    with pytest.raises(OutputError, match=r"NUL character"):
        dvclean.write_scores(r, tmp_path / "a\x00.parquet")
    with pytest.raises(OutputError, match=r"NUL character"):
        dvclean.write_scores(r, "out/a\x00.parquet")
    with pytest.raises(OutputError, match=r"the path is empty"):
        dvclean.write_scores(r, "")


# ---------------------------------------------------------------- B, C: a Series or a tuple for a column name


@pytest.mark.parametrize("kw", ["label", "id_column", "drop_list", "drop_series"])
def test_a_series_for_a_column_name_is_named_not_printed(kw):
    df = _frame()
    s = df["y"] if kw == "label" else df["b"]
    args = {"label": s} if kw == "label" else {"label": "y", "id_column": s} if kw == "id_column" else (
        {"label": "y", "drop": [s]} if kw == "drop_list" else {"label": "y", "drop": s})
    with pytest.raises(TypeError) as err:
        dvclean.score(df, **args)
    msg = str(err.value)
    assert "\n" not in msg and len(msg) < 200, msg
    assert "a pandas Series named" in msg
    assert ("pass label='y'" if kw == "label" else "pass id_column='b'" if kw == "id_column" else "pass drop=['b']") in msg


def test_a_polars_series_and_fix_say_the_same():
    df = _frame()
    with pytest.raises(TypeError, match=r"got a polars Series named 'y': pass label='y'$"):
        dvclean.score(pl.from_pandas(df), label=pl.from_pandas(df)["y"])
    with pytest.raises(TypeError, match=r"^fix\(label=\.\.\.\) takes a column name, got a pandas Series named 'y': pass "
                                        r"label='y'$"):
        dvclean.fix.fix(df, label=df["y"])


def test_another_object_for_a_column_name_is_cut_short():
    with pytest.raises(TypeError) as err:
        dvclean.score(_frame(), label=np.arange(1000))
    assert len(str(err.value)) < 160 and "\n" not in str(err.value) and str(err.value).endswith("...")


def test_a_multiindex_tuple_names_the_flattened_column():
    df = _frame()
    df.columns = pd.MultiIndex.from_tuples([("f", "ash"), ("f", "b"), ("t", "y")])
    with pytest.raises(TypeError) as err:
        dvclean.score(df, label=("t", "y"))
    assert "pass label=\"('t', 'y')\"" in str(err.value) and "MultiIndex" in str(err.value)
    r = dvclean.score(df, label="('t', 'y')")  # the name the message gives is the converted frame's
    assert r.table.label == "('t', 'y')"


# ---------------------------------------------------------------- D: pandas' index column, a sparse column


def test_pandas_to_csv_index_column_gets_a_hint(tmp_path):
    path = tmp_path / "d.csv"
    _frame().to_csv(path)  # (index=True: a blank first header field)
    with pytest.raises(InputError, match=r"column 1 of the header has no name.*pandas' to_csv with its index.*"
                                         r"index=False"):
        dvclean.score(path, label="y")


def test_a_blank_later_header_field_gets_no_pandas_hint(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(40)))
    with pytest.raises(InputError, match=r"column 2 of the header has no name") as err:
        dvclean.score(path, label="y")
    assert "to_csv" not in str(err.value)


def test_a_sparse_column_is_told_to_be_made_dense():
    df = _frame()
    df["ash"] = pd.arrays.SparseArray(df["ash"].round(0).to_numpy())
    with pytest.raises(InputError, match=r"sparse\.to_dense\(\)") as err:
        dvclean.score(df, label="y")
    assert "astype(str)" not in str(err.value)


# ---------------------------------------------------------------- E: a column dropped twice


def test_a_column_dropped_twice_is_listed_once():
    df = _frame()
    df["c"] = 1.0
    r = dvclean.score(df, label="y", drop=["ash", "c", "ash"])
    assert r.summary["features"]["dropped_by_user"] == ["ash", "c"]


# ---------------------------------------------------------------- F: checkpoint= without tmc or dvgs


def test_checkpoint_without_a_resumable_method_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"checkpoint= applies to tmc and dvgs only.*\('knn',\).*drop checkpoint="):
        dvclean.score(_frame(), label="y", checkpoint=tmp_path / "run.checkpoint")
    assert not (tmp_path / "run.checkpoint").exists()
    with pytest.raises(TypeError, match="checkpoint must be a file path or a dvclean Checkpoint"):  # (the type first)
        dvclean.score(_frame(), label="y", checkpoint=123)


# ---------------------------------------------------------------- G: validation rows without a label


def test_unlabelled_validation_rows_get_a_note_and_a_frame_is_called_a_frame(tmp_path):
    df = _frame(120)
    valid = df[80:].copy()
    valid["y"] = valid["y"].astype(float)
    valid.iloc[:3, valid.columns.get_loc("y")] = np.nan
    train = df[:80].astype({"y": float})
    r = dvclean.score(train, label="y", valid=valid)
    assert r.summary["validation"] == "frame (37 rows)"
    assert any("3 of the 40 rows of the validation frame (valid=) have no label 'y'" in n for n in r.summary["notes"])
    vpath = tmp_path / "v.csv"
    valid.to_csv(vpath, index=False)
    r = dvclean.score(train, label="y", valid=vpath)
    assert r.summary["validation"] == "file (37 rows)"
    assert any(f"3 of the 40 rows of the validation file {vpath} have no label" in n for n in r.summary["notes"])


def test_fully_labelled_validation_rows_get_no_note():
    df = _frame(120)
    r = dvclean.score(df[:80], label="y", valid=df[80:])
    assert r.summary["validation"] == "frame (40 rows)"
    assert not any("have no label" in n for n in r.summary["notes"])


# ---------------------------------------------------------------- H: short reprs


def test_fix_result_and_report_data_have_a_short_repr():
    df = _frame(200)
    f = dvclean.fix.fix(df, label="y")
    text = repr(f)
    assert text.startswith("FixResult(action='mark', rows_in=200, rows_out=200, flagged=") and "\n" not in text
    assert len(text) < 200
    report = build_report(dvclean.score(df, label="y"))
    text = repr(report)
    assert text.startswith("ReportData(200 rows, task='classification', label='y'") and "\n" not in text
    assert len(text) < 300


# ---------------------------------------------------------------- I: which column the row ids are


def test_summaries_name_the_id_column_of_their_row_ids():
    df = _frame()
    df.insert(0, "pid", [f"p{i:03d}" for i in range(len(df))])
    r = dvclean.score(df, label="y", id_column="pid")
    # the key stays row_id (as dvclean check's rows and the CLI read it); the summary names the column it comes from
    assert r.summary["id_column"] == "pid" and r.frame.columns[0] == "pid"
    assert r.summary["most_suspicious"][0]["row_id"] in set(df["pid"])
    assert "most_suspicious" in (dvclean.ScoreResult.__doc__ or "")
    f = dvclean.fix.fix(df, label="y", id_column="pid")
    assert f.summary["id_column"] == "pid" and set(f.summary["flagged_rows"]) <= set(df["pid"])


def test_cli_given_a_directory_or_an_empty_path_says_so(tmp_path, monkeypatch):
    """(was: an internal error, "PosixPath('.') has an empty name", from the default output path)"""
    from typer.testing import CliRunner

    from dvclean.cli import app

    monkeypatch.chdir(tmp_path)
    for command in ("score", "fix"):
        res = CliRunner().invoke(app, [command, "."])
        assert res.exit_code == 2 and "is a directory, not a data file" in res.output, res.output
        res = CliRunner().invoke(app, [command, ""])
        assert res.exit_code == 2 and "the path is empty" in res.output, res.output
