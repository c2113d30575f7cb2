"""Session 46 QA findings on `dvclean check` and the GitHub Action: help inside a group of short flags, a warn
threshold above its max in other units, notes said once under --format github, shares that round to their threshold,
per-class limits on a regression target refused before the scoring."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.check import CheckLine, CheckPolicy, evaluate_check, parse_threshold
from dvclean.cli import app
from dvclean.errors import ConfigError

from .test_qa21 import _action_script

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


def _frame(n: int = 120, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return pl.DataFrame({"a": rng.normal(size=n) + 2 * y, "b": rng.normal(size=n), "y": np.where(y == 1, "p", "q")})


# --- 1: the action refuses -h / -V inside a group of short flags ----------------------------------------------------

@pytest.fixture
def action(tmp_path):
    _frame().write_csv(tmp_path / "d.csv")
    script = tmp_path / "run.sh"
    script.write_text(_action_script())
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "DVCLEAN_DATA": "d.csv"}

    def run(args: str) -> tuple[str, str]:
        out = tmp_path / "github_output"
        out.write_text("")
        r = subprocess.run(["bash", "-eo", "pipefail", str(script)], cwd=tmp_path, capture_output=True, text=True,
                           env={**env, "DVCLEAN_ARGS": args, "GITHUB_OUTPUT": str(out)}, timeout=300)
        return out.read_text().strip(), r.stdout + r.stderr

    return run


@pytest.mark.parametrize(("args", "said"), [
    ("-y y --max-mislabeled 2% -qh", "-qh (holds -h)"),
    ("-y y -vh", "-vh (holds -h)"),
    ("-hq -y y", "-hq (holds -h)"),
    ("-y y -vvh", "-vvh (holds -h)"),
    ("-y y -qV", "-qV (holds -V)"),
    ("-y y -h", "-h"),
])
def test_action_refuses_help_and_version_inside_a_group_of_short_flags(action, args, said):
    """(was: -qh printed dvclean check's help, exit 0, and the action said status=pass with no report)"""
    status, output = action(args)
    assert status == "status=error", output
    assert f"{said} in the action's args input would check nothing and pass" in output, output
    assert "Usage:" not in output  # dvclean never ran


@pytest.mark.parametrize(("args", "label"), [("-yh", "h"), ("-qyh", "h"), ("-y -h", "-h"), ("-qy -hV", "-hV")])
def test_action_reads_the_rest_of_a_group_as_the_value_of_an_option_that_takes_one(action, args, label):
    """-y takes a value: -yh is the label h (as click reads it), not -y with -h; nor is the word after -y an option."""
    status, output = action(args)
    assert status == "status=error", output  # (no such label column)
    assert "would check nothing" not in output and f"label column '{label}' not found" in flat(output), output


# --- 2: a warn threshold above its max in other units is an error once the rows are counted -------------------------

def test_warn_above_max_in_other_units_is_an_error_and_writes_no_output(tmp_path):
    path = tmp_path / "d.csv"
    _frame(300).write_csv(path)
    report, junit = tmp_path / "r.html", tmp_path / "j.xml"
    r = runner.invoke(app, ["check", str(path), "-y", "y", "--max-mislabeled", "2%", "--warn-mislabeled", "20",
                            "--report", str(report), "--junit-xml", str(junit)])
    assert r.exit_code == 2, r.output
    assert ("--warn-mislabeled 20 rows is above --max-mislabeled 2% (6 of 300): the check would fail before it could "
            "warn; set --warn-mislabeled at or below 6 rows or 2%, or raise --max-mislabeled to at least 20 rows"
            in flat(r.output)), r.output
    assert not report.exists()  # (as any exit-2 error: no half-done outputs; the JUnit document holds the error)
    assert 'name="run"' in junit.read_text() and "before it could warn" in junit.read_text()
    r = runner.invoke(app, ["check", str(path), "-y", "y", "--max-hard", "3", "--warn-hard", "5%"])
    assert r.exit_code == 2 and "--warn-hard 5% (15 of 300) is above --max-hard 3 rows" in flat(r.output), r.output
    r = runner.invoke(app, ["check", str(path), "-y", "y", "--max-mislabeled", "10%", "--warn-mislabeled", "20"])
    assert r.exit_code in (0, 1) and "before it could warn" not in r.output, r.output  # 20 rows is below 30 of 300


def test_per_class_warn_above_max_is_an_error_only_where_no_class_can_warn():
    mx, warn = parse_threshold("2%", "max-mislabeled-per-class"), parse_threshold("5", "warn-mislabeled-per-class")

    def cls(name: str, total: int) -> CheckLine:
        return CheckLine(f"mislabeled[class={name}]", "pass", 0, total, mx, warn, option="mislabeled-per-class")

    from dvclean.check import _warn_above_max

    with pytest.raises(ConfigError, match=r"in every class \(its largest, mislabeled\[class=b\], 200 rows: warn 5 rows, "
                                          r"max 2% \(4 of 200\)\)"):
        _warn_above_max([cls("a", 100), cls("b", 200)])
    # a class of 1000 rows may warn at 5 (its max is 20): the class of 100 (max 2) gets a note
    note, = _warn_above_max([cls("a", 100), cls("b", 1000)])
    assert note.startswith("--warn-mislabeled-per-class 5 is above --max-mislabeled-per-class 2% in mislabeled[class=a] "
                           "(e.g. 5 rows against 2% (2 of 100))"), note


def test_evaluate_check_refuses_a_warn_above_its_max_in_rows():
    import dvclean

    result = dvclean.score(_frame(200), label="y", config=dvclean.ScoreConfig(methods=("knn",)))
    with pytest.raises(ConfigError, match=r"--warn-conflicting-duplicates 5% \(10 of 200\) is above "
                                          r"--max-conflicting-duplicates 1 row"):
        evaluate_check(result, CheckPolicy(max_conflicting_duplicates=1, warn_conflicting_duplicates="5%"))


# --- 3: under --format github a note is printed once, as its ::notice ------------------------------------------------

def test_github_format_prints_each_note_once(tmp_path, monkeypatch):
    path = tmp_path / "d.csv"
    _frame().with_columns(pl.lit(1).alias("const")).write_csv(path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    r = runner.invoke(app, ["check", str(path), "-y", "y", "--max-mislabeled", "50%", "--format", "github"])
    assert r.exit_code == 0, r.output
    notices = [ln for ln in r.stdout.splitlines() if ln.startswith("::notice ")]
    assert any(ln.endswith("ignored feature columns: const (constant)") for ln in notices), r.stdout
    assert "note:" not in r.stderr and "ignored feature columns" not in r.stderr, r.stderr
    # the text format says it on stderr, as before
    r = runner.invoke(app, ["check", str(path), "-y", "y", "--max-mislabeled", "50%", "--format", "text"])
    assert "note: ignored feature columns: const (constant)" in r.stderr, r.stderr


def test_github_notes_past_the_notice_budget_are_note_lines(tmp_path, monkeypatch):
    """A note GitHub would not show (the step's 10 notices spent) is still said, on stderr."""
    from dvclean.cli import check_cmd

    path = tmp_path / "d.csv"
    _frame().with_columns(pl.lit(1).alias("const")).write_csv(path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.setattr(check_cmd, "_ANNOTATIONS", {"files": 1, "error": 10, "notice": 0, "warning": 10})
    r = runner.invoke(app, ["check", str(path), "-y", "y", "--max-mislabeled", "50%", "--format", "github"])
    assert r.exit_code == 0, r.output
    assert "::notice" not in r.stdout and "note: ignored feature columns: const (constant)" in r.stderr, r.output


# --- 4: a share that rounds to its threshold gets the digits that tell them apart ------------------------------------

def test_a_share_rounding_to_its_threshold_shows_more_digits():
    mx = parse_threshold("6.85%", "max-mislabeled")
    line = CheckLine("mislabeled", "fail", 39, 569, mx, None)
    assert line.line() == "FAIL mislabeled 39 (6.854%) max 6.85% (38 of 569)"  # (was: 39 (6.85%) max 6.85%)
    assert CheckLine("mislabeled", "pass", 38, 569, mx, None).value_text == "38 (6.68%)"  # only when needed
    # a warn threshold too; one typed with fewer decimals is compared as a number (6.8% is 6.80%)
    warn = parse_threshold("6.8%", "warn-mislabeled")
    assert CheckLine("mislabeled", "warn", 387, 5690, None, warn).value_text == "387 (6.801%)"
    # an exact match needs no more digits (1% of 200 is 2 rows), nor does a count threshold
    assert CheckLine("m", "pass", 2, 200, parse_threshold("1%", "max-m"), None).value_text == "2 (1.00%)"
    assert CheckLine("m", "fail", 39, 569, parse_threshold("38", "max-m"), None).value_text == "39 (6.85%)"
    # as many digits as it takes on many rows: 500000001 of 10**9 against 50%
    assert CheckLine("m", "fail", 500000001, 10**9, parse_threshold("50%", "max-m"), None).value_text.endswith(
        "(50.0000001%)")


# --- 5: a per-class limit on a regression target is refused before the scoring --------------------------------------

@pytest.fixture
def regression_csv(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    path = tmp_path / "reg.csv"
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "score_pct": 50 + 10 * x[:, 0] + rng.normal(size=200)}).write_csv(path)
    return path


@pytest.mark.parametrize("task", [[], ["--task", "regression"]])
def test_per_class_limit_on_a_regression_target_is_refused_before_scoring(regression_csv, monkeypatch, task):
    """The refusal comes once the table is read and its task known: nothing after that (the valuation) runs."""
    import dvclean.pipeline

    def scored(*args, **kwargs):
        raise AssertionError("the rows were being scored")

    monkeypatch.setattr(dvclean.pipeline, "_index_feature_note", scored)  # (the first step after the table check)
    r = runner.invoke(app, ["check", str(regression_csv), "-y", "score_pct", "--max-mislabeled-per-class", "5%", *task])
    assert r.exit_code == 2, r.output
    assert ("--max-mislabeled-per-class 5%: the label 'score_pct' is a regression target, which has no classes"
            in flat(r.output)), r.output


def test_per_class_limit_from_a_configuration_file_stays_a_note_on_a_regression_target(regression_csv):
    (regression_csv.parent / "dvclean.toml").write_text('[check]\nmax-mislabeled-per-class = "5%"\n'
                                                         'max-mislabeled = "50%"\n')
    r = runner.invoke(app, ["check", str(regression_csv), "-y", "score_pct", "--format", "text"])
    assert r.exit_code == 0, r.output
    assert "max-mislabeled-per-class = 5% (configuration file) is not checked" in flat(r.stderr), r.stderr


# --- 6: a few new rows beside many flagged ones can be model noise: a note says so ----------------------------------

def test_a_few_new_rows_get_a_note_that_they_can_be_model_noise(tmp_path):
    """Editing any row moves the folds of the others (rows are valued in content order), so a few borderline flags
    move: a failed new-* check with few rows beside the flagged ones says so; one with many does not."""
    import json

    path = tmp_path / "d.csv"
    _frame(300).write_csv(path)
    r = runner.invoke(app, ["check", str(path), "-y", "y", "--json", "--exit-zero"])
    doc = json.loads(r.stdout)
    flagged = list(doc["flagged"]["mislabeled"])
    assert len(flagged) >= 20, len(flagged)  # (enough flagged rows for one new row to be few beside them)
    for dropped, noted in ((1, True), (len(flagged) // 2, False)):
        base = dict(doc, flagged={**doc["flagged"], "mislabeled": flagged[dropped:]})  # those rows: "new" now
        (tmp_path / "base.json").write_text(json.dumps(base))
        r = runner.invoke(app, ["check", str(path), "-y", "y", "--baseline", str(tmp_path / "base.json"),
                                "--max-new-mislabeled", "0", "--format", "text"])
        assert r.exit_code == 1 and f"FAIL new_mislabeled {dropped} " in r.stdout, r.output
        said = (f"note: new_mislabeled: {dropped} new row{'s' if dropped > 1 else ''} beside the {len(flagged)} flagged "
                "now can be model noise")
        assert (said in flat(r.stderr)) is noted, r.stderr
        assert ("review the row" in flat(r.stderr) and "allow a few in --max-new-mislabeled" in flat(r.stderr)) is noted
