"""Session 45 (augment): a pandas index through `dvclean augment`, the library's refusal of another output's report,
the valuation's notes in the command line's words; QA round 45."""

from __future__ import annotations

import inspect
import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.cli import app

runner = CliRunner()
FAST = ["-g", "gaussian-copula", "-n", "10", "-q"]


def _sdv() -> None:
    pytest.importorskip("sdv", reason="augmentation needs the optional extra: pip install \".[augment]\" in the checkout")


def _frame(n: int = 120, seed: int = 0):
    """Two classes split by ``a``, six labels flipped (flagged mislabeled, which --drop-mislabeled removes)."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    y = np.where(x[:, 0] > 0, "p", "q")
    flip = rng.choice(n, 6, replace=False)
    y[flip] = np.where(y[flip] == "p", "q", "p")
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y})


@pytest.mark.parametrize("extra", [[], ["--drop-mislabeled"]])
def test_a_range_index_goes_on_numbering_the_original_rows_and_then_the_synthetic_ones(tmp_path, extra):
    # the input's RangeIndex(1000, 1120) was copied into the output's metadata, which then held 130 rows: pandas
    # ignored it and numbered them 0..129, so row 1000 was gone and every original row had another label
    _sdv()
    pd = pytest.importorskip("pandas")
    df = _frame()
    df.index = pd.RangeIndex(1000, 1120)
    src, out = tmp_path / "d.parquet", tmp_path / "d.augmented.parquet"
    df.to_parquet(src)
    r = runner.invoke(app, ["augment", str(src), "-y", "y", *FAST, *extra, "-o", str(out)])
    assert r.exit_code == 0, r.output
    back = pd.read_parquet(out)
    real, synthetic = back[~back["dvclean_synthetic"]], back[back["dvclean_synthetic"]]
    dropped = json.loads((tmp_path / "d.augment-report.json").read_text())["output_rows"]["dropped_mislabeled"]
    assert bool(extra) == (dropped > 0)
    assert len(real) == 120 - dropped and back.index.is_unique
    pd.testing.assert_frame_equal(real.drop(columns="dvclean_synthetic"), df.loc[real.index])
    assert synthetic.index.tolist() == list(range(1120, 1130))  # (numbered on: an index without nulls stays int64)
    assert back.index.dtype == np.int64


def test_an_unnamed_pandas_index_is_not_modelled_and_synthetic_rows_get_new_labels(tmp_path):
    # labels r0..r119 stored as __index_level_0__ were modelled as a category: synthetic rows copied real labels
    # (r133 twice in iris), and the only word on it was the valuation's "ignored feature columns"
    _sdv()
    pd = pytest.importorskip("pandas")
    df = _frame()
    df.index = [f"r{i}" for i in range(120)]
    src, out = tmp_path / "s.parquet", tmp_path / "s.augmented.parquet"
    df.to_parquet(src)
    r = runner.invoke(app, ["augment", str(src), "-y", "y", *FAST, "-o", str(out)])
    assert r.exit_code == 0, r.output
    back = pd.read_parquet(out)
    real, synthetic = back[~back["dvclean_synthetic"]], back[back["dvclean_synthetic"]]
    assert real.index.tolist() == df.index.tolist()
    assert synthetic.index.tolist() == [f"synthetic-{i}" for i in range(10)]
    report = json.loads((tmp_path / "s.augment-report.json").read_text())
    assert "__index_level_0__" not in report["generator"]["sdtypes"]
    assert "__index_level_0__" in report["generator"]["not_modelled"]
    assert any("unnamed index pandas stored" in n and "'synthetic-0'" in n for n in report["notes"]), report["notes"]
    assert not any("__index_level_0__" in n for n in report["scores"]["notes"]), report["scores"]["notes"]

    # an integer index (a filtered frame's labels) is not valued as a number either, and counts on from its largest
    kept = df.reset_index(drop=True)
    kept = kept[kept.index % 3 != 0]
    src = tmp_path / "f.parquet"
    kept.to_parquet(src)
    from dvclean.augment import AugmentConfig, augment

    res = augment(src, label="y", config=AugmentConfig(generator="gaussian-copula", n_synthetic=10, target="all"))
    assert res.synthetic["__index_level_0__"].to_list() == list(range(120, 130))
    assert res.scores.result.summary["features"]["columns"] == ["a", "b"]


def test_write_augmented_refuses_the_report_of_another_output_as_the_command_line_does(tmp_path, monkeypatch):
    # in Python, writing data.augmented.parquet silently replaced data.augment-report.json, data.augmented.csv's report
    _sdv()
    from dvclean.augment import AugmentConfig, augment, write_augmented
    from dvclean.errors import OutputError

    monkeypatch.chdir(tmp_path)
    pl.from_pandas(_frame()).write_csv("data.csv")
    res = augment("data.csv", label="y", config=AugmentConfig(generator="gaussian-copula", n_synthetic=10))
    write_augmented(res, "data.augmented.csv")
    before = (tmp_path / "data.augment-report.json").read_text()
    with pytest.raises(OutputError, match=r"is the report of another output, data\.augmented\.csv, which would be left "
                                          "without its report"):
        write_augmented(res, "data.augmented.parquet")
    with pytest.raises(OutputError, match=r"\(report_path=\) is the report of another output"):
        write_augmented(res, "other.parquet", report_path="data.augment-report.json")
    assert not (tmp_path / "data.augmented.parquet").exists() and not (tmp_path / "other.parquet").exists()
    assert (tmp_path / "data.augment-report.json").read_text() == before
    # a re-run writing the same output again replaces its own report; another report name is free
    assert write_augmented(res, "data.augmented.csv")[1].name == "data.augment-report.json"
    assert write_augmented(res, "data.augmented.parquet", report_path="p.augment-report.json")[0].is_file()
    r = runner.invoke(app, ["augment", "data.csv", "-y", "y", *FAST, "-o", "data.augmented.csv"])
    assert r.exit_code == 0, r.output  # (the command line's re-run, as before)


def test_a_valuation_note_on_a_file_names_the_command_lines_options(tmp_path):
    # augment values the frame it read, so `score` worded its row-number note for a frame ("pass id_column='u64', or
    # drop='u64'") on the command line, next to augment's own note naming --id
    _sdv()
    df = pl.from_pandas(_frame()).with_columns(pl.Series("u64", np.arange(2**64 - 120, 2**64, dtype=np.uint64)))
    src = tmp_path / "u.parquet"
    df.write_parquet(src)
    r = runner.invoke(app, ["augment", str(src), "-y", "y", *FAST[:-1], "-o", str(tmp_path / "u.aug.parquet")])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "feature column 'u64' holds a distinct consecutive integer" in text, text
    assert "pass it as --id, or --drop it from the features" in text and "id_column=" not in text, text
    from dvclean.augment import AugmentConfig, augment

    # a frame handed to the library keeps score's keywords
    res = augment(df, label="y", config=AugmentConfig(generator="gaussian-copula", n_synthetic=10))
    assert any("pass id_column='u64', or drop='u64'" in n for n in res.report["scores"]["notes"])


def test_options_for_file_leaves_other_notes_alone():
    from dvclean.augment.core import options_for_file

    note = "label column 'y' has 3 classes"
    assert options_for_file(note) == note
    two = ("feature columns 'a', 'b' hold a distinct consecutive integer in every row, like a row number or an id: the "
           "file's order becomes a feature; pass id_column='a', or drop=['a', 'b'], if that is not meant")
    assert options_for_file(two).endswith("the file's order becomes a feature; pass it as --id, or --drop it from the "
                                          "features, if that is not meant")


def test_augments_scores_hint_names_what_it_takes():
    from dvclean.augment import augment

    hint = str(inspect.signature(augment).parameters["scores"].annotation)
    assert "pd.DataFrame" in hint and "ScoreResult" in hint and "pl.DataFrame" in hint
