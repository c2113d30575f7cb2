"""A column name that is not one gets a "did you mean" and a listing that says how many columns it leaves out;
labels of only spaces are missing labels, named so, and not counted as a class in the task's reason."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.cli import app
from dvclean.errors import DataValidationError
from dvclean.table import close_column, column_listing, make_table, resolve_task

runner = CliRunner()


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def wide(tmp_path):
    """40 numeric columns c0..c39 and the label income_class last, beyond the 30 columns an error lists."""
    rng = np.random.default_rng(2)
    d = {f"c{i}": rng.normal(size=100) for i in range(40)}
    d["income_class"] = np.where(d["c0"] > 0, "a", "b")
    path = tmp_path / "wide2.csv"
    pl.DataFrame(d).write_csv(path)
    return path


def test_close_column_prefers_the_same_letters_in_another_case():
    assert close_column("Y", ["x", "y"]) == "y"
    assert close_column("INCOME_CLASS", ["income_class", "income_clas"]) == "income_class"
    assert close_column("income_clas", ["c0", "c1", "income_class"]) == "income_class"
    assert close_column("zzz", ["x1", "x2", "y"]) is None
    assert column_listing([f"c{i}" for i in range(41)]).endswith("'c29' ... and 11 more")
    assert column_listing(["a", "b"]) == "'a', 'b'"


@pytest.mark.parametrize("typed", ["income_clas", "Income_Class"])
def test_misspelt_label_suggests_the_column_and_counts_the_rest(wide, typed):
    res = runner.invoke(app, ["score", str(wide), "-y", typed, "-q"])
    assert res.exit_code == 2, res.output
    flat = _flat(res.stderr)
    assert (f"label column {typed!r} not found (did you mean 'income_class'?); pass --label (label= in Python) "
            "with one of: 'c0', 'c1'") in flat, flat
    assert "'c29' ... and 11 more" in flat, flat


def test_label_differing_only_in_case_is_suggested():
    frame = pl.DataFrame({"x": [1, 2, 3, 4], "y": ["a", "b", "a", "b"]})
    with pytest.raises(DataValidationError, match=r"label column 'Y' not found \(did you mean 'y'\?\); pass --label"):
        make_table(frame, label="Y")


def test_misspelt_id_suggests_the_column(wide):
    res = runner.invoke(app, ["score", str(wide), "-y", "income_class", "--id", "income_clas", "-q"])
    assert res.exit_code == 2, res.output
    flat = _flat(res.stderr)
    assert "id column 'income_clas' not found; did you mean 'income_class'? (columns: 'c0', 'c1'" in flat, flat
    assert "'c29' ... and 11 more)" in flat, flat


def test_misspelt_drop_suggests_the_column(wide):
    res = runner.invoke(app, ["score", str(wide), "-y", "c1", "--drop", "Income_Class", "--drop", "C2", "-q"])
    assert res.exit_code == 2, res.output
    flat = _flat(res.stderr)
    assert ("--drop names unknown columns 'Income_Class', 'C2'; did you mean 'income_class' for 'Income_Class', "
            "'c2' for 'C2'? (columns: 'c0'") in flat, flat
    assert "'c29' ... and 11 more)" in flat, flat
    res = runner.invoke(app, ["score", str(wide), "-y", "c1", "--drop", "Income_Class", "-q"])
    assert "--drop names unknown columns 'Income_Class'; did you mean 'income_class'? (columns:" in _flat(res.stderr)


def test_no_suggestion_when_nothing_is_close():
    frame = pl.DataFrame({"x": [1, 2, 3, 4], "z": [1, 2, 1, 2], "y": ["a", "b", "a", "b"]})
    with pytest.raises(DataValidationError) as info:
        make_table(frame, label="y", id_column="qqq", drop=["nope"])
    text = str(info.value)
    assert "id column 'qqq' not found (columns: 'x', 'z', 'y')" in text
    assert "unknown columns 'nope' (columns: 'x', 'z', 'y')" in text
    assert "did you mean" not in text and "more" not in text


def _blank_labels_csv(path):
    rng = np.random.default_rng(0)
    n = 200
    pl.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n), "y": np.where(rng.normal(size=n) > 0, "a", "b")}
                 ).with_columns(pl.when(pl.int_range(pl.len()) % 10 == 0).then(pl.lit("  ")).otherwise(pl.col("y"))
                                .alias("y")).write_csv(path)


def test_task_reason_counts_the_classes_not_blank_labels(tmp_path):
    assert resolve_task(pl.Series("y", ["a", "b", "  ", None, "a"])) == (
        "classification", "auto: String label with 2 distinct values")
    src = tmp_path / "ws_some.csv"
    _blank_labels_csv(src)
    res = runner.invoke(app, ["score", str(src), "-y", "y", "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 0, res.output
    assert "task: classification (auto: String label with 2 distinct values)" in res.stdout, res.stdout
    # --null-values '' cannot keep a blank label as a class: it stays missing (so no message offers that)
    res = runner.invoke(app, ["score", str(src), "-y", "y", "--null-values", "", "-o", str(tmp_path / "o2.csv"),
                              "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["task"]["reason"] == "auto: String label with 2 distinct values"
    assert doc["rows"]["label_missing"] == 20 and doc["classes"] == {"a": 87, "b": 93}


def test_labels_of_only_spaces_are_named_without_a_hint_that_fails(tmp_path):
    src = tmp_path / "blank.csv"
    src.write_text("x,y\n" + "".join(f"{i},  \n" for i in range(40)))
    res = runner.invoke(app, ["score", str(src), "-y", "y", "-q"])
    assert res.exit_code == 2
    flat = _flat(res.stderr)
    assert "label column 'y' is empty in every row: every cell holds only spaces" in flat, flat
    assert "--null-values ''" not in flat, flat
    frame = pl.DataFrame({"x": range(13), "y": ["a"] * 10 + [" "] * 3})
    with pytest.raises(DataValidationError) as info:
        make_table(frame, label="y")
    text = str(info.value)
    assert "one class only ('a') (3 other rows have no label: all of them hold only spaces" in text, text
    assert "--null-values ''" not in text, text


def test_blank_labels_beside_na_cells_keep_the_hint_for_the_na_cells():
    frame = pl.DataFrame({"x": range(15), "y": ["a"] * 10 + [" "] * 3 + [None] * 2})
    with pytest.raises(DataValidationError) as info:
        make_table(frame, label="y")
    text = str(info.value)
    assert "(5 other rows have no label: 3 of them hold only spaces" in text, text
    assert "NA, None or null; --null-values '' keeps a class spelled so)" in text, text
    frame = pl.DataFrame({"x": range(8), "y": [" "] * 5 + [None] * 3})
    with pytest.raises(DataValidationError, match=r"is empty in every row \(5 of them hold only spaces"):
        make_table(frame, label="y")
