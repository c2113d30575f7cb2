"""``dvclean_issue`` (written by ``fix --action mark``) is dvclean's own mark, like ``dvclean_synthetic``:

* a later run never uses it as a feature (an earlier verdict would decide the next one: re-running ``fix`` on
  its own output flagged 15 rows instead of 40 on a 400-row Adult file);
* ``mark`` replaces an earlier run's marks, but refuses to overwrite a column of that name holding anything else.
"""

from __future__ import annotations

import hashlib

import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean import score
from dvclean.cli import app
from dvclean.config import FixConfig
from dvclean.errors import DataValidationError
from dvclean.fix import ISSUE_COLUMN, fix

from .test_flags import breast_cancer_noisy

runner = CliRunner()


def test_an_earlier_runs_marks_change_nothing(tmp_path):
    df, _, _ = breast_cancer_noisy(2)
    first = fix(df, label="diagnosis", config=FixConfig(action="mark"))
    assert first.summary["flagged"] > 0
    again = score(first.frame, label="diagnosis")
    assert ISSUE_COLUMN not in again.summary["features"]["columns"]
    assert any(ISSUE_COLUMN in n and "not used as a feature" in n for n in again.summary["notes"])
    base = score(df, label="diagnosis")
    for col in ("value", "is_mislabeled", "is_hard", "mislabel_score"):
        assert again.frame.get_column(col).equals(base.frame.get_column(col)), col
    # and marking the marked file gives the same marks, in place of the old ones (no second column)
    second = fix(first.frame, label="diagnosis", config=FixConfig(action="mark"))
    assert second.frame.equals(first.frame)
    # through the CLI and a CSV file (the text path), too
    src = tmp_path / "marked.csv"
    first.frame.write_csv(src)
    out = tmp_path / "again.csv"
    res = runner.invoke(app, ["fix", str(src), "--label", "diagnosis", "--action", "mark", "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    assert out.read_bytes() == src.read_bytes()


def test_a_foreign_column_of_that_name_is_not_overwritten(tmp_path):
    df, _, _ = breast_cancer_noisy(2)
    mine = df.with_columns(pl.lit("keep me").alias(ISSUE_COLUMN))
    with pytest.raises(DataValidationError, match="keep me.*row 0"):
        fix(mine, label="diagnosis", config=FixConfig(action="mark"))
    src = tmp_path / "mine.csv"
    mine.write_csv(src)
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    res = runner.invoke(app, ["fix", str(src), "--label", "diagnosis", "--action", "mark", "-q"])
    assert res.exit_code == 2, res.output
    assert "rename that column" in res.output
    assert not (tmp_path / "mine.fixed.csv").exists()
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before
    # the other actions leave the column alone
    dropped = fix(mine, label="diagnosis", config=FixConfig(action="drop"))
    assert set(dropped.frame.get_column(ISSUE_COLUMN).to_list()) == {"keep me"}
