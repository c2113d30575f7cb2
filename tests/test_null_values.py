"""--null-values: which cell texts of a CSV are missing (a class named None or NA can stay a class)."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.cli import app

runner = CliRunner()


@pytest.fixture
def risk_csv(tmp_path):
    rng = np.random.default_rng(9)
    centre = {"None": 0.0, "Low": 3.0, "High": 6.0}
    classes = ["None", "Low", "High"] * 40
    body = "".join(f"{centre[c] + rng.normal(0, .7):.2f},{'-' if i % 10 == 0 else i},{c}\n" for i, c in enumerate(classes))
    path = tmp_path / "risk.csv"
    path.write_text("x,n,risk\n" + body)
    return path


def _run(command, *args):
    res = runner.invoke(app, [command, *map(str, args), "-q"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_default_reads_none_as_missing_and_empty_null_values_keeps_it(risk_csv, tmp_path):
    default = _run("score", risk_csv, "-y", "risk", "-o", tmp_path / "a.csv", "--json")
    assert set(default["classes"]) == {"Low", "High"} and default["rows"]["label_missing"] == 40
    kept = _run("score", risk_csv, "-y", "risk", "-o", tmp_path / "b.csv", "--json", "--null-values", "")
    assert set(kept["classes"]) == {"None", "Low", "High"} and kept["rows"]["label_missing"] == 0


def test_check_and_fix_read_the_same_way(risk_csv, tmp_path):
    checked = _run("check", risk_csv, "-y", "risk", "--format", "json", "--null-values", "")
    assert set(checked["summary"]["classes"]) == {"None", "Low", "High"}
    fixed = _run("fix", risk_csv, "-y", "risk", "-o", tmp_path / "f.csv", "--json", "--null-values", "")
    assert fixed["rows_in"] == 120 and fixed["flagged"] == checked["summary"]["mislabeled"]


def test_a_spelling_of_missing_in_a_feature_column(risk_csv, tmp_path):
    """'-' marks a missing number in column n (a tenth of its cells): named, n is valued as numbers."""
    stray = _run("score", risk_csv, "-y", "risk", "-o", tmp_path / "a.csv", "--json")
    named = _run("score", risk_csv, "-y", "risk", "-o", tmp_path / "b.csv", "--json", "--null-values", "-,None")
    assert set(named["classes"]) == {"Low", "High"}
    assert named["features"]["encoded_dimensions"] == 3  # x, n and n's missing indicator
    assert stray["features"]["encoded_dimensions"] == 2  # x and the frequency code of n as text


def test_a_column_named_n_is_a_feature_like_any_other():
    """(value_counts named its count column "n": a categorical column or a label named n crashed)"""
    import dvclean

    rng = np.random.default_rng(0)
    df = pl.DataFrame({"n": rng.choice(["a", "b", "c"], 60), "x": rng.normal(size=60), "y": rng.choice(["p", "q"], 60)})
    assert dvclean.score(df, label="y").data.x.shape[1] == 4
    counts = df.get_column("y").value_counts().sort("y").get_column("count").to_list()
    assert dvclean.score(df.rename({"y": "n", "n": "y"}), label="n").summary["classes"] == dict(zip("pq", counts, strict=True))
