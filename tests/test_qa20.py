"""Open items of earlier QA rounds fixed in session 20, one test each."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
from typer.testing import CliRunner

from dvclean.cli import app

runner = CliRunner()


def _write(tmp_path, n: int = 120, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    path = tmp_path / "d.csv"
    pl.DataFrame({"a": rng.normal(size=n) + 2 * y, "b": rng.normal(size=n), "y": np.where(y == 1, "p", "q")}).write_csv(path)
    return path


def test_configuration_file_type_errors_are_in_dvclean_words(tmp_path):
    data = _write(tmp_path)
    cases = {'seed = "abc"': "invalid value 'abc' for --seed: it must be a whole number",
             "k = 2.5": "invalid value 2.5 for --k: it must be a whole number",
             'hard-frac = "zz"': "invalid value 'zz' for --hard-frac: expected a fraction such as 0.05"}
    for text, expected in cases.items():
        cfg = tmp_path / "c.toml"
        cfg.write_text(text + "\n")
        r = runner.invoke(app, ["score", str(data), "-y", "y", "--config", str(cfg), "-o", str(tmp_path / "o.csv")])
        assert r.exit_code == 2 and expected in r.output, r.output
        assert "Invalid value" not in r.output and "Input should be" not in r.output  # was the parser's wording twice
        assert not (tmp_path / "o.csv").exists()


def test_mislabel_max_rows_range_error_is_one_line(tmp_path):
    data = _write(tmp_path)
    r = runner.invoke(app, ["score", str(data), "-y", "y", "--mislabel-max-rows", "0", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 2 and "--mislabel-max-rows must be an int >= 1; got 0." in r.output  # was the usage box
    assert "Usage:" not in r.output


def test_model_that_needs_arguments_names_them_and_a_fix(tmp_path):
    data = _write(tmp_path)
    r = runner.invoke(app, ["score", str(data), "-y", "y", "-m", "tmc", "--model", "sklearn.pipeline.Pipeline",
                            "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 2
    assert "cannot be built without arguments (it needs 'steps'); give a class whose defaults" in r.output
    assert "__init__()" not in r.output  # was Python's TypeError text


def test_check_text_output_names_the_new_rows(tmp_path):
    data = _write(tmp_path, n=160)
    base = tmp_path / "base.json"
    part = tmp_path / "part.csv"
    pl.read_csv(data).head(40).write_csv(part)  # a baseline of a quarter of the rows: most of today's flags are new
    r = runner.invoke(app, ["check", str(part), "-y", "y", "--json"])
    assert r.exit_code == 0, r.output
    base.write_text(r.stdout)
    doc = json.loads(runner.invoke(app, ["check", str(data), "-y", "y", "--baseline", str(base), "--json",
                                         "--max-new-hard", "0"]).stdout)
    new = doc["baseline"]["new_hard_rows"]
    assert len(new) > 10
    r = runner.invoke(app, ["check", str(data), "-y", "y", "--baseline", str(base), "--max-new-hard", "0",
                            "--warn-new-mislabeled", str(len(doc["baseline"]["new_mislabeled_rows"]))])
    lines = r.stdout.splitlines()
    i = next(j for j, line in enumerate(lines) if line.startswith("FAIL new_hard"))
    shown = ", ".join(str(v) for v in new[:10])
    assert lines[i + 1] == f"  rows (row_id): {shown} and {len(new) - 10} more (--json lists all)"
    assert lines[i - 1].startswith("PASS new_mislabeled")  # a passed check gets no rows line
    from dvclean.report import formats

    assert f"  rows (row_id): {shown}" in r.stdout
    assert formats.NEW_ROWS_SHOWN == 10
