"""QA 41: `dvclean report` refuses a scores file whose columns contradict each other (a hand-edited file printed
'1900 likely mislabeled (1900.00%)'), and an HTML or JUnit XML output named like a data file is refused."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.cli import app
from dvclean.errors import InputError
from dvclean.report import build_report_from_files

from .test_check import FLIPS, clusters

runner = CliRunner()
EDITED = "the file looks edited, or was not written by `dvclean score`; re-run `dvclean score`"


def flat(text: str) -> str:
    return " ".join(text.split())


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """120 rows, two classes, six flipped labels and two empty ones (rows 0 and 60: unvalued)."""
    src = tmp_path_factory.mktemp("qa41r") / "d.csv"
    df = clusters(flips=FLIPS)
    df.with_columns(pl.when(pl.int_range(pl.len()).is_in([0, 60])).then(None).otherwise(pl.col("y")).alias("y")
                    ).write_csv(src)
    return src


@pytest.fixture(scope="module")
def scores(data) -> Path:
    out = data.with_name("d.scores.csv")
    res = run("score", data, "-y", "y", "-q", "-o", out)
    assert res.exit_code == 0, res.output
    return out


def refused(path: Path, tmp_path: Path) -> str:
    html = tmp_path / "r.html"
    res = run("report", path, "-q", "-o", html)
    assert res.exit_code == 2, res.output
    msg = flat(res.stderr)
    assert msg.count("error:") == 1 and "internal error" not in msg and EDITED in msg, msg
    assert not html.exists()
    with pytest.raises(InputError):
        build_report_from_files(path)
    return msg


# ---------------------------------------------------------------- bug 1: a scores file that contradicts itself


def test_every_row_marked_label_missing_is_refused(tmp_path, scores):
    # the reported case: the header read 'N likely mislabeled (1900.00%)'
    bad = tmp_path / "allmissing.csv"
    pl.read_csv(scores).with_columns(pl.lit(True).alias("is_label_missing")).write_csv(bad)
    flagged = pl.read_csv(scores).with_row_index().filter(pl.col("is_mislabeled")).get_column("index").to_list()
    msg = refused(bad, tmp_path)
    assert f"column is_mislabeled is true at rows {flagged[0]}, {flagged[1]}" in msg, msg
    assert "is_label_missing" in msg


def test_a_missing_label_with_a_value_is_refused(tmp_path, scores):
    s = pl.read_csv(scores)
    assert s["is_label_missing"][5] is False and not s["is_mislabeled"][5] and not s["is_hard"][5]
    bad = tmp_path / "valued.csv"
    s.with_columns(pl.when(pl.int_range(pl.len()) == 5).then(True).otherwise(pl.col("is_label_missing"))
                   .alias("is_label_missing")).write_csv(bad)
    msg = refused(bad, tmp_path)
    assert "column value holds a number at row 5, where is_label_missing is true" in msg, msg


def test_a_hard_row_without_a_label_is_refused(tmp_path, scores):
    bad = tmp_path / "hard.csv"
    pl.read_csv(scores).with_columns(pl.when(pl.int_range(pl.len()) == 0).then(True).otherwise(pl.col("is_hard"))
                                     .alias("is_hard")).write_csv(bad)
    assert "column is_hard is true at row 0, where is_label_missing is true" in refused(bad, tmp_path)


@pytest.mark.parametrize(("cells", "found"), [({7: 4.6}, "found 4.6 at row 7;"),
                                               ({9: -0.5, 30: 1.5}, "found -0.5 at row 9 (outside it at rows 9, 30)")])
def test_a_mislabel_score_outside_0_1_is_refused(tmp_path, scores, cells, found):
    s = pl.read_csv(scores)
    col = s.get_column("mislabel_score")
    for i, v in cells.items():
        col = col.scatter(i, v)
    bad = tmp_path / "score.csv"
    s.with_columns(col).write_csv(bad)
    msg = refused(bad, tmp_path)
    assert "column mislabel_score must lie in [0, 1]" in msg and found in msg, msg


def test_a_row_flagged_mislabeled_and_hard_is_refused(tmp_path, scores):
    s = pl.read_csv(scores)
    hard = s.with_row_index().filter(pl.col("is_hard")).get_column("index").to_list()
    assert hard
    bad = tmp_path / "both.csv"
    s.with_columns(pl.col("is_mislabeled") | pl.col("is_hard")).write_csv(bad)
    msg = refused(bad, tmp_path)
    assert f"columns is_mislabeled and is_hard are both true at row{'s' if len(hard) > 1 else ''} {hard[0]}" in msg, msg


@pytest.mark.parametrize("fill", [float("nan"), None])
def test_a_value_column_without_a_finite_value_is_refused(tmp_path, scores, fill):
    bad = tmp_path / "nan.parquet"
    pl.read_csv(scores).with_columns(pl.lit(fill, dtype=pl.Float64).alias("value")).write_parquet(bad)
    msg = refused(bad, tmp_path)
    assert "column value holds no finite number on any of the 118 rows with a label" in msg, msg


def test_repeated_row_ids_are_refused(tmp_path, scores):
    bad = tmp_path / "dup.csv"
    s = pl.read_csv(scores)
    s.with_columns(s.get_column("row_id").scatter(9, 3)).write_csv(bad)
    assert "column row_id (the ids) has repeated values at rows 3, 9" in refused(bad, tmp_path)


def test_repeated_ids_of_an_id_column_are_refused(tmp_path, data):
    out = tmp_path / "k.csv"
    assert run("score", data, "-y", "y", "--id", "uid", "-q", "-o", out).exit_code == 0
    s = pl.read_csv(out)
    assert s.columns[0] == "uid"
    bad = tmp_path / "kdup.csv"
    s.with_columns(s.get_column("uid").scatter(11, "u004")).write_csv(bad)
    msg = refused(bad, tmp_path)
    assert "column uid (the ids) has repeated values at rows 4, 11 (the id 'u004' more than once)" in msg, msg


# ---------------------------------------------------------------- what `dvclean score` writes is still read


@pytest.mark.parametrize("ext", ["csv", "parquet", "ndjson"])
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_score_outputs_with_unvalued_rows_are_reported(tmp_path, data, ext, task):
    src = data
    args = ["-y", "y"]
    if task == "regression":
        src = tmp_path / "r.csv"
        df = pl.read_csv(data).with_columns(pl.col("y").fill_null("a"))
        df.with_columns(pl.when(pl.int_range(pl.len()).is_in([2, 70])).then(None).otherwise(pl.col("f1"))
                        .alias("f1")).write_csv(src)
        args = ["-y", "f1", "--task", "regression"]
    out = tmp_path / f"s.{ext}"
    res = run("score", src, *args, "-q", "-o", out)
    assert res.exit_code == 0, res.output
    res = run("report", out, "-q", "-o", tmp_path / "r.html")
    assert res.exit_code == 0, res.output
    rep = build_report_from_files(out)
    assert rep.meta["valued"] == 118 and rep.meta["flags"]["mislabeled"] <= 118


def test_older_scores_with_null_flags_on_unvalued_rows_are_reported(tmp_path, scores):
    old = tmp_path / "old.csv"
    s = pl.read_csv(scores)
    s.with_columns([pl.when(pl.col("is_label_missing")).then(None).otherwise(pl.col(c)).alias(c)
                    for c in ("is_mislabeled", "is_hard")]).write_csv(old)
    assert pl.read_csv(old).get_column("is_hard").null_count() == 2
    res = run("report", old, "-q", "-o", tmp_path / "r.html")
    assert res.exit_code == 0, res.output


# ---------------------------------------------------------------- bug 2: HTML / JUnit XML under a data file's name


@pytest.mark.parametrize("name", ["x.parquet", "x.csv", "x.CSV", "x.tsv", "x.json", "x.ndjson", "x.jsonl", "x.arrow",
                                  "x.feather", "x.ipc", "x.csv.gz", "x.html.zst"])
def test_report_output_with_a_data_suffix_is_refused(tmp_path, scores, name):
    res = run("report", scores, "-q", "-o", tmp_path / name)
    assert res.exit_code == 2, res.output
    msg = flat(res.stderr)
    assert f"--output {tmp_path / name} writes HTML" in msg and "suffix of a data file" in msg, msg
    assert f"give it a .html name, e.g. {tmp_path / 'x.html'}" in msg, msg
    assert not (tmp_path / name).exists()


@pytest.mark.parametrize("name", ["x.html", "x.htm", "x.xml", "x", "x.txt", "x.out"])
def test_report_output_with_another_suffix_is_written(tmp_path, scores, name):
    res = run("report", scores, "-q", "-o", tmp_path / name)
    assert res.exit_code == 0, res.output
    assert (tmp_path / name).read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


@pytest.mark.parametrize(
    ("command", "option", "name", "kind", "suggested"),
    [
        ("score", "--report", "r.csv", "HTML", "r.html"),
        ("check", "--junit-xml", "j.parquet", "JUnit XML", "j.xml"),
        ("check", "--report", "r.json", "HTML", "r.html"),
        ("fix", "--report", "r.ndjson", "HTML", "r.html"),
    ],
)
def test_option_outputs_with_a_data_suffix_are_refused(tmp_path, data, command, option, name, kind, suggested):
    target = tmp_path / name
    extra = ["-o", str(tmp_path / "out.csv")] if command in ("score", "fix") else []
    res = run(command, data, "-y", "y", *extra, option, target)
    assert res.exit_code == 2, res.output
    msg = flat(res.stderr)
    assert f"{option} {target} writes {kind}, but {target.suffix} is the suffix of a data file" in msg, msg
    assert f"e.g. {tmp_path / suggested}" in msg, msg
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # refused before any work: nothing written
