"""Fourteenth-session fixes: the run time a command reports counts every stage once."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import numpy as np
from rich.console import Console
from typer.testing import CliRunner

from dvclean import ScoreConfig, score
from dvclean.cli import app
from dvclean.cli._output import render_score
from dvclean.pipeline import total_seconds

runner = CliRunner()


def _data(path, n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = 2 * y + rng.normal(0, 1, n)
    path.write_text("x,y\n" + "".join(f"{a:.3f},{b}\n" for a, b in zip(x, y, strict=True)))


def test_total_seconds_counts_a_stage_once_not_again_through_its_parts():
    assert total_seconds({"read": 1.0, "value.knn": 2.0, "value.loo": 3.0, "value": 5.0, "flag": 0.5}) == 6.5
    assert total_seconds({}) == 0.0


def test_printed_and_junit_times_are_the_stages_not_the_stages_plus_the_methods(tmp_path):
    src = tmp_path / "d.csv"
    _data(src)
    result = score(src, label="y", config=ScoreConfig(methods=("knn", "loo")))
    timings = result.summary["timings"]
    assert {"value.knn", "value.loo", "value"} <= set(timings)
    console = Console(record=True, width=200)
    render_score(console, result.summary, None)
    printed = float(re.search(r"time: ([0-9.]+)s", console.export_text()).group(1))
    stages = sum(v for k, v in timings.items() if "." not in k)
    assert abs(printed - stages) < 0.006  # printed with 2 decimals
    assert printed < stages + 0.5 * timings["value"]  # before: the methods' seconds counted a second time

    xml = tmp_path / "c.xml"
    res = runner.invoke(app, ["check", str(src), "-y", "y", "-m", "knn,loo", "--json", "--junit-xml", str(xml)])
    assert res.exit_code == 0, res.output
    check_timings = json.loads(res.stdout)["timings"]
    suite = ET.parse(xml).getroot().find("testsuite")
    assert suite is not None
    assert abs(float(suite.get("time")) - total_seconds(check_timings)) < 0.002
    assert float(suite.get("time")) < sum(check_timings.values()) - 0.5 * check_timings["value"]
