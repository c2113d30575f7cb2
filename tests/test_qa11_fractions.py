"""QA s11 #8 and #12: fractions of rows.

* ``--expected-noise P`` flags ``floor(P x n)`` rows (at least one), so ``check --expected-noise P
  --max-mislabeled P`` passes instead of failing by construction (19 flagged of 376 at 5%, 18.8 allowed);
* ``--hard-frac`` takes a percentage (``5%``) as well as a fraction (``0.05``) in score, check and fix,
  on the command line and in dvclean.toml, with the same range checks as the library.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import dvclean
from dvclean.cli import app
from dvclean.config import MislabelConfig, ScoreConfig
from dvclean.flags import expected_count, expected_noise_flags, top_fraction
from tests.test_check import clusters

runner = CliRunner()
WIDE = {"COLUMNS": "400", "TERMINAL_WIDTH": "400"}


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "d.csv"
    clusters(n_per_class=30, flips=(3, 17, 44)).write_csv(path)
    return path


# ------------------------------------------------------------------ #8 --expected-noise rounds down


def test_expected_count_rounds_down_with_at_least_one_row():
    assert expected_count(0.05, 376) == 18  # 18.8: the gate --max-mislabeled 5% allows 18
    assert expected_count(0.08, 60) == 4
    assert expected_count(0.29, 100) == 29  # 28.999999999999996 in floats
    assert expected_count(0.05, 10) == 1  # a declared noise rate flags at least one row
    assert expected_count(0.5, 0) == 0
    score = np.linspace(0, 1, 376)
    assert expected_noise_flags(score, 0.05).sum() == 18
    # the consensus rule's own cut (its estimated count as a fraction) still rounds to the nearest row
    assert top_fraction(score, 18.8 / 376).sum() == 19


def test_library_flags_the_rounded_down_count():
    df = clusters(n_per_class=30, flips=(3, 17, 44))
    r = dvclean.score(df, label="y", id_column="uid", config=ScoreConfig(mislabel=MislabelConfig(expected_noise=0.08)))
    assert int(r.frame.get_column("is_mislabeled").sum()) == 4  # 0.08 x 60 = 4.8


def test_check_gate_at_the_expected_noise_passes(data):
    res = runner.invoke(app, ["check", str(data), "-y", "y", "--id", "uid", "--expected-noise", "8%",
                              "--max-mislabeled", "8%", "--json"], env=WIDE)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert len(doc["flagged"]["mislabeled"]) == 4
    assert doc["status"] == "pass", doc["checks"]


# ------------------------------------------------------------------ #12 --hard-frac takes a percentage


def hard_rows(command: str, data: Path, *args: str) -> set[str]:
    if command == "score":
        out = data.with_name("s.csv")
        res = runner.invoke(app, ["score", str(data), "--id", "uid", "-q", "-o", str(out), *args], env=WIDE)
        assert res.exit_code == 0, res.output
        return set(pl.read_csv(out).filter(pl.col("is_hard")).get_column("uid").to_list())
    res = runner.invoke(app, ["check", str(data), "--id", "uid", "--json", "--exit-zero", *args], env=WIDE)
    assert res.exit_code == 0, res.output
    return set(json.loads(res.stdout)["flagged"]["hard"])


@pytest.mark.parametrize("command", ["score", "check"])
def test_hard_frac_takes_a_percentage(data, command):
    as_percent = hard_rows(command, data, "-y", "y", "--hard-frac", "20%")
    assert len(as_percent) >= 10
    assert hard_rows(command, data, "-y", "y", "--hard-frac", "0.2") == as_percent
    assert hard_rows(command, data, "-y", "y", "--hard-frac", " 20 % ") == as_percent
    (data.parent / "dvclean.toml").write_text('label = "y"\nhard-frac = "20%"\n')
    assert hard_rows(command, data) == as_percent


def test_fix_takes_a_hard_frac_percentage(data):
    out = data.with_name("f.csv")
    report = str(data.with_name("f.html"))  # (without --report a typed --hard-frac changes nothing: refused)
    res = runner.invoke(app, ["fix", str(data), "-y", "y", "--hard-frac", "5%", "-o", str(out), "--report", report, "-q"],
                        env=WIDE)
    assert res.exit_code == 0, res.output
    (data.parent / "dvclean.toml").write_text('label = "y"\n[fix]\nhard-frac = "5%"\n')
    res = runner.invoke(app, ["fix", str(data), "-o", str(out), "-q"], env=WIDE)
    assert res.exit_code == 0, res.output


def test_hard_frac_refuses_what_is_no_fraction(data):
    for value, message in [
        ("150%", "a percentage must be between 0% and 100%; got 150%"),
        ("-5%", "a percentage must be between 0% and 100%; got -5%"),
        ("ten%", "expected a fraction such as 0.05 or a percentage such as 5%"),
        ("2", "--hard-frac must be a float in [0, 1]; got 2.0 (a percentage? write 2%)."),  # the library's range, as for 0.05
    ]:
        res = runner.invoke(app, ["check", str(data), "-y", "y", "--hard-frac", value], env=WIDE)
        assert res.exit_code == 2 and message in flat(res.output), (value, res.output)
    for value in ("0%", "100%"):  # the library takes [0, 1]: so does the percentage
        res = runner.invoke(app, ["check", str(data), "-y", "y", "--hard-frac", value, "--exit-zero", "-q"], env=WIDE)
        assert res.exit_code == 0, (value, res.output)


def test_augment_takes_a_hard_frac_percentage(tmp_path):
    src = tmp_path / "a.csv"
    clusters(n_per_class=60, flips=(3, 17, 44)).write_csv(src)
    outs = []
    for i, value in enumerate(("20%", "0.2")):
        out = tmp_path / f"aug{i}.csv"
        res = runner.invoke(app, ["augment", str(src), "-y", "y", "--id", "uid", "--hard-frac", value, "-g",
                                  "gaussian-copula", "-n", "10", "-o", str(out), "-q"], env=WIDE)
        assert res.exit_code == 0, res.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
