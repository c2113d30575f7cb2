"""A CSV's class labels and row ids are their text: ``01`` and ``1`` are two classes, ``007`` and ``7``
two ids (QA findings #1, #2), a quoted header name keeps RFC 4180 quoting (#12), and an id column
named like a scores column is renamed with a note (#16)."""

from __future__ import annotations

import random

import polars as pl
import pytest

import dvclean
from dvclean.fix import FixConfig, fix, write_fixed
from dvclean.io import read_frame


def write_rows(path, header, rows):
    path.write_text(header + "\n" + "\n".join(",".join(r) for r in rows) + "\n")
    return path


def three_classes(tmp_path, name="lab01.csv", n=240):
    """Classes ``01``, ``1`` and ``2``, separated by the one feature x."""
    rnd = random.Random(2)
    rows = []
    for i in range(n):
        c = ["01", "1", "2"][i % 3]
        rows.append([f"{ {'01': 0, '1': 3, '2': 6}[c] + rnd.gauss(0, 0.6):.3f}", c])
    return write_rows(tmp_path / name, "x,y", rows)


def test_leading_zero_labels_are_distinct_classes(tmp_path):
    src = three_classes(tmp_path)
    r = dvclean.score(src, label="y")
    assert r.summary["classes"] == {"01": 80, "1": 80, "2": 80}
    assert r.frame.get_column("label").dtype == pl.String
    assert r.frame.get_column("label").head(3).to_list() == ["01", "1", "2"]
    assert r.table.source.text_columns == ("y",)
    out = tmp_path / "s.csv"
    dvclean.write_scores(r, out)
    assert sorted(set(pl.read_csv(out, infer_schema=False).get_column("label").to_list())) == ["01", "1", "2"]


def test_zero_padded_labels_keep_their_spelling_in_every_label_column(tmp_path):
    rows = [["0.1", "001"], ["0.2", "001"], ["0.3", "001"], ["3.1", "002"], ["3.2", "002"], ["3.3", "002"],
            ["0.15", "002"], ["3.15", "001"]]
    src = write_rows(tmp_path / "lab00.csv", "x,y", rows)
    r = dvclean.score(src, label="y", config=dvclean.ScoreConfig(knn=dvclean.KNNConfig(k=3)))
    f = r.frame
    assert set(f.get_column("label").to_list()) == {"001", "002"}
    assert set(f.get_column("neighbor_label").drop_nulls().to_list()) <= {"001", "002"}
    assert set(f.get_column("suggested_label").drop_nulls().to_list()) <= {"001", "002"}


def test_default_label_column_is_kept_as_text_too(tmp_path):
    src = three_classes(tmp_path)
    r = dvclean.score(src)  # the label is the one column named y
    assert set(r.summary["classes"]) == {"01", "1", "2"}


@pytest.mark.parametrize(
    ("values", "dtype"),
    [(["0", "1", "2"], pl.Int64), (["1", "-1", "1"], pl.Int64), (["yes", "no", "yes"], pl.String)],
)
def test_labels_whose_text_round_trips_keep_their_type(tmp_path, values, dtype):
    rows = [[str(i), values[i % len(values)]] for i in range(30)]
    src = write_rows(tmp_path / "d.csv", "x,y", rows)
    frame, info = read_frame(src, keep_text=["y"])
    assert frame.schema["y"] == dtype and info.text_columns == ()


def test_a_float_regression_target_stays_numeric(tmp_path):
    rnd = random.Random(0)
    rows = [[f"{i}", f"{rnd.uniform(0, 100):.2f}"] for i in range(60)]
    rows[0][1], rows[1][1] = "1.50", "07"  # trailing zero and even leading zeros: a continuous target is numbers
    src = write_rows(tmp_path / "t.csv", "x,y", rows)
    frame, info = read_frame(src, keep_text=["y"])
    assert frame.schema["y"] == pl.Float64 and info.text_columns == ()
    r = dvclean.score(src, label="y")
    assert r.table.task == "regression"


def test_a_float_class_column_with_leading_zeros_is_text(tmp_path):
    rows = [[str(i), ["01", "1", "2.0"][i % 3]] for i in range(30)]
    src = write_rows(tmp_path / "d.csv", "x,y", rows)
    frame, info = read_frame(src, keep_text=["y"])
    assert frame.schema["y"] == pl.String and info.text_columns == ("y",)
    # without keep_text the column is typed as before
    assert read_frame(src)[0].schema["y"] == pl.Float64


def test_explicit_regression_task_never_reads_the_target_as_text(tmp_path):
    rows = [[str(i), f"{i % 7:02d}"] for i in range(60)]
    src = write_rows(tmp_path / "t.csv", "x,y", rows)
    r = dvclean.score(src, label="y", config=dvclean.ScoreConfig(task="regression"))
    assert r.table.task == "regression" and r.frame.get_column("label").dtype.is_numeric()


def zero_padded_ids(tmp_path, sample_csv, clash=True):
    df = pl.read_csv(sample_csv).head(300)
    ids = [f"{i:03d}" for i in range(300)]
    if clash:
        ids[5] = "7"  # "007" (row 7) and "7" (row 5) are two ids
    path = tmp_path / "idzero.csv"
    df.with_columns(pl.Series("acct", ids)).write_csv(path)
    return path, ids


def test_ids_with_leading_zeros_are_compared_as_text(tmp_path, sample_csv):
    src, ids = zero_padded_ids(tmp_path, sample_csv)
    r = dvclean.score(src, label="income", id_column="acct")
    assert r.frame.columns[0] == "acct"
    assert r.frame.get_column("acct").to_list() == ids


def test_fix_summary_and_output_spell_ids_and_labels_as_the_file(tmp_path, sample_csv):
    src, ids = zero_padded_ids(tmp_path, sample_csv, clash=False)
    res = fix(src, label="income", id_column="acct", drop=("age",), config=FixConfig(action="drop"))
    assert res.summary["flagged_rows"] and all(isinstance(v, str) and len(v) == 3 for v in res.summary["flagged_rows"])
    out = write_fixed(res, tmp_path / "o.parquet")
    got = pl.read_parquet(out)
    assert got.schema["acct"] == pl.String and "age" in got.columns


def test_fix_relabel_with_drop_reads_the_label_as_the_valuation(tmp_path):
    src = three_classes(tmp_path)
    # one "01" row among the 2s: relabelled, and every class keeps its spelling
    text = src.read_text().splitlines()
    text[2] = "6.000,01"
    src.write_text("\n".join(text) + "\n")
    src2 = tmp_path / "with_extra.csv"
    src2.write_text("\n".join([text[0] + ",note"] + [t + ",n" for t in text[1:]]) + "\n")
    res = fix(src2, label="y", drop=("note",), config=FixConfig(action="relabel", min_confidence=0.0))
    assert res.frame.schema["y"] == pl.String
    assert set(res.frame.get_column("y").to_list()) <= {"01", "1", "2"}
    out = write_fixed(res, tmp_path / "fixed.csv")
    lines = out.read_text().splitlines()
    assert lines[2].split(",")[1] in ("2", "01")  # relabelled to the file's spelling of a class (never "1" for "01")
    assert {ln.split(",")[1] for ln in lines[1:]} <= {"01", "1", "2"}


def test_validation_labels_are_read_like_the_data_labels(tmp_path):
    data = three_classes(tmp_path, "d.csv", n=240)
    valid = three_classes(tmp_path, "v.csv", n=90)
    r = dvclean.score(data, label="y", valid=valid)
    assert r.summary["validation"] == "file (90 rows)"
    assert set(r.summary["classes"]) == {"01", "1", "2"}
    # a Parquet validation file (typed labels) is cast to text like the data's
    pl.read_csv(valid, schema_overrides={"y": pl.String}).write_parquet(tmp_path / "v.parquet")
    r2 = dvclean.score(data, label="y", valid=tmp_path / "v.parquet")
    assert r2.summary["validation"] == "file (90 rows)"


def test_validation_labels_stay_numbers_when_the_data_labels_are(tmp_path):
    rows = [[f"{(i % 2) * 3 + (i % 5) / 10:.2f}", str(i % 2)] for i in range(60)]
    data = write_rows(tmp_path / "d.csv", "x,y", rows)
    vrows = [[f"{(i % 2) * 3:.2f}", ["0", "01"][i % 2]] for i in range(20)]  # "01" is the class 1 here
    valid = write_rows(tmp_path / "v.csv", "x,y", vrows)
    r = dvclean.score(data, label="y", valid=valid)
    assert r.summary["classes"] == {"0": 30, "1": 30} and r.summary["validation"] == "file (20 rows)"


def test_quoted_header_with_doubled_quotes(tmp_path):
    rnd = random.Random(1)
    body = "\n".join(f"{(i % 2) * 2 + rnd.gauss(0, .6):.3f},{i % 2},{rnd.random():.2f}" for i in range(200))
    src = tmp_path / "qhdr.csv"
    src.write_text('"x,1","the ""y""",z\n' + body + "\n")
    frame, info = read_frame(src)
    assert frame.columns == ["x,1", 'the "y"', "z"] and info.columns == ("x,1", 'the "y"', "z")
    r = dvclean.score(src, label='the "y"')
    assert r.table.label == 'the "y"'
    res = fix(src, label='the "y"', config=FixConfig(action="mark"))
    out = write_fixed(res, tmp_path / "q.fixed.csv")
    assert out.read_text().splitlines()[0] == '"x,1","the ""y""",z,dvclean_issue'


def test_excluded_columns_still_get_their_header_names(tmp_path):
    src = tmp_path / "d.csv"
    src.write_text('a,"b ""q""",c\n1,2,3\n4,5,6\n')
    frame, _ = read_frame(src, exclude=["a"])
    assert frame.columns == ['b "q"', "c"]


@pytest.mark.parametrize("id_name", ["label", "value", "suggested_label"])
def test_an_id_named_like_a_scores_column_is_renamed_with_a_note(tmp_path, id_name):
    rnd = random.Random(3)
    rows = [[f"k{i}", f"{(i % 2) * 2 + rnd.random():.2f}", str(i % 2)] for i in range(200)]
    rows[10][2] = "0" if rows[10][2] == "1" else "1"  # a flagged row, so suggested_label holds a value
    src = write_rows(tmp_path / "coll.csv", f"{id_name},x,y", rows)
    r = dvclean.score(src, label="y", id_column=id_name)
    assert r.frame.columns[0] == "row_id"
    assert r.frame.get_column("row_id").to_list() == [f"k{i}" for i in range(200)]
    assert r.frame.columns.count(id_name) == 1  # the scores column itself, not overwritten by the ids
    assert any(f"id column {id_name!r} is written as 'row_id'" in n for n in r.summary["notes"])
    plain = dvclean.score(src, label="y")
    assert not any("is written as" in n for n in plain.summary["notes"])
