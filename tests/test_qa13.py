"""Thirteenth-session fixes: output path messages, and relabelled CSV cells spelled as the file spells them."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.cli import app
from dvclean.errors import OutputError
from dvclean.pipeline import check_output_path

runner = CliRunner()


def test_check_output_path_names_the_option_and_suggests_a_file_of_its_kind(tmp_path):
    with pytest.raises(OutputError, match=r"^--report .* is a directory; give a file path such as .*report\.html$"):
        check_output_path(tmp_path, [], option="--report", example="report.html")
    with pytest.raises(OutputError, match=r"^--output .* such as .*scores\.parquet$"):
        check_output_path(tmp_path, [])
    src = tmp_path / "d.csv"
    src.write_text("x,y\n1,0\n")
    with pytest.raises(OutputError, match=r"^--junit-xml .* is the input file"):
        check_output_path(src, [src], option="--junit-xml")
    with pytest.raises(OutputError, match=r"^--report - \(standard output\) is not supported"):
        check_output_path("-", [], option="--report")
    with pytest.raises(OutputError, match=r"^--output .*: the directory .*nope does not exist"):
        check_output_path(tmp_path / "nope" / "o.csv", [])


def test_fix_output_directory_suggests_the_fixed_file_name(tmp_path):
    src = tmp_path / "data.csv"
    src.write_text("x,y\n" + "".join(f"{i},{i % 2}\n" for i in range(30)))
    res = runner.invoke(app, ["fix", str(src), "-y", "y", "-o", str(tmp_path), "-q"])
    assert res.exit_code == 2
    flat = "".join(res.stderr.split())  # rich wraps long paths anywhere
    assert f"--output{tmp_path}isadirectory;giveafilepathsuchas{tmp_path / 'data.fixed.csv'}" in flat, res.stderr


def _padded_labels(path, n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = 2 * y + rng.normal(0, 1, n)
    y = np.where(rng.random(n) < 0.1, 1 - y, y)
    path.write_text("x,y\n" + "".join(f"{a:.3f}, {b}\n" for a, b in zip(x, y, strict=True)))


def test_relabelled_cells_keep_the_files_unquoted_padded_spelling(tmp_path):
    src, out = tmp_path / "sp.csv", tmp_path / "sp.fixed.csv"
    _padded_labels(src)
    res = runner.invoke(app, ["fix", str(src), "-y", "y", "--action", "relabel", "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    before, after = src.read_text().splitlines(), out.read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed, "the sample has flipped labels to relabel"
    for a, b in changed:
        assert '"' not in b and a.split(",")[0] == b.split(",")[0]
        assert {a.split(",")[1], b.split(",")[1]} == {" 0", " 1"}
    assert set(pl.read_csv(out).get_column("y").unique().to_list()) == {" 0", " 1"}


def test_a_relabelled_value_that_needs_quotes_still_gets_them(tmp_path):
    src, out = tmp_path / "q.csv", tmp_path / "q.fixed.csv"
    rng = np.random.default_rng(1)
    n = 300
    y = rng.integers(0, 2, n)
    x = 2 * y + rng.normal(0, 1, n)
    y = np.where(rng.random(n) < 0.1, 1 - y, y)
    names = {0: '"no, never"', 1: "yes"}
    src.write_text("x,y\n" + "".join(f"{a:.3f},{names[b]}\n" for a, b in zip(x, y, strict=True)))
    res = runner.invoke(app, ["fix", str(src), "-y", "y", "--action", "relabel", "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    got = pl.read_csv(out).get_column("y")
    assert set(got.unique().to_list()) == {"no, never", "yes"}
    assert (got != pl.read_csv(src).get_column("y")).sum() > 0
