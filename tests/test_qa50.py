"""QA round 86 (library API, label types, report inputs). A CSV column of non-ASCII digits (Arabic-Indic ``١``,
full-width ``１``) could not be read at all: the reader's type guess takes any Unicode digit for a number, its
parser only ASCII ones, and the error blamed the separator. ``dvclean report`` trusted ``value_rank`` (an edited
file listed its "most harmful" rows in any order) and did not count its own output as written when stdout failed.
Library callers got raw polars/numpy/KeyError exceptions from a LazyFrame that fails, wrong-type read options
and an unknown method name."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import dvclean
from dvclean.cli import app
from dvclean.errors import ConfigError, InputError
from tests.conftest import needs_sdv

runner = CliRunner()


def _two_classes(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    c = np.arange(n) % 2
    return np.c_[rng.normal(size=n) + 3 * c, rng.normal(size=n)], c


@pytest.mark.parametrize("digits", ["١٢", "１２", "१२"])
def test_a_label_of_non_ascii_digits_is_read_as_its_text_and_relabel_writes_it_back(tmp_path, digits):
    x, c = _two_classes()
    y = [digits[k] for k in c]
    y[7] = digits[1 - c[7]]  # one flipped label, at the centre of its true class
    x[7] = [3.0, 0.0] if c[7] else [0.0, 0.0]
    src = tmp_path / "d.csv"
    src.write_text("a,b,y\n" + "".join(f"{a:.3f},{b:.3f},{v}\n" for (a, b), v in zip(x, y, strict=True)), "utf-8")
    before = src.read_bytes()
    out = tmp_path / "fixed.csv"
    res = runner.invoke(app, ["fix", str(src), "-y", "y", "--action", "relabel", "--method", "knn", "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    assert src.read_bytes() == before
    lines_in, lines_out = before.decode().splitlines(), out.read_text("utf-8").splitlines()
    changed = [i for i, (a, b) in enumerate(zip(lines_in, lines_out, strict=True)) if a != b]
    assert changed and 8 in changed  # (line 8 is row 7) restored, written in the input's digits
    assert lines_out[8].endswith(f",{digits[c[7]]}")
    assert {line.rsplit(",", 1)[1] for line in lines_out[1:]} == set(digits)


def test_a_feature_of_non_ascii_digits_is_a_text_column_not_an_error(tmp_path):
    x, c = _two_classes()
    src = tmp_path / "f.csv"
    src.write_text("a,code,y\n" + "".join(f"{a:.3f},{'١٢٣'[i % 3]},{k}\n" for i, ((a, _), k) in enumerate(zip(x, c, strict=True))),
                   "utf-8")
    r = dvclean.score(str(src), label="y", config=dvclean.ScoreConfig(methods=("knn",)))
    assert r.table.frame.schema["code"] == pl.String and r.frame.height == 60


def test_a_lazyframe_that_cannot_be_collected_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"LazyFrame could not be collected \(FileNotFoundError"):
        dvclean.score(pl.scan_csv(tmp_path / "nope.csv"), label="y")
    with pytest.raises(InputError, match='ColumnNotFoundError: unable to find column "zz"'):
        dvclean.score(pl.LazyFrame({"a": [1, 2]}).with_columns(pl.col("zz")), label="y")


def test_read_options_of_the_wrong_type_are_type_errors_that_say_so(tmp_path):
    src = tmp_path / "d.csv"
    src.write_text("a,y\n1,x\n2,y\n", "utf-8")
    with pytest.raises(TypeError, match="null_values must be a string or a list of strings, not 5"):
        dvclean.read_frame(str(src), null_values=5)
    with pytest.raises(TypeError, match=r"null_values must be a string or a list of strings, not \['NA', 3\]"):
        dvclean.score(str(src), label="y", read_options={"null_values": ["NA", 3]})
    with pytest.raises(TypeError, match="separator must be a one-character string"):
        dvclean.read_frame(str(src), separator=44)
    with pytest.raises(TypeError, match=r"stdin must be a binary stream .* \(StringIO\)"):
        dvclean.read_frame("-", stdin=io.StringIO("a,y\n1,x\n"))
    frame, _ = dvclean.read_frame("-", stdin=io.BytesIO(b"a,y\n1,x\n"))
    assert frame.shape == (1, 2)


def test_make_valuer_names_the_registered_methods():
    from dvclean.valuation import make_valuer

    with pytest.raises(ConfigError, match="unknown method 'nope'; available: knn, "):
        make_valuer("nope", dvclean.ScoreConfig())


@pytest.fixture(scope="module")
def scores_csv(tmp_path_factory) -> Path:
    x, c = _two_classes(80, seed=3)
    df = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": np.where(c == 1, "p", "q")})
    r = dvclean.score(df, label="y", config=dvclean.ScoreConfig(methods=("knn",)))
    path = tmp_path_factory.mktemp("qa50") / "s.csv"
    dvclean.write_scores(r, path)
    return path


@pytest.mark.parametrize(("edit", "message"), [
    (pl.col("value_rank").reverse(), "column value_rank does not follow column value"),
    (pl.lit(1).alias("value_rank"), "column value_rank must number the 80 rows with a label 1 to 80, each once"),
    (pl.lit(None, dtype=pl.Int64).alias("value_rank"), "column value_rank is empty at rows 0, 1, 2, 3, 4 and 75 more"),
    (pl.when(pl.int_range(pl.len()) == 21).then(None).otherwise(pl.col("is_mislabeled")).alias("is_mislabeled"),
     "column is_mislabeled is empty at row 21, where is_label_missing is false"),
])
def test_report_refuses_ranks_and_flags_that_contradict_the_values(tmp_path, scores_csv, edit, message):
    edited = tmp_path / "edited.csv"
    pl.read_csv(scores_csv).with_columns(edit).write_csv(edited)
    res = runner.invoke(app, ["report", str(edited), "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 2 and message in res.output and "the file looks edited" in res.output
    assert not (tmp_path / "r.html").exists()
    assert runner.invoke(app, ["report", str(scores_csv), "-o", str(tmp_path / "ok.html"), "-q"]).exit_code == 0


def test_report_with_a_regression_footer_on_class_labels_is_refused(tmp_path):
    import json

    import pyarrow.parquet as pq

    x, c = _two_classes(40)
    r = dvclean.score(pl.DataFrame({"a": x[:, 0], "y": np.where(c == 1, ">50K", "<=50K")}), label="y",
                      config=dvclean.ScoreConfig(methods=("knn",)))
    path = tmp_path / "s.parquet"
    dvclean.write_scores(r, path)
    table = pq.read_table(path)
    meta = dict(pq.read_metadata(path).metadata)
    doc = json.loads(meta[b"dvclean"])
    doc["task"] = "regression"
    meta[b"dvclean"] = json.dumps(doc).encode()
    pq.write_table(table.replace_schema_metadata(meta), tmp_path / "edited.parquet")
    res = runner.invoke(app, ["report", str(tmp_path / "edited.parquet"), "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 2, res.output
    assert "records a regression target, but column label holds text at rows 0, 1, 2" in res.output


def test_report_names_its_html_as_written_when_stdout_fails(tmp_path, scores_csv):
    out = tmp_path / "r.html"
    with open("/dev/full", "w") as full:
        res = subprocess.run([sys.executable, "-m", "dvclean", "report", str(scores_csv), "-o", str(out)],
                             stdout=full, stderr=subprocess.PIPE, text=True, timeout=300)
    assert res.returncode == 2, res.stderr
    assert f"(already written in full: {out})" in res.stderr
    assert out.read_text("utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(("dtype", "advice"), [
    (pl.List(pl.Int64), "pl.col(name).list.first()"),
    (pl.Binary, "decode the bytes to text (in polars, pl.col(name).cast(pl.String))"),
])
def test_a_nested_or_binary_label_is_refused_with_the_way_to_convert_it(dtype, advice):
    values = [[0], [1]] * 10 if dtype != pl.Binary else [b"a", b"b"] * 10
    df = pl.DataFrame({"x": np.arange(20.0), "y": pl.Series(values, dtype=dtype)})
    with pytest.raises(dvclean.errors.DataValidationError, match="it must hold class names or numbers: ") as err:
        dvclean.score(df, label="y")
    assert advice in str(err.value)


def test_sha_of_the_input_is_unchanged_by_a_failed_read(tmp_path):
    """The retry that reads a column of non-ASCII digits as text reads the file again: the input stays as it was."""
    src = tmp_path / "d.csv"
    src.write_text("a,y\n١,x\n٢,y\n3,x\n", "utf-8")
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    frame, _ = dvclean.read_frame(str(src))
    assert frame.schema["a"] == pl.String and frame.get_column("a").to_list() == ["١", "٢", "3"]
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before


def test_the_one_permutation_note_says_where_a_cross_fitted_standard_error_comes_from():
    """A --time-budget stop after one permutation per fold: cross-fitted, the rows still get the spread across the
    folds as their standard error (the note said they got none); with --valid (one game) they get none."""
    from dvclean.pipeline import _budget_note
    from dvclean.valuation import ValuationResult

    def result(stderr):
        return ValuationResult(method="tmc", values=np.zeros(4), stderr=stderr, status="budget_exhausted",
                               params={"time_budget": 0.001}, seed=0,
                               diagnostics={"stop": ["time_budget"], "permutations": [1, 1]})

    crossfit = _budget_note("tmc", result(np.r_[0.1, 0.2, 0.0, 0.1]), 1.0, primary=True)
    assert "(one sample has no spread of its own: stderr_tmc is only the spread of the values across the folds)" in crossfit
    one_game = _budget_note("tmc", result(np.full(4, np.nan)), 1.0, primary=True)
    assert "(one sample gives no standard error: the rows it values get none)" in one_game


def test_a_marker_column_resaved_as_numbers_is_a_feature_with_a_note():
    """`augment`'s dvclean_synthetic column re-saved by another tool as 0/1: used as a feature (it may be the user's
    own column of that name), and the note says so and how to leave it out."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60)
    df = pl.DataFrame({"a": rng.normal(size=60) + y, "dvclean_synthetic": (np.arange(60) % 5 == 0).astype(int), "y": y})
    r = dvclean.score(df, label="y", config=dvclean.ScoreConfig(methods=("knn",)))
    assert "dvclean_synthetic" in r.summary["features"]["columns"]
    assert ("column 'dvclean_synthetic' has the name of the column `dvclean augment` adds, but holds Int64 values, not "
            "true/false: it is used as a feature; if it is that mark saved by another tool, write it back as true/false "
            "(so its synthetic rows are known as such)") in r.summary["notes"]
    marked = dvclean.score(df.with_columns(pl.col("dvclean_synthetic").cast(pl.Boolean)), label="y",
                           config=dvclean.ScoreConfig(methods=("knn",)))
    assert "dvclean_synthetic" not in marked.summary["features"]["columns"]


def test_rows_holding_only_a_constant_column_are_not_conflicting_duplicates(tmp_path):
    """A constant column beside a mostly empty one: rows with no other value hold nothing but the constant, which
    every row has; they were counted as copies of each other (195 of 200 conflicting)."""
    a = [None] * 200
    a[:5] = [0.5, -1.0, 2.0, 0.1, 1.1]
    src = tmp_path / "d.csv"
    pl.DataFrame({"a": a, "k": [1.0] * 200, "y": [i % 2 for i in range(200)]}).write_csv(src)
    res = runner.invoke(app, ["check", str(src), "-y", "y", "--method", "knn", "--max-conflicting-duplicates", "0"])
    assert res.exit_code == 0, res.output
    assert "PASS conflicting_duplicates 0" in res.output
    # every column constant: the rows are one record, and different labels conflict
    const = tmp_path / "c.csv"
    pl.DataFrame({"k": [1.0] * 6, "y": [0, 1] * 3}).write_csv(const)
    from dvclean.check import conflicting_duplicate_rows

    assert conflicting_duplicate_rows(pl.read_csv(const), ["k"], "y").tolist() == [0, 1, 2, 3, 4, 5]


def test_the_hard_count_note_gives_the_share_a_tie_block_made():
    """Rows of equal value at the --hard-frac cut are taken together when half the block fits: here 617 hard rows of
    5,000 (12.34%), and the note said that a limit at the 10% share always passes."""
    from dvclean.check import CheckPolicy, evaluate_check

    rng = np.random.default_rng(9)
    n = 5000
    b = rng.integers(0, 2, size=(n, 3))
    y = ((b.sum(1) + (rng.random(n) < 0.3)) >= 2).astype(int)
    df = pl.DataFrame({"a": b[:, 0], "b": b[:, 1], "c": b[:, 2], "y": y})
    r = dvclean.score(df, label="y", config=dvclean.ScoreConfig(methods=("knn",)))
    out = evaluate_check(r, CheckPolicy(max_hard="10%"))
    (hard,) = [c for c in out.checks if c.name == "hard"]
    (note,) = [n for n in out.notes if n.startswith("the hard rows are")]
    assert (hard.count, hard.status) == (617, "fail")
    assert ("(617 rows here), and rows of equal value at the cut are taken together, which made it 12.34% of the rows: "
            "a --max-hard / --warn-hard of 617 rows or more always passes and one below 617 rows always fails") in note
    assert "at or above 10%" not in note
    # a continuous feature: no ties at the cut, and the share holds
    distinct = df.with_columns(pl.Series("u", rng.normal(size=n)))
    r = dvclean.score(distinct, label="y", config=dvclean.ScoreConfig(methods=("knn",)))
    assert "(--hard-frac) of the rows not flagged mislabeled, so their count is set by that share (" in \
        evaluate_check(r, CheckPolicy(max_hard="10%")).notes[-1]
    assert "rows here): a --max-hard / --warn-hard at or above 10% always passes" in \
        evaluate_check(r, CheckPolicy(max_hard="10%")).notes[-1]


@pytest.mark.parametrize(("make", "message"), [
    ("bz2", "is bzip2-compressed, and dvclean reads gzip- and zstd-compressed files only: decompress it first, bunzip2"),
    ("lzma", "is xz-compressed, and dvclean reads gzip- and zstd-compressed files only: decompress it first, unxz"),
    ("sqlite", "is an SQLite database, which dvclean does not read: export the table as CSV first"),
])
def test_bzip2_xz_and_sqlite_inputs_are_named_with_the_way_to_convert_them(tmp_path, make, message):
    import bz2
    import lzma
    import sqlite3

    text = b"a,y\n1,x\n2,y\n3,x\n4,y\n"
    src = tmp_path / f"d.{make}"
    if make == "sqlite":
        with sqlite3.connect(src) as con:
            con.execute("create table t(a, y)")
    else:
        src.write_bytes((bz2 if make == "bz2" else lzma).compress(text))
    for extra in ([], ["--input-format", "csv"]):  # (the advice was to pass --input-format, which changed nothing)
        res = runner.invoke(app, ["score", str(src), "-y", "y", "-o", str(tmp_path / "o.parquet"), *extra])
        assert res.exit_code == 2 and message in " ".join(res.output.split()), res.output


def test_a_signal_while_the_finished_process_shuts_down_says_what_was_written(tmp_path):
    """After main() returns, the interpreter's shut-down (atexit work, seconds with the models' libraries loaded) met
    a SIGTERM with the default handler: exit 143 without a word, although every output was in place."""
    script = (
        "import os, signal, sys, time\n"
        "sys.modules['__main__'].__file__ = '/usr/bin/dvclean'\n"
        "from dvclean.cli import _exit_on_late_signals, _process_entry\n"
        "from dvclean.cli import _output\n"
        "assert _process_entry()\n"
        f"_output._COMMITTED.append(__import__('pathlib').Path({str(tmp_path / 'out.csv')!r}))\n"
        "_exit_on_late_signals(1)\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "time.sleep(30)\n"
    )
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert res.returncode == 143, res.stderr
    assert res.stderr == (f"terminated just after the run finished (exit 1); every output had already been written in "
                          f"full: {tmp_path / 'out.csv'}\n")


@needs_sdv
def test_a_class_below_the_generators_minimum_is_not_offered_include_mislabeled(tmp_path):
    """A 4-row class inside another class's region is flagged mislabeled: the note offered `--target class:t
    --include-mislabeled`, and the refusal of `--target class:t` said `--include-mislabeled keeps them`, though 4 rows
    are fewer than the 10 a generator needs either way."""
    rng = np.random.default_rng(4)
    x = np.r_[rng.normal(0, 1, (100, 2)), rng.normal(6, 1, (100, 2)), rng.normal(0, 0.3, (4, 2))]
    y = ["a"] * 100 + ["b"] * 100 + ["t"] * 4
    src = tmp_path / "d.csv"
    pl.DataFrame({"u": x[:, 0], "v": x[:, 1], "y": y}).write_csv(src)
    out = tmp_path / "aug.csv"
    res = runner.invoke(app, ["augment", str(src), "-y", "y", "-g", "gaussian-copula", "-n", "20", "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert ("of class 't'" in text and "or keep them in the training rows with --include-mislabeled (its 4 rows are "
            "fewer than the 10 a generator of the class alone would need)") in text
    assert "--target class:t --include-mislabeled" not in text
    res = runner.invoke(app, ["augment", str(src), "-y", "y", "-g", "gaussian-copula", "-n", "20", "-t", "class:t",
                              "-o", str(tmp_path / "t.csv")])
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    # refused before the valuation (session 51): the class has 4 rows in all, flags or not
    assert ("--target class:t selects at most 4 rows to train the generator: the class 't' of the label 'y' has 4 "
            "labelled rows in all, fewer than the 10 a generator needs; add rows of it, or target more classes") in text
    assert "--include-mislabeled" not in text and "valuing" not in text


def test_the_hard_count_note_with_no_hard_row_says_no_limit_fails():
    """--hard-frac 0 flags no hard row: the note said "one below 0 rows always fails"."""
    from dvclean.check import CheckPolicy, evaluate_check

    x, c = _two_classes(60)
    r = dvclean.score(pl.DataFrame({"a": x[:, 0], "y": c}), label="y",
                      config=dvclean.ScoreConfig(methods=("knn",), flags=dvclean.FlagPolicy(hard_fraction=0.0)))
    (note,) = [n for n in evaluate_check(r, CheckPolicy(max_hard="5")).notes if n.startswith("the hard rows are")]
    assert "(0 rows here): a --max-hard / --warn-hard at or above 0% always passes;" in note
    assert "below 0 rows" not in note


def test_a_csv_whose_header_starts_like_bzip2_is_read_as_csv(tmp_path):
    src = tmp_path / "d.csv"
    src.write_text("BZh9,y\n1,a\n2,b\n", "utf-8")
    frame, _ = dvclean.read_frame(str(src))
    assert frame.columns == ["BZh9", "y"] and frame.height == 2


def test_a_late_signal_after_a_failed_run_says_nothing_was_written():
    script = (
        "import os, signal, sys, time\n"
        "sys.modules['__main__'].__file__ = '/usr/bin/dvclean'\n"
        "from dvclean.cli import _exit_on_late_signals\n"
        "_exit_on_late_signals(2)\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "time.sleep(30)\n"
    )
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert (res.returncode, res.stderr) == (143, "terminated just after the run finished (exit 2); no output was written\n")
