"""QA round 37: a gate's output says which configuration file set the thresholds it applied (the nearest file wins,
so a dvclean.toml added beside the data silently replaced the repository's gate)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dvclean.cli import app

from .test_check import FLIPS, clusters, write_csv

runner = CliRunner()
PREFIX = "thresholds from a configuration file: "


def flat(text: str) -> str:
    return " ".join(text.split())  # (rich wraps long lines at the terminal's width)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A data file under a pyproject.toml that sets the label and two thresholds."""
    (tmp_path / "data").mkdir()
    data = write_csv(clusters(flips=FLIPS), tmp_path / "data" / "d.csv")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.dvclean]\nlabel = "y"\n[tool.dvclean.check]\nmax-mislabeled = "20%"\nwarn-hard = 30\n'
    )
    monkeypatch.chdir(tmp_path)
    return data


def _origin(doc: dict) -> str | None:
    return next((n.removeprefix(PREFIX) for n in doc["notes"] if n.startswith(PREFIX)), None)


def test_json_names_the_file_and_table_each_threshold_came_from(repo, tmp_path):
    r = runner.invoke(app, ["check", str(repo), "--json"])
    assert r.exit_code == 0, r.output
    origin = _origin(json.loads(r.stdout))
    assert origin == f"max-mislabeled = '20%', warn-hard = 30 ({tmp_path / 'pyproject.toml'} [tool.dvclean.check])"


def test_a_nearer_file_is_named_beside_the_repository_one(repo, tmp_path):
    (tmp_path / "data" / "dvclean.toml").write_text("[check]\nmax-hard = 5\n")
    r = runner.invoke(app, ["check", str(repo), "--format", "text"])
    assert r.exit_code == 1, r.output  # (max-hard 5 fails: the file beside the data is applied)
    said = flat(r.stderr)
    assert f"note: {PREFIX}" in said
    assert f"max-hard = 5 ({tmp_path / 'data' / 'dvclean.toml'} [check])" in said


def test_thresholds_typed_on_the_command_line_are_not_attributed_to_the_file(repo, tmp_path):
    r = runner.invoke(app, ["check", str(repo), "--json", "--max-mislabeled", "50%"])
    assert r.exit_code == 0, r.output
    origin = _origin(json.loads(r.stdout))
    assert origin is not None and "max-mislabeled" not in origin and "warn-hard = 30" in origin
    r = runner.invoke(app, ["check", str(repo), "--json", "--max-mislabeled", "50%", "--warn-hard", "90%"])
    assert _origin(json.loads(r.stdout)) is None  # every threshold typed: nothing from the file, no note


def test_no_note_without_configured_thresholds(tmp_path, monkeypatch):
    data = write_csv(clusters(flips=FLIPS), tmp_path / "d.csv")
    (tmp_path / "dvclean.toml").write_text('label = "y"\n')  # a configuration file, but no threshold in it
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["check", str(data), "--json", "--max-mislabeled", "50%"])
    assert r.exit_code == 0, r.output
    assert _origin(json.loads(r.stdout)) is None


def test_new_row_thresholds_ignored_by_no_baseline_are_not_listed_as_applied(repo, tmp_path):
    with (tmp_path / "pyproject.toml").open("a") as fh:
        fh.write('baseline = "main.json"\nmax-new-mislabeled = 3\n')
    r = runner.invoke(app, ["check", str(repo), "--json", "--no-baseline"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    origin = _origin(doc)
    assert origin is not None and "max-new-mislabeled" not in origin and "max-mislabeled = '20%'" in origin
    assert any(n.startswith("--no-baseline: ignored") and "max-new-mislabeled = 3" in n for n in doc["notes"])
