"""The scoring's notes in `check` and `fix` (as `note:` lines, as `score` prints them), and `check --quiet`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from dvclean.cli import app

runner = CliRunner()
WIDE = {"COLUMNS": "250", "TERMINAL_WIDTH": "250", "GITHUB_ACTIONS": "", "GITHUB_STEP_SUMMARY": ""}
IGNORED = "ignored feature columns: k (constant)"
NO_THRESHOLDS = "no thresholds are set"


def flat(text: str) -> str:
    return " ".join(text.split())  # (rich wraps long lines at the terminal's width)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """80 rows: numeric features a and b, a constant column k (ignored by the encoder, with a note), label y."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=80), rng.normal(size=80)
    y = (a + b > 0).astype(int)
    path = tmp_path_factory.mktemp("notes") / "f.csv"
    path.write_text("a,b,k,y\n" + "".join(f"{a[i]:.4f},{b[i]:.4f},7,{y[i]}\n" for i in range(80)))
    return path


def invoke(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, [str(a) for a in args], env={**WIDE, **(env or {})})


def test_score_prints_the_note(data, tmp_path):
    """(the reference: what `check` and `fix` now do too)"""
    res = invoke("score", data, "-y", "y", "-o", tmp_path / "s.parquet")
    assert res.exit_code == 0, res.output
    assert f"note: {IGNORED}" in res.stdout and "WARNING" not in res.output


# ---------------------------------------------------------------- 1: check --quiet prints nothing but errors


def test_check_quiet_prints_nothing(data):
    res = invoke("check", data, "-y", "y", "-q")
    assert res.exit_code == 0, res.output
    assert res.stdout == "" and res.stderr == ""


def test_check_quiet_failing_gate_prints_nothing_and_exits_1(data):
    res = invoke("check", data, "-y", "y", "-q", "--max-hard", "0")
    assert res.exit_code == 1, res.output
    assert res.stdout == "" and res.stderr == ""
    res = invoke("check", data, "-y", "y", "-q", "--max-hard", "0", "--exit-zero")
    assert res.exit_code == 0 and res.stdout == "" and res.stderr == ""


def test_check_quiet_still_writes_files_and_prints_the_asked_format(data, tmp_path):
    junit, report = tmp_path / "j.xml", tmp_path / "r.html"
    res = invoke("check", data, "-y", "y", "-q", "--max-hard", "0", "--junit-xml", junit, "--report", report)
    assert res.exit_code == 1
    assert res.stdout == "" and res.stderr == "" and junit.is_file() and report.is_file()
    for fmt in (["--json"], ["--format", "json"]):
        res = invoke("check", data, "-y", "y", "-q", *fmt)
        assert res.exit_code == 0 and res.stderr == ""
        assert json.loads(res.stdout)["status"] == "pass"
    res = invoke("check", data, "-y", "y", "-q", "--format", "markdown")
    assert res.exit_code == 0 and res.stdout.startswith("## dvclean check") and res.stderr == ""
    res = invoke("check", data, "-y", "y", "-q", "--format", "text", "--max-hard", "0")
    assert res.exit_code == 1 and "FAIL hard" in res.stdout and res.stderr == ""


def test_check_quiet_under_github_actions_still_writes_the_step_summary(data, tmp_path):
    step = tmp_path / "step.md"
    res = invoke("check", data, "-y", "y", "-q", "--max-hard", "0",
                 env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(step)})
    assert res.exit_code == 1
    assert res.stdout == "" and res.stderr == ""
    assert "dvclean check" in step.read_text(encoding="utf-8") and IGNORED in step.read_text(encoding="utf-8")


# ---------------------------------------------------------------- 2, 3: the encoder's notes are check's and fix's notes


def test_check_text_lists_the_encoder_note_as_a_note_line(data):
    res = invoke("check", data, "-y", "y")
    assert res.exit_code == 0, res.output
    err = res.stderr
    assert "WARNING" not in res.output
    assert err.count(f"note: {IGNORED}") == 1  # once: not also as a log record
    assert f"note: {NO_THRESHOLDS}" in err
    assert "PASS: 0 failed" in res.stdout and "note:" not in res.stdout


def test_check_json_notes_hold_the_encoder_note(data):
    res = invoke("check", data, "-y", "y", "--json")
    assert res.exit_code == 0, res.output
    notes = json.loads(res.stdout)["notes"]
    assert notes.count(IGNORED) == 1 and any(n.startswith(NO_THRESHOLDS) for n in notes)
    assert res.stderr == ""


def test_check_json_validates_against_the_schema(data):
    jsonschema = pytest.importorskip("jsonschema")
    import dvclean

    schema = json.loads((Path(dvclean.__file__).parent / "schemas" / "check.schema.json").read_text(encoding="utf-8"))
    doc = json.loads(invoke("check", data, "-y", "y", "--json", "--max-hard", "50%").stdout)
    jsonschema.validate(doc, schema)
    assert IGNORED in doc["notes"]


def test_check_markdown_and_github_list_the_encoder_note(data):
    res = invoke("check", data, "-y", "y", "--format", "markdown")
    assert res.exit_code == 0 and f"- {IGNORED}" in res.stdout
    res = invoke("check", data, "-y", "y", "--format", "github")
    assert res.exit_code == 0
    assert any(line.startswith("::notice") and line.endswith(IGNORED) for line in res.stdout.splitlines())
    assert "WARNING" not in res.output


def test_check_report_lists_the_note_once(data, tmp_path):
    report = tmp_path / "r.html"
    res = invoke("check", data, "-y", "y", "--report", report)
    assert res.exit_code == 0, res.output
    assert report.read_text(encoding="utf-8").count(IGNORED) == 1


def test_fix_prints_the_encoder_note_as_a_note_line(data, tmp_path):
    res = invoke("fix", data, "-y", "y", "-o", tmp_path / "out.csv")
    assert res.exit_code == 0, res.output
    assert "WARNING" not in res.output
    assert flat(res.output).count(f"note: {IGNORED}") == 1
    lines = res.stdout.splitlines()
    assert "rows written to" in flat(res.stdout) and lines[-1] == f"note: {IGNORED}"  # after the summary, as score


def test_fix_json_and_quiet(data, tmp_path):
    out = tmp_path / "out.csv"
    res = invoke("fix", data, "-y", "y", "-o", out, "--json")
    assert res.exit_code == 0 and res.stderr == ""
    assert json.loads(res.stdout)["notes"] == [IGNORED]
    res = invoke("fix", data, "-y", "y", "-o", out, "-q")
    assert res.exit_code == 0 and res.stdout == "" and res.stderr == "" and out.is_file()


def test_verbose_check_still_prints_the_note_once(data):
    res = invoke("check", data, "-y", "y", "-v")
    assert res.exit_code == 0, res.output
    assert res.stderr.count(IGNORED) == 1
