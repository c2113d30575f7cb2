"""Session 43's fixes (QA rounds 66-67 and the items left from session 42)."""

from __future__ import annotations

from typer.testing import CliRunner

from dvclean.cli import app

from .test_check import clusters, write_csv

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


def test_a_step_summary_naming_one_of_several_data_files_is_refused_once(tmp_path, monkeypatch):
    a = write_csv(clusters(), tmp_path / "a.csv")
    b = write_csv(clusters(), tmp_path / "b.csv")
    before = a.read_bytes()
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(a))
    res = runner.invoke(app, ["check", str(a), str(b), "-y", "y", "--format", "github"])
    assert res.exit_code == 2, res.output
    said = flat(res.stderr + res.stdout)
    assert said.count(f"$GITHUB_STEP_SUMMARY ({a}) is the input file {a}") == 2  # the ::error line and stderr: once each
    assert a.read_bytes() == before
    monkeypatch.setenv("GITHUB_ACTIONS", "true")  # the github format by default in GitHub Actions: the same
    res = runner.invoke(app, ["check", str(a), str(b), "-y", "y"])
    assert res.exit_code == 2 and flat(res.stderr + res.stdout).count("is the input file") == 2
    res = runner.invoke(app, ["check", str(a), str(b), "-y", "y", "--format", "text"])  # not appended to: fine
    assert res.exit_code == 0, res.output
    assert a.read_bytes() == before
