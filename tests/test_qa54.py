"""Session 54: carried items and QA round 96's findings. A configuration file's ``seed = 1e3`` (a TOML float) was
taken as 1000, while ``--seed 1e3`` on the command line is refused: one rule for both."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dvclean.cli import app

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "adult_2000.csv"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _adult_head(path: Path, n: int = 120) -> Path:
    lines = SAMPLE.read_text().splitlines()
    path.write_text("\n".join(lines[: n + 1]) + "\n")
    return path


@pytest.mark.parametrize(("written", "example"), [("seed = 1e3", "seed = 1000"), ("seed = 1000.5", "seed = 1000"),
                                                  ("k = 5.0", "k = 5"), ("seed = inf", "seed = 1")])
def test_a_configuration_files_float_for_a_whole_number_option_is_refused(tmp_path, written, example):
    data = _adult_head(tmp_path / "d.csv")
    (tmp_path / "dvclean.toml").write_text(f'[score]\nlabel = "income"\n{written}\n')
    r = runner.invoke(app, ["score", str(data), "-m", "knn", "-o", str(tmp_path / "s.csv"), "-q",
                            "--config", str(tmp_path / "dvclean.toml")])
    assert r.exit_code == 2, r.output
    text = _flat(r.output)
    assert "whole number" in text and f"e.g. {example})" in text, text
    assert not (tmp_path / "s.csv").exists()


def test_a_configuration_files_whole_number_is_still_taken(tmp_path):
    data = _adult_head(tmp_path / "d.csv")
    (tmp_path / "dvclean.toml").write_text('[score]\nlabel = "income"\nseed = 1000\nk = 7\n')
    r = runner.invoke(app, ["score", str(data), "-m", "knn", "-o", str(tmp_path / "s.csv"), "-q",
                            "--config", str(tmp_path / "dvclean.toml")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "s.csv").exists()
