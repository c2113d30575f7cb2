"""What the README quotes is what the tool prints: example outputs, numbers and defaults.

The README's example ``check`` output, the Python example's check line and the signal weights it
quotes for ``sample_data/adult_2000.csv`` are read from README.md and compared with a fresh run
(seed 0), so the README cannot drift from the tool again. Also: ``--show-config`` shows the method
default by value, and the columns the README promises for a regression target.
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import dvclean
from dvclean.check import CheckPolicy, evaluate_check
from dvclean.cli import app
from dvclean.config import FixConfig, ScoreConfig

from .conftest import ROOT, SAMPLE
from .test_settings import show

runner = CliRunner()
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: The README's text with every run of whitespace one space (quoted numbers may wrap lines).
FLAT = re.sub(r"\s+", " ", README)


# ------------------------------------------------------------------ --show-config


def test_show_config_shows_the_method_default_by_value(tmp_path):
    src = tmp_path / "d.csv"
    src.write_text("f,y\n1,a\n", encoding="utf-8")
    cfg = show([str(src), "-y", "y"])
    assert cfg["method"] == ('["knn"]', "default")
    assert "(unset)" not in cfg["method"][0]
    # typed or from a file, the value is shown as given, as before
    assert show([str(src), "-y", "y", "-m", "knn,oob"])["method"] == ('["knn,oob"]', "command line")
    (tmp_path / "dvclean.toml").write_text('method = "oob"\n', encoding="utf-8")
    got = show([str(src), "-y", "y"])["method"]
    assert got[0] == '["oob"]' and got[1].endswith("dvclean.toml")


def test_the_shown_method_default_is_the_library_default():
    from dvclean.cli._scoring import SHARED, Scoring

    default = next(s.default for s in SHARED if s.name == "method")
    assert tuple(default) == ScoreConfig().methods == ("knn",)
    values = {s.name: s.default for s in SHARED}
    scoring = Scoring(values=values, typed=frozenset())
    assert scoring.methods == ("knn",) and scoring.score_config().methods == ("knn",)
    # the README's score option table gives the same default
    assert "| `--method/-m` | `knn` |" in README


def test_fix_action_default_is_the_documented_one():
    assert FixConfig().action == "mark"
    assert "`--action` defaults to `mark`" in README


# ------------------------------------------------------------------ the Adult sample's numbers


def _readme_check_example() -> tuple[list[str], list[str]]:
    """The options and the output lines of the README's example ``check`` run on the Adult sample."""
    m = re.search(
        r"for `sample_data/adult_2000\.csv` with\s+`(?P<args>[^`]+)`[^\n]*:\n\n```\n(?P<out>.*?)\n```",
        README,
        re.S,
    )
    assert m, "the README's example check output (and the options it was made with) is missing"
    return m["args"].split(), m["out"].splitlines()


@pytest.fixture(scope="module")
def adult_scores():
    return dvclean.score(str(SAMPLE), label="income")


def test_readme_check_example_is_what_check_prints(tmp_path, monkeypatch):
    args, lines = _readme_check_example()
    assert lines and lines[0].startswith("FAIL mislabeled")
    # run as the README does, `dvclean check sample_data/adult_2000.csv ...` (no config file around)
    (tmp_path / "sample_data").mkdir()
    shutil.copyfile(SAMPLE, tmp_path / "sample_data" / "adult_2000.csv")
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["check", "sample_data/adult_2000.csv", *args, "--format", "text"])
    assert res.exit_code == 1, res.output
    printed = res.stdout.splitlines()
    for line in lines:
        assert line in printed, f"README line {line!r} not in the output:\n{res.stdout}"


def test_readme_python_example_check_line(adult_scores):
    m = re.search(r'out\.checks\[0\]\.line\(\)\s+# "([^"]+)"', README)
    assert m
    out = evaluate_check(adult_scores, CheckPolicy(max_mislabeled="2%", max_hard=300))
    assert out.checks[0].line() == m[1]
    assert out.status == "fail"


def test_readme_signal_weights_of_the_adult_sample(adult_scores):
    m = re.search(
        r"on the Adult sample: XGBoost (\d\.\d\d), OOB (\d\.\d\d), neighbours (\d\.\d\d), logistic regression (\d\.\d\d)\)",
        FLAT,
    )
    assert m, "the README's signal weights of the Adult sample are missing"
    w = adult_scores.summary["flags"]["signal_weights"]
    got = tuple(f"{w[k]:.2f}" for k in ("model", "oob", "neighbors", "linear"))
    assert got == m.groups()


# ------------------------------------------------------------------ regression columns


def test_regression_output_columns_are_the_documented_ones():
    rng = np.random.default_rng(0)
    n = 120
    x = rng.normal(size=(n, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + rng.normal(scale=0.3, size=n)
    df = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "price": y})
    cols = dvclean.score(df, label="price").frame.columns
    assert dvclean.score(df.lazy(), label="price").frame.columns == cols  # a LazyFrame is accepted too
    absent = ["suggested_label", "given_label_prob", "suggested_label_prob", "model_label_prob"]
    assert not set(absent) & set(cols)
    i = cols.index("is_conflicting_duplicate")
    assert cols[i + 1 : i + 3] == ["predicted_value", "target_z"]
    for name in absent:
        assert f"`{name}`" in FLAT.split("**Flags: outlying targets.**")[1][:400]
