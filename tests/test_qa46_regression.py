"""QA round 84 (session 46), regression targets: the advice for a point mass at zero and for negative targets, the
score table of a regression target, the hint for currency labels valued as classes, and fix's task reason."""

from __future__ import annotations

import json
import re

import numpy as np
import polars as pl
from rich.console import Console
from typer.testing import CliRunner

from dvclean import ScoreConfig, score
from dvclean.cli import app
from dvclean.cli._output import render_score
from dvclean.pipeline import _transform_advice
from dvclean.table import ValuationData

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


def _claims(n: int = 1000, seed: int = 0) -> pl.DataFrame:
    """Insurance claims: about 70% zeros, the amounts log-normal around 100 x the car's value."""
    rng = np.random.default_rng(seed)
    risk, car_val = rng.uniform(0, 1, n).round(3), rng.uniform(5, 60, n).round(1)
    claimed = rng.uniform(size=n) < 1 / (1 + np.exp(2.5 - 3 * risk))
    claim = np.where(claimed, 100 * car_val * np.exp(rng.normal(0, 0.3, n)), 0.0).round(2)
    return pl.DataFrame({"age": rng.integers(18, 80, n), "risk": risk, "car_val": car_val, "claim": claim})


def _advice(y) -> tuple[str, str, str]:
    y = np.asarray(y, dtype=np.float64)
    center, scale = float(y.mean()), float(y.std())
    return _transform_advice(ValuationData(x=np.zeros((y.size, 1)), y=(y - center) / scale, rows=np.arange(y.size),
                                           classes=np.array([]), task="regression", target_center=center,
                                           target_scale=scale))


def test_the_advice_for_zeros_depends_on_their_share():
    # a few zeros: log(1 + target) (x10 on 15 non-zero claims: 15 of 15 found with 2% zeros)
    few = _advice([0.0] * 2 + list(np.linspace(100, 5000, 98)))
    assert few[2] == "log(1 + target)" and "as its zeros rule out the logarithm" in few[1]
    # a point mass at zero: log(1 + target) hid every x10 from 30% zeros up (capital gains: from 5%); the non-zero
    # rows on their own found them
    many = _advice([0.0] * 69 + list(np.linspace(100, 5000, 31)))
    assert "log(1 + target)" not in many[2][:20] and many[2].startswith("the non-zero rows on their own")
    assert "69% of the targets are exactly 0" in many[1] and "point mass at zero then dominates it" in many[1]
    assert "filter them to a second file" in many[1]


def test_negative_targets_are_counted_and_not_advised_log1p():
    y = [-1.0] * 5 + list(np.linspace(1, 500, 95))
    sign, advice, short = _advice(y)
    assert sign == " and 5 targets are negative"
    assert "the logarithm needs positive targets, and 5 are negative (-1 in all 5 rows)" in advice
    assert "if -1 stands for an unknown value, blank those cells" in advice and "log(1 + target)" not in advice
    one = _advice([-3.5] + list(np.linspace(1, 500, 99)))
    assert one[0] == " and 1 target is negative" and "and 1 is negative: check it (-3.5) for placeholders" in one[1]


def test_a_zero_inflated_target_is_advised_its_non_zero_rows(tmp_path):
    frame = _claims()
    y = frame.get_column("claim").to_numpy().copy()
    rng = np.random.default_rng(5)
    y[np.sort(rng.choice(np.flatnonzero(y > 0), 15, replace=False))] *= 10
    data = tmp_path / "claims.csv"
    frame.with_columns(pl.Series("claim", y)).write_csv(data)
    r = runner.invoke(app, ["score", str(data), "-y", "claim", "-o", str(tmp_path / "s.csv"), "--seed", "0"])
    text = flat(r.output)
    assert r.exit_code == 0 and "the target is skewed" in text, r.output
    assert "value the non-zero rows on their own" in text and "as its zeros rule out the logarithm" not in text
    r = runner.invoke(app, ["fix", str(data), "-y", "claim", "--action", "drop", "-o", str(tmp_path / "f.csv"),
                            "--seed", "0"])
    text = flat(r.output)
    assert r.exit_code == 2 and "refusing to drop" in text and "value the non-zero rows on their own" in text, r.output
    assert "log(1 + target) where it holds zeros" not in text


def test_fix_names_the_negative_targets_of_a_skewed_target():
    from types import SimpleNamespace

    import pytest

    from dvclean.config import FixConfig
    from dvclean.errors import DataValidationError
    from dvclean.fix import _refuse_noise

    # (data/durations.csv of the QA round: log-normal seconds with 5 placeholders of -1; the refusal advised
    # "log(1 + target) where it holds zeros")
    rng = np.random.default_rng(0)
    seconds = np.r_[[-1.0] * 5, np.exp(rng.normal(3, 0.9, 995))]
    center, scale = float(seconds.mean()), float(seconds.std())
    data = ValuationData(x=np.zeros((1000, 1)), y=(seconds - center) / scale, rows=np.arange(1000),
                         classes=np.array([]), task="regression", target_center=center, target_scale=scale)
    scores = SimpleNamespace(data=data, frame=pl.DataFrame({"is_mislabeled": [True] * 100 + [False] * 900}),
                             summary={"flags": {"skewed_target": True}, "input": {"path": "durations.csv"}})
    with pytest.raises(DataValidationError) as err:
        _refuse_noise(scores, FixConfig(action="drop"))
    text = str(err.value)
    assert "refusing to drop 100 rows" in text and "log(1 + target)" not in text
    assert "the logarithm needs positive targets, and 5 are negative (-1 in all 5 rows)" in text
    assert "if -1 stands for an unknown value, blank those cells" in text
    # a positive target: its logarithm, as before
    positive = np.exp(rng.normal(3, 0.9, 1000))
    scores.data = ValuationData(x=np.zeros((1000, 1)), y=(positive - 20) / 15, rows=np.arange(1000),
                                classes=np.array([]), task="regression", target_center=20.0, target_scale=15.0)
    with pytest.raises(DataValidationError, match="value the logarithm of the target"):
        _refuse_noise(scores, FixConfig(action="drop"))


def _shifted(tmp_path, n=1000, wrong=30):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2))
    y = 2 * x[:, 0] - x[:, 1] + rng.normal(0, 0.3, n) + 10
    bad = rng.choice(n, wrong, replace=False)
    y[bad] *= rng.choice([0.5, 2.0, 10.0], wrong)
    data = tmp_path / "y.csv"
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y}).write_csv(data)
    return data


def _table_rows(text: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("│").split("│")] for line in text.splitlines()
            if line.startswith("│") and line.count("│") > 2]


def test_the_score_table_of_a_regression_target_lists_the_most_outlying_targets(tmp_path):
    data = _shifted(tmp_path)
    res = score(str(data), label="y", config=ScoreConfig(seed=0))
    frame = res.frame
    flagged = frame.filter(pl.col("is_mislabeled"))
    assert flagged.height > 10
    console = Console(record=True, width=200)
    render_score(console, res.summary, None, frame=frame)
    text = console.export_text()
    assert f"the 10 most outlying of the {flagged.height} outlying targets (largest |target_z| first" in text
    header = next(line for line in text.splitlines() if "predicted" in line)
    assert "target_z" in header and "neighbours' mean" in header and "outlier score" not in header
    rows = _table_rows(text)
    assert len(rows) == 10 and all(r[-1] == "outlying" for r in rows)
    z = [abs(float(r[3])) for r in rows]
    assert z == sorted(z, reverse=True)
    assert z[0] == round(float(flagged.get_column("target_z").abs().max()), 2)
    # the predicted value the flag rests on, in the target's units
    first = frame.filter(pl.col("row_id") == int(rows[0][0]))
    assert abs(float(rows[0][2]) - first.get_column("predicted_value")[0]) < 1e-3


def test_a_regression_table_with_few_flags_lists_them_first_then_the_lowest_valued(tmp_path):
    data = _shifted(tmp_path, wrong=3)
    res = score(str(data), label="y", config=ScoreConfig(seed=0))
    n = int(res.frame.get_column("is_mislabeled").sum())
    assert 0 < n < 10
    console = Console(record=True, width=200)
    render_score(console, res.summary, None, frame=res.frame)
    text = console.export_text()
    assert f"the {n} outlying target{'s' if n != 1 else ''} (largest |target_z| first), then the lowest-valued" in text
    rows = _table_rows(text)
    assert [r[-1] == "outlying" for r in rows] == [True] * n + [False] * (10 - n)
    rest = res.frame.filter(~pl.col("is_mislabeled")).sort("value_rank").get_column("row_id").head(10 - n).to_list()
    assert [int(r[0]) for r in rows[n:]] == rest


def test_the_cli_score_table_of_a_regression_target(tmp_path):
    # (the QA's temps.csv: 5 targets 9999 outweigh every other row's value, and the 10 lowest-valued rows held 6 of
    # the 32 outlying targets and 4 unflagged rows; the table lists the most outlying of them all)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 2))
    y = 2 * x[:, 0] - x[:, 1] + rng.normal(0, 0.3, 1000) + 10
    bad = rng.choice(1000, 25, replace=False)
    y[bad[:5]] = 9999.0
    y[bad[5:]] = -y[bad[5:]]
    data, out = tmp_path / "y.csv", tmp_path / "s.csv"
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y}).write_csv(data)
    r = runner.invoke(app, ["score", str(data), "-y", "y", "-o", str(out), "--seed", "0"])
    assert r.exit_code == 0, r.output
    assert re.search(r"┃ row ┃ label\s*┃ predicted\s*┃\s*target_z ┃", r.output), r.output
    scores = pl.read_csv(out)
    flagged = int(scores.get_column("is_mislabeled").sum())
    assert flagged > 10 and f"the 10 most outlying of the {flagged} outlying targets" in flat(r.output), r.output
    rows = _table_rows(r.output)
    assert len(rows) == 10 and all(row[-1] == "outlying" for row in rows)
    z = scores.filter(pl.col("is_mislabeled")).get_column("target_z").abs().sort(descending=True).head(10)
    assert [abs(float(row[3])) for row in rows] == [round(float(v), 2) for v in z]


def test_the_classification_table_is_unchanged(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    pl.DataFrame({"a": rng.normal(size=200) + 2 * y, "y": y}).write_csv(tmp_path / "c.csv")
    r = runner.invoke(app, ["score", str(tmp_path / "c.csv"), "-y", "y", "-o", str(tmp_path / "s.csv")])
    assert r.exit_code == 0 and "10 lowest-valued rows (most harmful first; mislabel_score ranks the flags)" in r.output
    assert re.search(r"┃ row ┃ label ┃ neighbours' label ┃\s+value ┃ mislabel score ┃ flag", r.output), r.output


def test_currency_labels_valued_as_classes_point_to_regression(tmp_path):
    rng = np.random.default_rng(0)
    price = rng.lognormal(12, 0.5, 300)
    pl.DataFrame({"a": rng.normal(size=300), "price": [f"${v:,.2f}" for v in price]}).write_csv(tmp_path / "d.csv")
    r = runner.invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "price", "-o", str(tmp_path / "s.csv")])
    text = flat(r.output)
    assert r.exit_code == 2 and "classes with a single row" in text, r.output
    assert "(a numeric target? it holds numbers written as a spreadsheet formats them" in text
    assert "--task regression reads them as numbers" in text


def test_fix_json_gives_the_reason_for_the_task(tmp_path):
    data = _shifted(tmp_path, n=300, wrong=5)
    r = runner.invoke(app, ["fix", str(data), "-y", "y", "-o", str(tmp_path / "f.csv"), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    distinct = pl.read_csv(data).get_column("y").n_unique()
    assert doc["task"] == "regression" and doc["task_reason"] == f"auto: float label with {distinct} distinct values"
    r = runner.invoke(app, ["fix", str(data), "-y", "y", "-o", str(tmp_path / "g.csv"), "--json", "--task",
                            "regression"])
    assert json.loads(r.stdout)["task_reason"] == "--task regression"
