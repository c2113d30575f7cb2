"""Open items of earlier QA rounds and QA round 30, fixed in session 24, one test each."""

from __future__ import annotations

import tomllib

import numpy as np
import polars as pl
from typer.testing import CliRunner

from dvclean.cli import app

runner = CliRunner()


def _two_class_csv(path, n: int = 120, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    pl.DataFrame({"a": rng.normal(size=n) + 2 * y, "b": rng.normal(size=n), "y": y}).write_csv(path)


def test_show_config_is_valid_toml(tmp_path):
    # an unset setting was printed as `key = (unset)`, which no TOML reader accepts
    _two_class_csv(tmp_path / "d.csv")
    r = runner.invoke(app, ["check", str(tmp_path / "d.csv"), "-y", "y", "--show-config"])
    assert r.exit_code == 0, r.output
    doc = tomllib.loads(r.stdout)
    assert doc["label"] == "y" and doc["k"] == 5 and "max-mislabeled" not in doc
    assert any(line.startswith("# max-mislabeled ") and "(unset)" in line for line in r.stdout.splitlines())


def test_verbose_log_of_a_frame_does_not_say_read_dataframe(caplog):
    # augment -v (which values its training rows as a frame) logged "read <DataFrame> (polars)"
    import logging

    import dvclean

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60)
    df = pl.DataFrame({"a": rng.normal(size=60) + 2 * y, "y": y})
    with caplog.at_level(logging.INFO, logger="dvclean"):
        dvclean.score(df, label="y")
    text = caplog.text
    assert "<DataFrame>" not in text and "in-memory polars frame: 60 rows x 2 columns" in text, text


def test_a_csv_holdout_of_numeric_class_labels_matches_the_datas_numbers():
    # the data's labels were numbers (a Parquet file), the CSV holdout's the same numbers read as text:
    # "the label '1' is not a class of the data"
    from dvclean.augment import AugmentConfig
    from dvclean.augment.evaluate import plan_evaluation
    from dvclean.errors import DataValidationError
    from dvclean.table import make_table

    def frame(n, seed):
        rng = np.random.default_rng(seed)
        y = rng.integers(0, 2, n)
        return pl.DataFrame({"x1": y * 2.0 + rng.normal(0, 0.9, n), "label": y})

    table = make_table(frame(240, 0), label="label")
    cfg = AugmentConfig(generator="gaussian-copula", quality=False, evaluate=True)
    hold = frame(60, 1)
    plan = plan_evaluation(table, cfg, holdout=hold.with_columns(pl.col("label").cast(pl.String)))
    assert np.array_equal(plan.y_hold, hold["label"].to_numpy())
    import pytest

    with pytest.raises(DataValidationError, match="'one', which is not a class"):  # text that is no number still is
        plan_evaluation(table, cfg, holdout=hold.with_columns(
            pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("one")).otherwise(pl.col("label").cast(pl.String))
            .alias("label")))


def test_a_rare_class_mostly_flagged_gets_a_note():
    # in a 95/5 split with overlapping classes nearly every minority row was flagged, with no word of warning
    import dvclean

    def table(n, minority, seed=0):
        rng = np.random.default_rng(seed)
        y = np.zeros(n, int)
        y[rng.choice(n, minority, replace=False)] = 1
        x = rng.normal(size=(n, 4)) + y[:, None] * 1.0
        return pl.DataFrame({f"x{i}": x[:, i] for i in range(4)}).with_columns(pl.Series("y", y))

    r = dvclean.score(table(600, 30), label="y")
    f = r.frame
    flagged = int((f["is_mislabeled"] | f["is_hard"]).filter(f["label"] == 1).sum())
    notes = [n for n in r.summary["notes"] if n.startswith("rare class")]
    assert flagged >= 15 and len(notes) == 1 and f"1: {flagged} of its 30 rows (5.0% of the data)" in notes[0], notes
    r = dvclean.score(table(600, 300), label="y")  # balanced: no note
    assert not [n for n in r.summary["notes"] if n.startswith("rare class")]


def test_numbers_with_a_plus_sign_are_numbers(tmp_path):
    # the CSV reader leaves "+64" as text; the column was frequency-encoded as a category
    from dvclean.config import FeatureConfig
    from dvclean.table import make_table, prepare

    rng = np.random.default_rng(0)
    v = rng.normal(0, 50, 80)
    text = [f"{int(x):+d}" for x in v]  # (polars reads "+1.5" as a number, "+64" as text)
    df = pl.DataFrame({"a": text, "b": rng.normal(size=80), "y": rng.integers(0, 2, 80)})
    src = tmp_path / "d.csv"
    df.write_csv(src)
    import dvclean

    frame, _ = dvclean.read_frame(src)
    assert frame.schema["a"] == pl.String  # (what the reader gives)
    data, encoder, _ = prepare(make_table(frame, label="y"), config=FeatureConfig())
    plan = {p.name: p for p in encoder.plans_}["a"]
    assert plan.kind == "numeric", plan


def test_a_bare_quote_in_an_unquoted_field_names_its_line(tmp_path):
    # the message was the CSV reader's "expected 0 rows, actual 3 rows, in chunk starting at row_offset 1"
    src = tmp_path / "q.csv"
    src.write_text('a,b,y\n1,"2 ""x"" 3",x\n3,"4\nmore",y\n5,6 "in,x\n7,8,y\n', encoding="utf-8")
    r = runner.invoke(app, ["score", str(src), "-y", "y", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 2, r.output
    msg = " ".join(r.stderr.split())
    assert "line 5: field 2 ('6 \"in') holds a quote character but is not itself quoted" in msg, msg
    assert not (tmp_path / "o.csv").exists()
