"""Open items of earlier QA rounds and QA round 27, fixed in session 23, one test each."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
from typer.testing import CliRunner

from dvclean.cli import app

runner = CliRunner()


def _two_class_csv(path, n: int = 120, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    pl.DataFrame({"a": rng.normal(size=n) + 2 * y, "b": rng.normal(size=n), "y": y}).write_csv(path)


def test_resume_without_checkpoint_is_a_note_of_the_json_summary(tmp_path):
    # the note was printed only when not --json; a CI job reading the JSON never learnt that nothing was resumed
    _two_class_csv(tmp_path / "d.csv")
    out = tmp_path / "s.parquet"
    r = runner.invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "y", "-m", "tmc", "--max-permutations", "10",
                            "--resume", "--json", "-o", str(out)])
    assert r.exit_code == 0, r.output
    notes = json.loads(r.stdout)["notes"]
    assert any("no checkpoint" in n and "from scratch" in n for n in notes), notes


def _adult_head(path, start: int, n: int) -> None:
    from pathlib import Path

    lines = (Path(__file__).resolve().parents[1] / "sample_data" / "adult_2000.csv").read_text().splitlines()
    path.write_text("\n".join([lines[0], *lines[start:start + n]]) + "\n")


def test_check_of_several_files_after_a_double_dash(tmp_path):
    # every file's run got ["...", "--", "a.csv", "--", "b.csv"]: the first -- was read as a data file, exit 2
    _adult_head(tmp_path / "a.csv", 1, 100)
    _adult_head(tmp_path / "b.csv", 200, 100)
    r = runner.invoke(app, ["check", "-y", "income", "--max-mislabeled", "50%", "--", str(tmp_path / "a.csv"),
                            str(tmp_path / "b.csv")])
    assert r.exit_code == 0, r.output
    assert r.output.count("PASS:") == 2


def test_step_summary_naming_a_later_file_of_several_is_refused_before_any_write(tmp_path, monkeypatch):
    # the first file's run appended its Markdown to the second file, which was refused only when its turn came
    _adult_head(tmp_path / "a.csv", 1, 100)
    _adult_head(tmp_path / "b.csv", 200, 100)
    before = (tmp_path / "b.csv").read_bytes()
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "b.csv"))
    r = runner.invoke(app, ["check", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), "-y", "income",
                            "--max-mislabeled", "50%", "--format", "github"])
    assert r.exit_code == 2, r.output
    assert "GITHUB_STEP_SUMMARY" in r.output
    assert (tmp_path / "b.csv").read_bytes() == before


def test_an_output_that_is_also_the_redirected_stdout_is_refused(tmp_path):
    # `--junit-xml same.out > same.out`: the XML was renamed over the file and the printed JSON went nowhere
    import subprocess
    import sys

    _adult_head(tmp_path / "a.csv", 1, 100)
    same = tmp_path / "same.out"
    with same.open("wb") as out:
        p = subprocess.run([sys.executable, "-m", "dvclean", "check", str(tmp_path / "a.csv"), "-y", "income",
                            "--max-mislabeled", "5%", "--json", "--junit-xml", str(same)], stdout=out,
                           stderr=subprocess.PIPE, text=True, timeout=300)
    assert p.returncode == 2, p.stderr
    assert "standard output" in p.stderr and "--junit-xml" in p.stderr
    assert same.read_bytes() == b""


def test_markdown_cells_turn_no_bare_url_into_a_link():
    from dvclean.report.formats import _md_cell

    for text in ("https://phish.example/login", "www.evil.example", "HTTP://X.EXAMPLE", "ftp://h.example/f"):
        cell = _md_cell(text)
        assert "://" not in cell and "www." not in cell.lower()
        assert cell.replace("\u200b", "") == text


def test_a_large_row_count_threshold_is_kept_as_written():
    from dvclean.check import parse_threshold

    t = parse_threshold("99999999999999999999", "max-mislabeled")
    assert t.text == "99999999999999999999" and t.kind == "count"
    assert parse_threshold("20.0", "max-mislabeled").text == "20"
