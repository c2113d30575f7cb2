"""Session 54: carried items and QA round 96's findings. A configuration file's ``seed = 1e3`` (a TOML float) was
taken as 1000, while ``--seed 1e3`` on the command line is refused: one rule for both."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dvclean.cli import app

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "adult_2000.csv"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _adult_head(path: Path, n: int = 120) -> Path:
    lines = SAMPLE.read_text().splitlines()
    path.write_text("\n".join(lines[: n + 1]) + "\n")
    return path


@pytest.mark.parametrize(("written", "example"), [("seed = 1e3", "seed = 1000"), ("seed = 1000.5", "seed = 1000"),
                                                  ("k = 5.0", "k = 5"), ("seed = inf", "seed = 1")])
def test_a_configuration_files_float_for_a_whole_number_option_is_refused(tmp_path, written, example):
    data = _adult_head(tmp_path / "d.csv")
    (tmp_path / "dvclean.toml").write_text(f'[score]\nlabel = "income"\n{written}\n')
    r = runner.invoke(app, ["score", str(data), "-m", "knn", "-o", str(tmp_path / "s.csv"), "-q",
                            "--config", str(tmp_path / "dvclean.toml")])
    assert r.exit_code == 2, r.output
    text = _flat(r.output)
    assert "whole number" in text and f"e.g. {example})" in text, text
    assert not (tmp_path / "s.csv").exists()


def test_a_configuration_files_whole_number_is_still_taken(tmp_path):
    data = _adult_head(tmp_path / "d.csv")
    (tmp_path / "dvclean.toml").write_text('[score]\nlabel = "income"\nseed = 1000\nk = 7\n')
    r = runner.invoke(app, ["score", str(data), "-m", "knn", "-o", str(tmp_path / "s.csv"), "-q",
                            "--config", str(tmp_path / "dvclean.toml")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "s.csv").exists()


def test_report_names_the_id_column_when_a_renamed_id_was_edited(tmp_path):
    # an --id named like a scores column is written as row_id; an edited one was said to be "not the row numbers"
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(5)
    x = rng.normal(size=(60, 2))
    data = tmp_path / "d.csv"
    pl.DataFrame({"value": [f"k{i}" for i in range(60)], "x1": x[:, 0], "x2": x[:, 1],
                  "cls": np.where(x[:, 0] > 0, "a", "b")}).write_csv(data)
    scores = tmp_path / "s.csv"
    res = runner.invoke(app, ["score", str(data), "-y", "cls", "--id", "value", "-m", "knn", "-q", "-o", str(scores)])
    assert res.exit_code == 0, res.output
    frame = pl.read_csv(scores)
    assert frame["row_id"][7] == "k7"
    frame.with_columns(pl.when(pl.int_range(pl.len()) == 7).then(pl.lit("k99")).otherwise(pl.col("row_id"))
                       .alias("row_id")).write_csv(scores)
    res = runner.invoke(app, ["report", str(scores), "--data", str(data), "-y", "cls", "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 2, res.output
    text = _flat(res.output)
    assert "is not --data's --id column 'value' in order (at row 7 it holds 'k99' where" in text, text
    assert "holds 'k7')" in text and not (tmp_path / "r.html").exists()


def test_a_named_pandas_index_the_encoder_ignores_gets_no_valued_as_a_feature_note():
    # the notes said both "the pandas index 'pid' is valued as a feature" and "ignored feature columns: pid"
    import numpy as np
    import pandas as pd

    import dvclean

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x1": rng.normal(size=80), "x2": rng.normal(size=80), "y": ["a", "b"] * 40})
    frame.index = pd.Index([f"p{i}" for i in range(80)], name="pid")
    notes = dvclean.score(frame, label="y").summary["notes"]
    assert any("ignored feature columns: pid (a distinct value in every row)" in n for n in notes), notes
    assert not any("the pandas index" in n for n in notes), notes
    frame.index = pd.Index(rng.permutation(80) * 3, name="pid")  # (numbers: valued, so the note stays)
    notes = dvclean.score(frame, label="y").summary["notes"]
    assert any("the pandas index 'pid' is valued as a feature" in n for n in notes), notes


def test_library_paths_expand_the_home_directory(tmp_path, monkeypatch):
    import dvclean
    from dvclean.fix import fix, write_fixed

    monkeypatch.setenv("HOME", str(tmp_path))
    _adult_head(tmp_path / "a.csv")
    before = (tmp_path / "a.csv").read_bytes()
    result = dvclean.score("~/a.csv", label="income")
    assert result.table.source.path == str(tmp_path / "a.csv")
    assert dvclean.write_scores(result, "~/s.csv") == tmp_path / "s.csv" and (tmp_path / "s.csv").exists()
    with pytest.raises(dvclean.errors.OutputError, match="is the input file"):
        dvclean.write_scores(result, "~/a.csv")
    assert write_fixed(fix("~/a.csv", label="income"), "~/f.csv") == tmp_path / "f.csv"
    assert (tmp_path / "a.csv").read_bytes() == before


def test_a_lazy_frame_where_a_frame_is_needed_is_told_to_collect():
    import polars as pl

    import dvclean

    lazy = pl.DataFrame({"x": [1, 2], "y": [0, 1]}).lazy()
    with pytest.raises(TypeError, match=r"collect a LazyFrame first: lf.collect\(\)"):
        dvclean.make_table(lazy, label="y")


def test_results_compare_by_identity_and_hash():
    import polars as pl

    import dvclean

    frame = pl.DataFrame({"x": [0.0, 0.1, 0.2, 0.3, 5.0, 5.1, 5.2, 0.15], "y": [0, 0, 0, 0, 1, 1, 1, 1]})
    a, b = dvclean.score(frame, label="y"), dvclean.score(frame, label="y")
    assert a == a and a != b and b not in [a] and len({a, b, a.table, a.results["knn"]}) == 4
    assert a.frame.equals(b.frame)
