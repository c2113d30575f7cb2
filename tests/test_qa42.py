"""Session 42's fixes (QA rounds 64-65 and the items left from round 62/63)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from dvclean.cli import app

from .test_check import clusters, write_csv

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("command", [["score"], ["check", "--max-mislabeled", "50%"], ["fix", "--action", "mark"]])
def test_quiet_and_verbose_together_are_a_usage_error(tmp_path, command):
    data = write_csv(clusters(), tmp_path / "d.csv")
    res = runner.invoke(app, [*command, str(data), "-y", "y", "-q", "-v"])
    assert res.exit_code == 2, res.output
    assert "--quiet and --verbose contradict each other" in flat(res.stderr) and "drop one of them" in flat(res.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]  # nothing written
    (tmp_path / "dvclean.toml").write_text('label = "y"\nquiet = true\n')
    res = runner.invoke(app, [*command, str(data), "-vv"])
    assert res.exit_code == 2
    assert f"remove quiet from {tmp_path / 'dvclean.toml'} or drop --verbose" in flat(res.stderr)
    assert runner.invoke(app, [*command, str(data)]).exit_code == 0  # quiet alone, from the file: fine
